import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, goTo, inputFile, launchBrowser, openApp, screenshot, serveApp, type AppServer, type Browser } from './harness.js';
import { createLabSystem, exportLabPackage, generateRequests, importPackage, queueStates, unzip } from './flows.js';

describe('offline use', () => {
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

  it('reloads and works with the network cut and the server gone', async () => {
    const { page, context } = browser;
    // One visit online: only the shell loads; screens, worker and .wasm come from the precache later.
    await openApp(page, server.url);
    const url = page.url();

    await context.setOffline(true);
    await server.close();
    await page.reload();
    await page.locator('main h1').waitFor();
    await page.getByTestId('network-status').getByText('No network').waitFor();
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    expect(page.url()).toBe(url);

    // Everything offline: lab system, package, generation in the worker (Argon2id in .wasm).
    await createLabSystem(page, 'Offline Plant');
    const packageZip = await exportLabPackage(page);
    await importPackage(page, packageZip);
    await generateRequests(page, ['OFF-1', 'OFF-2']);
    expect(await queueStates(page)).toEqual({ 'OFF-1': 'generated', 'OFF-2': 'generated' });
    await page.getByLabel('Select OFF-1').check();
    const exported = await download(page, () => page.getByRole('button', { name: 'Export selected (.zip)' }).click());
    const mcpr = unzip(exported.bytes)['OFF-1.mcpr']!;

    // Inspection offline: the request verifies against the stored package's TrustStore.
    await goTo(page, 'Inspector');
    await page.getByTestId('inspector-input').setInputFiles(inputFile('OFF-1.mcpr', mcpr));
    const card = page.getByTestId('inspection').first();
    await card.waitFor();
    expect(await card.getAttribute('data-type')).toBe('mcpr');
    expect(await card.getByTestId('inspection-status').textContent()).toBe('Verified');
    expect(await card.textContent()).toContain('OFF-1');
    await screenshot(page, 'inspector-offline');
    expect(browser.problems.filter((problem) => !problem.includes('ERR_INTERNET_DISCONNECTED'))).toEqual([]);
  });
});
