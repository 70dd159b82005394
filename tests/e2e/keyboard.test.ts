import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { goTo, inputFile, launchBrowser, openApp, readDownload, runAxe, screenshot, serveApp, type AppServer, type Browser } from './harness.js';
import { CA_PASSPHRASE, expectMessage, IDENTITY_PASSPHRASE, PACKAGE_PASSPHRASE, queueStates, unzip } from './flows.js';

/** Presses Tab until `target` has focus; fails after `limit` presses. */
async function tabTo(page: Page, target: Locator, limit = 120): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((element) => element === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

/** Tabs to a navigation link and follows it with Enter. */
async function navigate(page: Page, label: string): Promise<void> {
  await tabTo(page, page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: label, exact: true }));
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
  // Focus lands on the new screen's heading, so the next Tab starts inside the screen.
  expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
}

describe('keyboard-only use', () => {
  let server: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await serveApp();
    browser = await launchBrowser();
    await openApp(browser.page, server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('runs the main flow with the keyboard alone', async () => {
    const { page } = browser;

    await navigate(page, 'Lab issuer');
    await tabTo(page, page.getByLabel('Name', { exact: true }));
    await page.keyboard.type('Keyboard Plant');
    await tabTo(page, page.getByLabel(/^CA passphrase/));
    await page.keyboard.type(CA_PASSPHRASE);
    await tabTo(page, page.getByRole('button', { name: 'Create system' }));
    await page.keyboard.press('Enter');
    await expectMessage(page, 'System Keyboard Plant created');

    await tabTo(page, page.getByLabel(/^Package passphrase/));
    await page.keyboard.type(PACKAGE_PASSPHRASE);
    const packageDownload = page.waitForEvent('download');
    await page.keyboard.press('Enter');
    const packageZip = await readDownload(await packageDownload);

    // A file input opens its chooser from the keyboard, and the test picks the file in it.
    await navigate(page, 'Packages');
    await tabTo(page, page.getByTestId('package-input'));
    const chooser = page.waitForEvent('filechooser');
    await page.keyboard.press('Space');
    await (await chooser).setFiles(inputFile(packageZip.name, packageZip.bytes));
    await tabTo(page, page.getByLabel(/^Package passphrase/));
    await page.keyboard.type(PACKAGE_PASSPHRASE);
    await page.keyboard.press('Enter');
    await expectMessage(page, 'checked and stored');

    await navigate(page, 'Requests');
    await tabTo(page, page.getByLabel(/^Hardware ids/));
    await page.keyboard.type('KB-1\nKB-2');
    await tabTo(page, page.getByLabel('Package passphrase'));
    await page.keyboard.type(PACKAGE_PASSPHRASE);
    await tabTo(page, page.getByLabel(/^Passphrase for the new device keys/));
    await page.keyboard.type(IDENTITY_PASSPHRASE);
    await page.keyboard.press('Enter');
    await expectMessage(page, '2 request(s) generated.');

    await tabTo(page, page.getByLabel('Select all shown requests'));
    await page.keyboard.press('Space');
    await tabTo(page, page.getByRole('button', { name: 'Export selected (.zip)' }));
    const requestsDownload = page.waitForEvent('download');
    await page.keyboard.press('Enter');
    const requestsZip = await readDownload(await requestsDownload);
    expect(Object.keys(unzip(requestsZip.bytes)).sort()).toEqual(['KB-1.mcpr', 'KB-2.mcpr']);
    await expectMessage(page, 'exported as a .zip');
    expect(await queueStates(page)).toEqual({ 'KB-1': 'exported', 'KB-2': 'exported' });
    expect(browser.problems).toEqual([]);
  });

  it('has no axe violations on screens with content', async () => {
    const { page } = browser;
    await goTo(page, 'Lab issuer');
    // The lab takes the queue, so the device table and decision controls are on screen.
    await page.getByRole('button', { name: "Take from this browser's queue" }).click();
    await expectMessage(page, '2 of 2 request(s) accepted');
    for (const label of ['Lab issuer', 'Requests', 'Packages', 'Profiles', 'Log', 'Settings']) {
      await goTo(page, label);
      await page.waitForTimeout(100);
      const violations = await runAxe(page);
      expect(violations, `${label}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
      await screenshot(page, `filled-${label.toLowerCase().replace(/\s+/g, '-')}`);
    }
    await goTo(page, 'Inspector');
    const requests = await page.evaluate(async () => {
      const open = indexedDB.open('provkit');
      const db = await new Promise<IDBDatabase>((resolve) => (open.onsuccess = () => resolve(open.result)));
      const all = await new Promise<{ mcpr: Uint8Array }[]>((resolve) => {
        const request = db.transaction('requests').objectStore('requests').getAll();
        request.onsuccess = () => resolve(request.result);
      });
      db.close();
      return all.map((r) => [...r.mcpr]);
    });
    await page.getByTestId('inspector-input').setInputFiles(inputFile('KB-1.mcpr', new Uint8Array(requests[0]!)));
    await page.getByTestId('inspection').first().waitFor();
    await page.getByTestId('inspection').first().locator('details summary').first().click();
    expect(await runAxe(page)).toEqual([]);
    await screenshot(page, 'filled-inspector');
  });
});
