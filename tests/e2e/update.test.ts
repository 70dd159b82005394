import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distDir, launchBrowser, openApp, screenshot, serveApp, type AppServer, type Browser } from './harness.js';

describe('service worker update', () => {
  let root: string;
  let server: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    // A copy of the build, so the test can publish a "new release" by changing sw.js.
    root = mkdtempSync(path.join(tmpdir(), 'provkit-e2e-release-'));
    cpSync(distDir(), root, { recursive: true });
    server = await serveApp(root);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('announces a waiting version and switches to it on request', async () => {
    const { page } = browser;
    await openApp(page, server.url);
    expect(await page.getByText('A new version is ready.').count()).toBe(0);

    appendFileSync(path.join(root, 'sw.js'), '\n// next release\n');
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    await page.getByText('A new version is ready.').waitFor({ timeout: 60_000 });
    await screenshot(page, 'status-update-ready');

    const reloaded = page.waitForEvent('load');
    await page.getByRole('button', { name: 'Reload to update' }).click();
    await reloaded;
    await page.locator('main h1').waitFor();
    const controllerScript = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      return { waiting: registration?.waiting !== null, controlled: navigator.serviceWorker.controller !== null };
    });
    expect(controllerScript).toEqual({ waiting: false, controlled: true });
    await page.getByTestId('offline-status').and(page.locator('[data-ready="true"]')).waitFor();
    expect(await page.getByText('A new version is ready.').count()).toBe(0);
  });
});
