import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, goTo, inputFile, launchBrowser, openApp, screenshot, serveApp, type AppServer, type Browser } from './harness.js';
import { createLabSystem, expectMessage, exportLabPackage, generateRequests, importPackage, unzip } from './flows.js';

const COUNT = 200;
const hardwareIds = Array.from({ length: COUNT }, (_, i) => `BATCH-${String(i + 1).padStart(4, '0')}`);

describe('batch of 200 devices', () => {
  let server: AppServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await serveApp();
    browser = await launchBrowser();
    await openApp(browser.page, server.url);
    await createLabSystem(browser.page, 'Factory Line', 'controller', 'automatic');
    await importPackage(browser.page, await exportLabPackage(browser.page));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('generates, issues and imports 200 profiles with progress shown', async () => {
    const { page } = browser;
    await generateRequests(page, hardwareIds, 'fast', false);
    // Progress is visible while the worker runs: counts below the total with the batch running.
    const status = page.getByTestId('batch-status');
    await page.locator('[data-testid="batch-status"][data-running="true"]').waitFor();
    await expect.poll(async () => Number((await page.getByTestId('batch-counts').textContent())?.split(' ')[0]), { timeout: 60_000 }).toBeGreaterThan(0);
    const midway = (await page.getByTestId('batch-counts').textContent()) ?? '';
    expect(midway).toMatch(new RegExp(`^\\d+ of ${COUNT} processed`));
    await screenshot(page, 'requests-batch-progress');
    // The page stays responsive during the batch: typing in the search field works.
    await page.getByLabel('Hardware id', { exact: true }).fill('BATCH-0001');
    await page.getByLabel('Hardware id', { exact: true }).fill('');
    await expectMessage(page, `${COUNT} request(s) generated.`);
    expect(await page.getByTestId('batch-counts').textContent()).toBe(`${COUNT} of ${COUNT} processed: ${COUNT} succeeded, 0 failed (finished)`);
    expect(await page.getByTestId('count-generated').textContent()).toBe(String(COUNT));
    expect(await status.getAttribute('data-running')).toBe('false');

    // The lab verifies all 200 from the queue, approves them automatically and issues the profiles.
    await goTo(page, 'Lab issuer');
    await page.getByRole('button', { name: "Take from this browser's queue" }).click();
    await expectMessage(page, `${COUNT} of ${COUNT} request(s) accepted`);
    const profiles = await download(page, () => page.getByRole('button', { name: `Issue and export ${COUNT} profiles` }).click());
    expect(Object.keys(unzip(profiles.bytes)).length).toBe(COUNT);

    await goTo(page, 'Profiles');
    await page.getByTestId('profile-input').setInputFiles(inputFile(profiles.name, profiles.bytes));
    await expectMessage(page, `${COUNT} profile(s) verified and matched`);
    expect(await page.getByTestId('batch-counts').textContent()).toBe(`${COUNT} of ${COUNT} processed: ${COUNT} succeeded, 0 failed (finished)`);
    expect(await page.getByTestId('profile-row').count()).toBe(COUNT);
    await screenshot(page, 'profiles-batch');
    expect(browser.problems).toEqual([]);
  });

  it('keeps the finished devices when a batch is cancelled', async () => {
    const { page } = browser;
    const ids = Array.from({ length: 40 }, (_, i) => `CANCEL-${i + 1}`);
    await generateRequests(page, ids, 'standard', false);
    await expect.poll(async () => /^(\d+) of 40 processed/.exec((await page.getByTestId('batch-counts').textContent()) ?? '')?.[1] ?? '0', { timeout: 60_000 }).toSatisfy((done: string) => Number(done) >= 3);
    await page.getByTestId('batch-status').getByRole('button', { name: 'Cancel' }).click();
    await page.locator('[data-testid="batch-status"][data-running="false"]').waitFor();
    const text = (await page.getByTestId('batch-counts').textContent()) ?? '';
    expect(text).toMatch(/\(cancelled\)$/);
    const done = Number(/(\d+) succeeded/.exec(text)![1]);
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(ids.length);
    // Exactly the devices reported done are stored, each with its request and encrypted keys.
    await page.getByLabel('Hardware id', { exact: true }).fill('CANCEL-');
    await expect.poll(() => page.getByTestId('request-row').count(), { timeout: 60_000 }).toBe(done);
    const stored = await page.evaluate(async () => {
      const open = indexedDB.open('provkit');
      const db = await new Promise<IDBDatabase>((resolve) => (open.onsuccess = () => resolve(open.result)));
      const all = await new Promise<{ hardwareId: string; identityId?: string }[]>((resolve) => {
        const request = db.transaction('requests').objectStore('requests').getAll();
        request.onsuccess = () => resolve(request.result);
      });
      const identities = await new Promise<string[]>((resolve) => {
        const request = db.transaction('identities').objectStore('identities').getAllKeys();
        request.onsuccess = () => resolve(request.result as string[]);
      });
      db.close();
      const cancelled = all.filter((r) => r.hardwareId.startsWith('CANCEL-'));
      return { requests: cancelled.length, withIdentity: cancelled.filter((r) => r.identityId !== undefined && identities.includes(r.identityId)).length };
    });
    expect(stored).toEqual({ requests: done, withIdentity: done });
  });

  it('keeps whole devices when the page reloads mid-batch', async () => {
    const { page } = browser;
    const ids = Array.from({ length: 30 }, (_, i) => `RELOAD-${i + 1}`);
    await generateRequests(page, ids, 'standard', false);
    // The counts of this batch (30 items), not those left on screen by the batch before.
    await expect.poll(async () => /^(\d+) of 30 processed/.exec((await page.getByTestId('batch-counts').textContent()) ?? '')?.[1] ?? '0', { timeout: 60_000 }).toSatisfy((done: string) => Number(done) >= 3);
    await page.reload();
    await page.locator('main h1').waitFor();
    const stored = await page.evaluate(async () => {
      const open = indexedDB.open('provkit');
      const db = await new Promise<IDBDatabase>((resolve) => (open.onsuccess = () => resolve(open.result)));
      const requests = await new Promise<{ hardwareId: string; identityId?: string }[]>((resolve) => {
        const request = db.transaction('requests').objectStore('requests').getAll();
        request.onsuccess = () => resolve(request.result);
      });
      const identities = await new Promise<string[]>((resolve) => {
        const request = db.transaction('identities').objectStore('identities').getAllKeys();
        request.onsuccess = () => resolve(request.result as string[]);
      });
      db.close();
      const reloaded = requests.filter((r) => r.hardwareId.startsWith('RELOAD-'));
      return {
        requests: reloaded.length,
        whole: reloaded.filter((r) => r.identityId !== undefined && identities.includes(r.identityId)).length,
        orphanIdentities: identities.filter((id) => !requests.some((r) => r.identityId === id)).length,
      };
    });
    expect(stored.requests).toBeGreaterThanOrEqual(3);
    expect(stored.requests).toBeLessThan(ids.length);
    expect(stored.whole).toBe(stored.requests);
    expect(stored.orphanIdentities).toBe(0);
  });
});
