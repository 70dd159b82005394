import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { download, goTo, inputFile, launchBrowser, openApp, screenshot, serveApp, type AppServer, type Browser } from './harness.js';
import { createLabSystem, exportLabPackage, generateRequests, importPackage, unzip } from './flows.js';

/** Counts the records of every workbench store, to show a rejected file changed nothing. */
async function storeCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async () => {
    const open = indexedDB.open('provkit');
    const db = await new Promise<IDBDatabase>((resolve) => (open.onsuccess = () => resolve(open.result)));
    const counts: Record<string, number> = {};
    for (const name of ['packages', 'identities', 'requests', 'profiles', 'issuer']) {
      counts[name] = await new Promise<number>((resolve) => {
        const request = db.transaction(name).objectStore(name).count();
        request.onsuccess = () => resolve(request.result);
      });
    }
    db.close();
    return counts;
  });
}

function replaceOnce(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1');
  const index = text.indexOf(from);
  expect(index, `${from} not found`).toBeGreaterThan(0);
  expect(to.length).toBe(from.length);
  const out = bytes.slice();
  out.set(Buffer.from(to, 'latin1'), index);
  return out;
}

describe('bad files', () => {
  let server: AppServer;
  let browser: Browser;
  let mcpr: Uint8Array;
  let mcts: Uint8Array;
  let packageZip: { name: string; bytes: Uint8Array };

  beforeAll(async () => {
    server = await serveApp();
    browser = await launchBrowser();
    const { page } = browser;
    await openApp(page, server.url);
    await createLabSystem(page, 'Strict Plant');
    packageZip = await exportLabPackage(page);
    await importPackage(page, packageZip);
    mcts = unzip(packageZip.bytes)['controller.mcts']!;
    await generateRequests(page, ['GOOD-1']);
    await page.getByLabel('Select GOOD-1').check();
    const exported = await download(page, () => page.getByRole('button', { name: 'Export selected (.zip)' }).click());
    mcpr = unzip(exported.bytes)['GOOD-1.mcpr']!;
    // The good request leaves the queue so that the same bytes can be offered again.
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: 'Delete 1 request' }).click();
    await page.getByText('Deleted.').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('rejects each bad request with a clear message and stores nothing', async () => {
    const { page } = browser;
    await goTo(page, 'Requests');
    const before = await storeCounts(page);
    const oversized = new Uint8Array(1_200_000);
    oversized.set([0x30, 0x83, 0x12, 0x4f, 0x7c]);
    const tampered = mcpr.slice();
    tampered[tampered.length - 5]! ^= 0x01;
    const cases: { name: string; bytes: Uint8Array; code: string }[] = [
      { name: 'truncated.mcpr', bytes: mcpr.slice(0, mcpr.length - 40), code: 'malformed' },
      { name: 'trailing.mcpr', bytes: new Uint8Array([...mcpr, 0x00, 0x00]), code: 'malformed' },
      { name: 'truststore-renamed.mcpr', bytes: mcts, code: 'wrong-type' },
      { name: 'oversized.mcpr', bytes: oversized, code: 'oversized' },
      { name: 'tampered.mcpr', bytes: tampered, code: 'signature-invalid' },
      { name: 'wrong-oid.mcpr', bytes: replaceOid(mcpr), code: 'wrong-type' },
      { name: 'bad-version.mcpr', bytes: replaceOnce(mcpr, '"formatVersion":"1.0"', '"formatVersion":"9.0"'), code: 'bad-version' },
    ];
    for (const item of cases) {
      await page.getByTestId('request-input').setInputFiles(inputFile(item.name, item.bytes));
      const message = page.getByTestId('messages').locator('.message.error', { hasText: item.name }).first();
      await message.waitFor();
      const text = await message.textContent();
      expect({ file: item.name, code: await page.getByTestId('batch-status').locator('.badge.error').first().textContent() }).toEqual({ file: item.name, code: item.code });
      expect(text).toContain('rejected');
      expect(await storeCounts(page)).toEqual(before);
    }
    await screenshot(page, 'requests-bad-files');
  });

  it('shows bad files in the Inspector with their error code', async () => {
    const { page } = browser;
    await goTo(page, 'Inspector');
    const before = await storeCounts(page);
    await page.getByTestId('inspector-input').setInputFiles(inputFile('truncated.mcpr', mcpr.slice(0, mcpr.length - 40)));
    const card = page.getByTestId('inspection').first();
    await card.waitFor();
    expect(await card.getAttribute('data-status')).toBe('error');
    expect(await card.getByTestId('inspection-error').textContent()).toContain('malformed');
    await page.getByTestId('inspector-input').setInputFiles(inputFile('notes.txt', new TextEncoder().encode('not a provkit file')));
    const second = page.getByTestId('inspection').first();
    await expect.poll(() => second.getAttribute('data-type'), { timeout: 60_000 }).toBe('unknown');
    expect(await second.getByTestId('inspection-error').textContent()).toContain('wrong-type');
    expect(await storeCounts(page)).toEqual(before);
  });

  it('rejects an incomplete package and a wrong package passphrase', async () => {
    const { page } = browser;
    await goTo(page, 'Packages');
    const before = await storeCounts(page);
    await page.getByTestId('package-input').setInputFiles(inputFile('controller.mcts', mcts));
    const message = page.getByTestId('messages').locator('.message.error').first();
    await message.waitFor();
    expect(await message.getAttribute('data-code')).toBe('invalid-argument');
    expect(await message.textContent()).toContain('missing .mcpp, .mcpip');
    expect(await storeCounts(page)).toEqual(before);

    await page.getByTestId('package-input').setInputFiles(inputFile(packageZip.name, packageZip.bytes));
    await page.getByLabel(/^Package passphrase/).fill('not the package passphrase');
    await page.getByRole('button', { name: 'Check and import' }).click();
    const wrong = page.getByTestId('messages').locator('.message.error[data-code="decrypt-failed"]');
    await wrong.waitFor();
    expect(await storeCounts(page)).toEqual(before);
  });
});

/** Changes the last arc of the eContentType OID BASE.1 to BASE.9, a content type provkit does not define. */
function replaceOid(bytes: Uint8Array): Uint8Array {
  // BASE.1 ends with the arc 1: the OID's last content byte is 0x01, followed by [0] EXPLICIT (0xa0) eContent.
  const out = bytes.slice();
  for (let i = 0; i < out.length - 1; i++) {
    if (out[i] === 0x01 && out[i + 1] === 0xa0 && out[i - 20] !== undefined) {
      out[i] = 0x09;
      return out;
    }
  }
  throw new Error('eContentType not found');
}
