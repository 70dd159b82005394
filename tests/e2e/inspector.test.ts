import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { download, goTo, inputFile, launchBrowser, openApp, screenshot, serveApp, type AppServer, type Browser } from './harness.js';
import { createLabSystem, expectMessage, exportLabPackage, generateRequests, IDENTITY_PASSPHRASE, importPackage, unzip } from './flows.js';

/** Drops files on the Inspector's drop zone with a real DataTransfer, as a drag from the desktop does. */
async function dropFiles(page: Page, files: { name: string; bytes: Uint8Array }[]): Promise<void> {
  const transfer = await page.evaluateHandle((list) => {
    const data = new DataTransfer();
    for (const file of list) data.items.add(new File([new Uint8Array(file.bytes)], file.name));
    return data;
  }, files.map((file) => ({ name: file.name, bytes: [...file.bytes] })));
  await page.locator('.drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
}

async function facts(card: Locator): Promise<Record<string, string>> {
  const terms = await card.locator(':scope > dl.facts > dt').allTextContents();
  const values = await card.locator(':scope > dl.facts > dd').allTextContents();
  return Object.fromEntries(terms.map((term, i) => [term, values[i]!]));
}

describe('Inspector', () => {
  let server: AppServer;
  let browser: Browser;
  let dir: string;
  const files: Record<string, Uint8Array> = {};

  beforeAll(async () => {
    server = await serveApp();
    browser = await launchBrowser();
    dir = mkdtempSync(path.join(tmpdir(), 'provkit-e2e-inspect-'));
    const { page } = browser;
    await openApp(page, server.url);
    await createLabSystem(page, 'Inspect Plant', 'controller', 'automatic');
    const packageZip = await exportLabPackage(page);
    Object.assign(files, unzip(packageZip.bytes));
    await importPackage(page, packageZip);
    await generateRequests(page, ['INSPECT-1']);
    await page.getByLabel('Select INSPECT-1').check();
    files['INSPECT-1.mcpr'] = unzip((await download(page, () => page.getByRole('button', { name: 'Export selected (.zip)' }).click())).bytes)['INSPECT-1.mcpr']!;
    await goTo(page, 'Lab issuer');
    await page.getByRole('button', { name: "Take from this browser's queue" }).click();
    await expectMessage(page, '1 of 1 request(s) accepted');
    files['INSPECT-1.mcp'] = unzip((await download(page, () => page.getByRole('button', { name: 'Issue and export 1 profile' }).click())).bytes)['INSPECT-1.mcp']!;
    await goTo(page, 'Profiles');
    await page.getByTestId('profile-input').setInputFiles(inputFile('INSPECT-1.mcp', files['INSPECT-1.mcp']));
    await expectMessage(page, '1 profile(s) verified and matched');
    await page.getByLabel('Select all profiles').check();
    await page.getByLabel(/^Passphrase of the device keys/).fill(IDENTITY_PASSPHRASE);
    await page.getByRole('button', { name: 'Produce final identities' }).click();
    await expectMessage(page, '1 final identity produced.');
    files['INSPECT-1.mcpi'] = unzip((await download(page, () => page.getByRole('button', { name: 'Export .mcpi and .mcp (.zip)' }).click())).bytes)['INSPECT-1.mcpi']!;

    // A PEM certificate and a CSR made by OpenSSL, independent of provkit's writers.
    writeFileSync(path.join(dir, 'truststore.mcts'), files['controller.mcts']!);
    files['root.pem'] = execFileSync('/usr/bin/openssl', ['pkcs7', '-inform', 'DER', '-in', path.join(dir, 'truststore.mcts'), '-print_certs']);
    execFileSync('/usr/bin/openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-subj', '/CN=OPENSSL-1', '-out', path.join(dir, 'req.pem')]);
    files['req.pem'] = readFileSync(path.join(dir, 'req.pem'));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decodes and verifies every file type', async () => {
    const { page } = browser;
    await goTo(page, 'Inspector');
    await page.getByLabel('Verify against').selectOption({ label: 'No TrustStore (decode only)' });
    // The TrustStore comes by drag and drop and becomes the anchors for the files after it.
    await dropFiles(page, [{ name: 'controller.mcts', bytes: files['controller.mcts']! }]);
    await expect.poll(() => page.getByLabel('Verify against').inputValue(), { timeout: 60_000 }).toBe('dropped');
    const order = ['controller.mcpp', 'controller.mcpip', 'INSPECT-1.mcpr', 'INSPECT-1.mcp', 'INSPECT-1.mcpi', 'root.pem', 'req.pem'];
    await page.getByTestId('inspector-input').setInputFiles(order.map((name) => inputFile(name, files[name]!)));
    await expect.poll(() => page.getByTestId('inspection').count(), { timeout: 60_000 }).toBe(order.length + 1);

    const card = (name: string) => page.getByRole('article', { name: `Inspection of ${name}`, exact: true });
    const status = async (name: string) => [await card(name).getAttribute('data-type'), await card(name).getByTestId('inspection-status').textContent()];
    expect(await status('controller.mcts')).toEqual(['mcts', 'Decoded']);
    expect(await status('controller.mcpp')).toEqual(['mcpp', 'Verified']);
    expect(await status('controller.mcpip')).toEqual(['mcpip', 'Decoded']);
    expect(await status('INSPECT-1.mcpr')).toEqual(['mcpr', 'Verified']);
    expect(await status('INSPECT-1.mcp')).toEqual(['mcp', 'Verified']);
    expect(await status('INSPECT-1.mcpi')).toEqual(['mcpi', 'Decoded']);
    expect(await status('root.pem')).toEqual(['certificate', 'Verified']);
    expect(await status('req.pem')).toEqual(['csr', 'Verified']);

    const profile = await facts(card('INSPECT-1.mcp'));
    expect(profile['Hardware id']).toBe('INSPECT-1');
    expect(profile['System']).toMatch(/^Inspect Plant \([0-9a-f-]{36}\)$/);
    expect(await card('INSPECT-1.mcp').locator('details summary').allTextContents()).toEqual([
      'Signer: CN=Inspect Plant Profile Signer,O=Inspect Plant',
      'Issued for role identity: OU=controller,serialNumber=INSPECT-1,CN=INSPECT-1',
      'Issued for role tls: OU=controller tls,serialNumber=INSPECT-1,CN=INSPECT-1',
    ]);
    const identity = await facts(card('INSPECT-1.mcpi'));
    expect(identity['Hardware id']).toBe('INSPECT-1');
    expect(identity['Key identity']).toMatch(/^ecdsa-p256, SPKI SHA-256 [0-9a-f]{64}$/);
    const certificate = card('root.pem');
    await certificate.locator('details summary').click();
    const text = (await certificate.textContent()) ?? '';
    expect(text).toContain('SHA-256 fingerprint');
    expect(text).toContain('Basic constraints');
    expect(text).toContain('CA');
    expect(await facts(card('req.pem'))).toMatchObject({ Subject: 'CN=OPENSSL-1', 'Key algorithm': 'ecdsa-p256', 'Self-signature': 'valid (proof of possession)' });
    await screenshot(page, 'inspector-all-types');
  });

  it('explains why a profile is not accepted', async () => {
    const { page } = browser;
    await goTo(page, 'Profiles');
    const tampered = files['INSPECT-1.mcp']!.slice();
    tampered[tampered.length - 3]! ^= 0x01;
    await page.getByTestId('profile-input').setInputFiles([inputFile('tampered.mcp', tampered), inputFile('request-instead.mcp', files['INSPECT-1.mcpr']!)]);
    const rejected = page.getByTestId('rejected-profiles');
    await rejected.waitFor();
    const items = await rejected.locator(':scope > ul > li').allTextContents();
    expect(items).toHaveLength(2);
    expect(items[0]).toContain('tampered.mcp');
    expect(items[0]).toContain('signature-invalid');
    expect(items[1]).toContain('request-instead.mcp');
    expect(items[1]).toContain('wrong-type');
    await screenshot(page, 'profiles-rejected');
  });
});
