/**
 * Hostile input through the UI: markup and bidirectional overrides in names, archive bombs
 * and traversal paths, files offered twice, and two tabs deciding with one lab issuer.
 * Each case checks the message shown to the technician and that nothing stored changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { download, goTo, inputFile, launchBrowser, openApp, screenshot, serveApp, type AppServer, type Browser } from './harness.js';
import { CA_PASSPHRASE, createLabSystem, expectMessage, exportAllRequests, exportLabPackage, generateRequests, importPackage, unzip } from './flows.js';

/** Counts the records of the workbench stores that hold work. */
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

/** Returns the text of the newest error message. */
async function newestError(page: Page): Promise<string> {
  const message = page.getByTestId('messages').locator('.message.error').first();
  await message.waitFor();
  return (await message.locator('.message-text').textContent()) ?? '';
}

/** Overwrites the declared uncompressed size of every entry, in the central and local headers. */
function declareSize(archive: Uint8Array, size: number): Uint8Array {
  const copy = archive.slice();
  const view = new DataView(copy.buffer);
  for (let at = 0; at + 4 <= copy.length; at++) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    view.setUint32(at + 24, size, true);
    view.setUint32(view.getUint32(at + 42, true) + 22, size, true);
  }
  return copy;
}

describe('adversarial input', () => {
  let server: AppServer;
  let browser: Browser;
  let requestsZip: { name: string; bytes: Uint8Array };

  beforeAll(async () => {
    server = await serveApp();
    browser = await launchBrowser();
    const { page } = browser;
    // A dialog would mean injected markup ran; record it as a problem.
    page.on('dialog', (dialog) => {
      browser.problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await openApp(page, server.url);
    await createLabSystem(page, 'Hostile <img src=x onerror=alert(1)> Plant');
    await importPackage(page, await exportLabPackage(page));
    await generateRequests(page, ['ADV-1', 'ADV-2'], 'fast');
    requestsZip = await exportAllRequests(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders markup and overrides in names as text', async () => {
    const { page } = browser;
    await goTo(page, 'Lab issuer');
    expect(await page.getByLabel('Selected system').locator('option').first().textContent()).toBe('Hostile <img src=x onerror=alert(1)> Plant');
    expect(await page.locator('main img').count()).toBe(0);

    const before = await storeCounts(page);
    await goTo(page, 'Requests');
    const hostileName = `<img src=x onerror=alert(1)>\u202Egpj.mcpr`;
    await page.getByTestId('request-input').setInputFiles(inputFile(hostileName, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])));
    const text = await newestError(page);
    expect(text).toContain('<img src=x onerror=alert(1)>[U+202E]gpj.mcpr');
    expect(text).not.toContain('\u202E');
    expect(await page.locator('main img, .messages img').count()).toBe(0);
    expect(await storeCounts(page)).toEqual(before);
    await screenshot(page, 'adversarial-hostile-name');
    expect(browser.problems).toEqual([]);
  });

  it('rejects a system name with an override character', async () => {
    const { page } = browser;
    const before = await storeCounts(page);
    await goTo(page, 'Lab issuer');
    await page.getByRole('button', { name: 'New system' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Plant \u202Eexe.txt');
    await page.getByLabel(/^CA passphrase/).fill(CA_PASSPHRASE);
    await page.getByRole('button', { name: 'Create system' }).click();
    expect(await newestError(page)).toBe('Create system: the system name contains the invisible character U+202E; type the name again without it');
    expect(await storeCounts(page)).toEqual(before);
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('rejects archive bombs and keeps the tab working', async () => {
    const { page } = browser;
    const before = await storeCounts(page);
    await goTo(page, 'Profiles');

    // 80 MiB of zeros deflate to about 80 kB, and the headers claim 100 bytes.
    const liar = declareSize(zipSync({ 'SN-1.mcp': new Uint8Array(80 * 1024 * 1024) }, { level: 9 }), 100);
    await page.getByTestId('profile-input').setInputFiles(inputFile('liar.zip', liar));
    expect(await newestError(page)).toContain('the .zip archive is damaged or truncated and cannot be read (size of SN-1.mcp)');
    await page.getByRole('button', { name: 'Dismiss message' }).first().click();

    // The same bytes with honest headers: one 80 MiB entry.
    const big = zipSync({ 'SN-2.mcp': new Uint8Array(80 * 1024 * 1024) }, { level: 9 });
    await page.getByTestId('profile-input').setInputFiles(inputFile('big.zip', big));
    expect(await newestError(page)).toContain('archive entry SN-2.mcp expands beyond 64 MiB');
    await page.getByRole('button', { name: 'Dismiss message' }).first().click();

    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i <= 5000; i++) entries[`SN-${i}.mcp`] = new Uint8Array([i & 0xff]);
    await page.getByTestId('profile-input').setInputFiles(inputFile('many.zip', zipSync(entries, { level: 0 })));
    expect(await newestError(page)).toContain('the archive holds more than 5000 files');

    // The tab still responds: navigation works and nothing was stored.
    await goTo(page, 'Requests');
    expect(await storeCounts(page)).toEqual(before);
    expect(browser.problems).toEqual([]);
  });

  it('flattens traversal paths and rejects a request offered twice', async () => {
    const { page } = browser;
    const mcpr = unzip(requestsZip.bytes)['ADV-1.mcpr']!;
    await goTo(page, 'Lab issuer');
    const archive = zipSync({ '../../../etc/ADV-1.mcpr': mcpr });
    await page.getByTestId('lab-request-input').setInputFiles(inputFile('traversal.zip', archive));
    await expectMessage(page, '1 of 1 request(s) accepted by the lab issuer.');
    const counts = await storeCounts(page);

    await page.getByTestId('lab-request-input').setInputFiles(inputFile('ADV-1.mcpr', mcpr));
    const text = await newestError(page);
    expect(text).toContain('ADV-1.mcpr');
    expect(text).toContain('was already submitted');
    expect(text).not.toContain('ADV-1.mcpr: ADV-1.mcpr');
    expect(await storeCounts(page)).toEqual(counts);
    await expect.poll(() => page.getByTestId('lab-row').count()).toBe(1);
  });

  it('serialises lab decisions across two tabs', async () => {
    const { page, context } = browser;
    const other = await context.newPage();
    try {
      await openApp(other, server.url, 'lab');
      // The other tab holds the issuer lock, as while it runs a decision.
      await other.evaluate(() => {
        const held = new Promise<void>((resolve) => ((window as unknown as { releaseLock: () => void }).releaseLock = resolve));
        void navigator.locks.request('provkit-lab-issuer', () => held);
      });
      await goTo(page, 'Lab issuer');
      const mcpr = unzip(requestsZip.bytes)['ADV-2.mcpr']!;
      await page.getByTestId('lab-request-input').setInputFiles(inputFile('ADV-2.mcpr', mcpr));
      // This tab's submission waits for the lock instead of writing beside the other tab.
      await expect
        .poll(() => other.evaluate(async () => (await navigator.locks.query()).pending?.filter((lock) => lock.name === 'provkit-lab-issuer').length ?? 0))
        .toBeGreaterThan(0);
      expect(await page.locator('[data-testid=lab-row][data-hardware-id="ADV-2"]').count()).toBe(0);
      await other.evaluate(() => (window as unknown as { releaseLock: () => void }).releaseLock());
      await expectMessage(page, '1 of 1 request(s) accepted by the lab issuer.');
      await page.locator('[data-testid=lab-row][data-hardware-id="ADV-2"]').waitFor();
    } finally {
      await other.close();
    }
  });

  it('shows a device requested again once, with its history', async () => {
    const { page } = browser;
    await goTo(page, 'Lab issuer');
    await page.getByLabel('Reason for rejecting ADV-2').fill('wrong site');
    await page.getByRole('button', { name: 'Reject ADV-2' }).click();
    await expectMessage(page, 'ADV-2 rejected.');
    // Focus continues from the outcome, not from the top of the page.
    expect(await page.evaluate(() => document.activeElement?.classList.contains('message'))).toBe(true);

    await goTo(page, 'Requests');
    await page.getByLabel('Select ADV-2').check();
    await page.getByRole('button', { name: 'Delete…' }).click();
    // The confirmation takes the focus of the button it replaces.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Delete 1 request');
    await page.getByRole('button', { name: 'Delete 1 request' }).click();
    await expectMessage(page, 'Deleted.');
    await generateRequests(page, ['ADV-2'], 'fast');
    await goTo(page, 'Lab issuer');
    await page.getByRole('button', { name: "Take from this browser's queue" }).click();
    await expectMessage(page, '1 of 1 request(s) accepted by the lab issuer.');

    const row = page.locator('[data-testid=lab-row][data-hardware-id="ADV-2"]');
    expect(await row.count()).toBe(1);
    expect(await row.getAttribute('data-state')).toBe('needs-approval');
    expect(await row.getAttribute('data-requests')).toBe('2');
    await row.getByText('1 earlier request').click();
    expect(await row.getByTestId('lab-history-row').getAttribute('data-state')).toBe('rejected');
    expect(await row.getByTestId('lab-history-row').textContent()).toContain('wrong site');
    await screenshot(page, 'adversarial-device-history');
    expect(browser.problems).toEqual([]);
  });
});
