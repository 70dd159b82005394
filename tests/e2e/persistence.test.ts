import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goTo, launchBrowser, openApp, serveApp, type AppServer, type Browser } from './harness.js';
import { createLabSystem, exportLabPackage, generateRequests, importPackage, queueStates } from './flows.js';

describe('persistence', () => {
  let server: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await serveApp();
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('keeps the queue across a reload and a new browser context', async () => {
    await openApp(browser.page, server.url);
    await createLabSystem(browser.page, 'Persistent Plant');
    await importPackage(browser.page, await exportLabPackage(browser.page));
    await generateRequests(browser.page, ['KEEP-1', 'KEEP-2', 'KEEP-3']);
    await browser.page.getByLabel('Select KEEP-2').check();
    await browser.page.getByRole('button', { name: 'Mark submitted' }).click();
    await browser.page.getByText('Marked as submitted.').waitFor();
    const expected = { 'KEEP-1': 'generated', 'KEEP-2': 'submitted', 'KEEP-3': 'generated' };
    expect(await queueStates(browser.page)).toEqual(expected);

    await browser.page.reload();
    await browser.page.getByTestId('request-row').first().waitFor();
    expect(await queueStates(browser.page)).toEqual(expected);

    // A new context on the same profile folder: the browser was closed and opened again.
    const userDataDir = browser.userDataDir;
    await browser.close({ keepProfile: true });
    browser = await launchBrowser(userDataDir);
    await openApp(browser.page, server.url, 'requests');
    await browser.page.getByTestId('request-row').first().waitFor();
    expect(await queueStates(browser.page)).toEqual(expected);
    await goTo(browser.page, 'Packages');
    expect(await browser.page.getByTestId('package').count()).toBe(1);
    // The encrypted pending identities came back with their requests.
    const identities = await browser.page.evaluate(async () => {
      const open = indexedDB.open('provkit');
      const db = await new Promise<IDBDatabase>((resolve) => (open.onsuccess = () => resolve(open.result)));
      const count = await new Promise<number>((resolve) => {
        const request = db.transaction('identities').objectStore('identities').count();
        request.onsuccess = () => resolve(request.result);
      });
      db.close();
      return count;
    });
    expect(identities).toBe(3);
    expect(browser.problems).toEqual([]);
  });
});
