/**
 * End-to-end harness: the build made once by global-setup.ts, the server and browser of
 * browser.ts, and helpers for navigation, downloads, screenshots and axe-core.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Download, Page } from 'playwright-core';
import { inject } from 'vitest';
import { serveStatic, type AppServer } from './browser.js';

export { launchBrowser, type AppServer, type Browser } from './browser.js';

/** The repository root, resolved from this file so tests run from any working directory. */
export const repoRoot = path.resolve(import.meta.dirname, '../..');
/** Where screenshots of each screen are written for people to look at. */
export const screenshotDir = path.join(repoRoot, 'test-results', 'screenshots');

/** Returns the folder the global setup built the app into. */
export function distDir(): string {
  return inject('distDir');
}

/** Serves the built app (or `root`) on 127.0.0.1 at a free port. */
export function serveApp(root = distDir(), port = 0): Promise<AppServer> {
  return serveStatic(root, port);
}

/** Opens the app and waits until the service worker controls the page and the shell is rendered. */
export async function openApp(page: Page, url: string, screen = 'packages'): Promise<void> {
  await page.goto(`${url}#/${screen}`);
  await page.getByTestId('offline-status').and(page.locator('[data-ready="true"]')).waitFor();
  await page.locator('main h1').waitFor();
}

/** Navigates with the header link of a screen and waits for its heading. */
export async function goTo(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

/** Saves a full-page screenshot into test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const AXE_SOURCE = readFileSync(path.join(repoRoot, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** A violation reported by axe-core, reduced to what a failure message needs. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core in the page and returns its violations. The app's CSP blocks inline script,
 * so `addScriptTag({ content })` cannot load axe. The source is evaluated through the DevTools
 * protocol instead, which the page's CSP does not govern.
 */
export async function runAxe(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
  });
}

/** Waits for the download a click starts and returns its name and bytes. */
export async function download(page: Page, click: () => Promise<void>): Promise<{ name: string; bytes: Uint8Array }> {
  try {
    const [event] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), click()]);
    return await readDownload(event);
  } catch (error) {
    // The app's messages usually explain why no file came.
    const messageText = await page.getByTestId('messages').innerText().catch(() => '');
    throw new Error(`no download: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}; messages: ${messageText}`);
  }
}

/** Reads a finished download. */
export async function readDownload(event: Download): Promise<{ name: string; bytes: Uint8Array }> {
  const file = await event.path();
  return { name: event.suggestedFilename(), bytes: new Uint8Array(readFileSync(file)) };
}

/** Returns the file payload shape that setInputFiles takes. */
export function inputFile(name: string, bytes: Uint8Array): { name: string; mimeType: string; buffer: Buffer } {
  return { name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) };
}
