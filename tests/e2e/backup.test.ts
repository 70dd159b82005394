import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, goTo, inputFile, launchBrowser, openApp, screenshot, serveApp, type AppServer, type Browser } from './harness.js';
import { createLabSystem, expectMessage, exportLabPackage, generateRequests, importPackage, queueStates } from './flows.js';

describe('backup and restore', () => {
  let server: AppServer;
  let first: Browser;
  let second: Browser;

  beforeAll(async () => {
    server = await serveApp();
    first = await launchBrowser();
    second = await launchBrowser();
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await server?.close();
  });

  it('moves the queue to another browser profile', async () => {
    await openApp(first.page, server.url);
    await createLabSystem(first.page, 'Moving Plant');
    await importPackage(first.page, await exportLabPackage(first.page));
    await generateRequests(first.page, ['MOVE-1', 'MOVE-2']);
    const expected = await queueStates(first.page);

    await goTo(first.page, 'Settings');
    await first.page.getByLabel(/^Backup passphrase/).fill('backup passphrase 1');
    await first.page.getByLabel('Repeat the passphrase').fill('backup passphrase 1');
    const backup = await download(first.page, () => first.page.getByRole('button', { name: 'Download backup' }).click());
    expect(backup.name).toMatch(/^provkit-backup-\d{8}-\d{4}\.pkbackup$/);
    expect(new TextDecoder().decode(backup.bytes.subarray(0, 8))).toBe('PKBACKUP');
    // The passphrases and keys are not readable in the file.
    expect(Buffer.from(backup.bytes).includes(Buffer.from('MOVE-1'))).toBe(false);

    // The other "laptop": a fresh profile restores the backup.
    await openApp(second.page, server.url, 'settings');
    await second.page.getByTestId('restore-input').setInputFiles(inputFile(backup.name, backup.bytes));
    await second.page.getByTestId('restore-preview').waitFor();
    expect(await second.page.getByTestId('restore-preview').textContent()).toContain('Requests2');
    await second.page.getByLabel('Backup passphrase', { exact: true }).fill('wrong passphrase');
    await second.page.getByLabel('Replace everything stored here').check();
    await second.page.getByRole('button', { name: 'Restore backup' }).click();
    await second.page.locator('.message.error[data-code="decrypt-failed"]').waitFor();
    await second.page.getByLabel('Backup passphrase', { exact: true }).fill('backup passphrase 1');
    await second.page.getByRole('button', { name: 'Restore backup' }).click();
    await expectMessage(second.page, 'restored: 2 requests, 1 packages');
    await screenshot(second.page, 'settings-restored');

    await goTo(second.page, 'Requests');
    await second.page.getByTestId('request-row').first().waitFor();
    expect(await queueStates(second.page)).toEqual(expected);
    // The restored lab issuer still lists its system.
    await goTo(second.page, 'Lab issuer');
    await expect.poll(() => second.page.locator('#lab-system option').allTextContents(), { timeout: 60_000 }).toEqual(['Moving Plant']);
    expect(first.problems).toEqual([]);
    expect(second.problems).toEqual([]);
  });
});
