import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goTo, launchBrowser, openApp, runAxe, screenshot, serveApp, type AppServer, type Browser } from './harness.js';

const SCREENS = ['Packages', 'Requests', 'Profiles', 'Lab issuer', 'Inspector', 'Log', 'Settings'];

describe('workbench shell', () => {
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

  it('loads under the CSP with the service worker in control', async () => {
    const { page } = browser;
    await openApp(page, server.url);
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("style-src 'self'");
    // Headless Chromium denies persistent storage, and the status bar shows that result.
    await expect.poll(() => page.getByTestId('persistence-status').getAttribute('data-result'), { timeout: 60_000 }).toBe('not-persisted');
    expect(await page.locator('link[rel="manifest"]').count()).toBe(1);
    expect(browser.problems).toEqual([]);

    // An inline script is blocked, so the policy is in force, not only declared.
    await page.addScriptTag({ content: 'window.inlineRan = true' }).catch(() => undefined);
    expect(await page.evaluate(() => 'inlineRan' in window)).toBe(false);
    expect(browser.problems.some((problem) => problem.includes('CSP violation: script-src-elem'))).toBe(true);
    browser.problems.length = 0;
  });

  it('serves a web app manifest with PNG icons', async () => {
    const { page } = browser;
    const manifest = await page.evaluate(async () => (await fetch('./manifest.webmanifest')).json());
    expect(manifest.name).toBe('provkit workbench');
    expect(manifest.icons.map((icon: { sizes: string }) => icon.sizes)).toEqual(['192x192', '512x512', '512x512']);
    const icon = await page.evaluate(async () => {
      const bytes = new Uint8Array(await (await fetch('./icons/icon-512.png')).arrayBuffer());
      return [...bytes.slice(0, 8)];
    });
    expect(icon).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('shows every screen with no axe violations', async () => {
    const { page } = browser;
    for (const label of SCREENS) {
      await goTo(page, label);
      // Focus moves to the heading of the screen the user navigated to.
      expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
      expect(await page.title()).toBe(`${label} · provkit workbench`);
      const violations = await runAxe(page);
      expect(violations, `${label}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
      await screenshot(page, `screen-${label.toLowerCase().replace(/\s+/g, '-')}`);
    }
    expect(browser.problems).toEqual([]);
  });

  it('fits a phone-sized screen', async () => {
    const { page } = browser;
    await page.setViewportSize({ width: 390, height: 844 });
    await goTo(page, 'Requests');
    // Nothing is wider than the viewport: no horizontal scrolling of the page.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'phone-requests');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  it('offers a skip link as the first tab stop', async () => {
    const { page } = browser;
    await page.reload();
    await page.locator('main h1').waitFor();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent);
    expect(focused).toBe('Skip to main content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });
});
