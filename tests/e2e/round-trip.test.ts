import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, goTo, inputFile, launchBrowser, openApp, screenshot, serveApp, type AppServer, type Browser } from './harness.js';
import {
  CA_PASSPHRASE,
  PACKAGE_PASSPHRASE,
  createLabSystem,
  expectMessage,
  exportAllRequests,
  exportLabPackage,
  generateRequests,
  IDENTITY_PASSPHRASE,
  importPackage,
  parseCsv,
  queueStates,
  unzip,
} from './flows.js';

const HARDWARE_IDS = ['SN-1001', 'SN-1002', 'SN-1003'];

describe('disconnected round trip', () => {
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

  it('runs from lab system to report through the UI only', async () => {
    const { page } = browser;

    // Lab: a system in manual mode, and its package exported as a file.
    await createLabSystem(page, 'Plant A');
    const packageZip = await exportLabPackage(page);
    expect(packageZip.name).toBe('Plant_A-controller-package.zip');
    expect(Object.keys(unzip(packageZip.bytes)).sort()).toEqual(['controller.mcpip', 'controller.mcpp', 'controller.mcts']);
    await screenshot(page, 'lab-system-created');

    // Technician: re-import the package, generate requests for three devices, export them.
    await importPackage(page, packageZip);
    await screenshot(page, 'packages-imported');
    await generateRequests(page, HARDWARE_IDS);
    expect(await queueStates(page)).toEqual({ 'SN-1001': 'generated', 'SN-1002': 'generated', 'SN-1003': 'generated' });
    const requestsZip = await exportAllRequests(page);
    expect(Object.keys(unzip(requestsZip.bytes)).sort()).toEqual(['SN-1001.mcpr', 'SN-1002.mcpr', 'SN-1003.mcpr']);
    await expectMessage(page, 'exported as a .zip');
    expect(Object.values(await queueStates(page))).toEqual(['exported', 'exported', 'exported']);
    await screenshot(page, 'requests-exported');

    // Lab: take the files, reject one with a reason, approve the others, issue profiles.
    await goTo(page, 'Lab issuer');
    await page.getByTestId('lab-request-input').setInputFiles(inputFile(requestsZip.name, requestsZip.bytes));
    await expectMessage(page, '3 of 3 request(s) accepted');
    await page.getByLabel('Reason for rejecting SN-1002').fill('unit failed burn-in test');
    await page.getByRole('button', { name: 'Reject SN-1002' }).click();
    await expectMessage(page, 'SN-1002 rejected.');
    await page.getByRole('button', { name: 'Approve SN-1001' }).click();
    await expectMessage(page, 'SN-1001 approved.');
    await page.getByRole('button', { name: 'Approve SN-1003' }).click();
    await expectMessage(page, 'SN-1003 approved.');
    await screenshot(page, 'lab-decisions');
    const profilesZip = await download(page, () => page.getByRole('button', { name: 'Issue and export 2 profiles' }).click());
    expect(Object.keys(unzip(profilesZip.bytes)).sort()).toEqual(['SN-1001.mcp', 'SN-1003.mcp']);
    await expectMessage(page, '2 Certified Profile(s) issued');

    // The queue followed the lab's decisions.
    await goTo(page, 'Requests');
    expect(await queueStates(page)).toEqual({ 'SN-1001': 'approved', 'SN-1002': 'rejected', 'SN-1003': 'approved' });

    // Technician: import the profiles, produce the final identities, hand them over, complete.
    await goTo(page, 'Profiles');
    await page.getByTestId('profile-input').setInputFiles(inputFile(profilesZip.name, profilesZip.bytes));
    await expectMessage(page, '2 profile(s) verified and matched');
    await page.getByLabel('Select all profiles').check();
    await page.getByLabel(/^Passphrase of the device keys/).fill(IDENTITY_PASSPHRASE);
    await page.getByRole('button', { name: 'Produce final identities' }).click();
    await expectMessage(page, '2 final identities produced.');
    const finalZip = await download(page, () => page.getByRole('button', { name: 'Export .mcpi and .mcp (.zip)' }).click());
    expect(Object.keys(unzip(finalZip.bytes)).sort()).toEqual(['SN-1001.mcp', 'SN-1001.mcpi', 'SN-1003.mcp', 'SN-1003.mcpi']);
    expect(unzip(finalZip.bytes)['SN-1001.mcp']).toEqual(unzip(profilesZip.bytes)['SN-1001.mcp']);
    await page.getByRole('button', { name: 'Mark completed' }).click();
    await expectMessage(page, 'Marked completed.');
    await screenshot(page, 'profiles-completed');
    await goTo(page, 'Requests');
    expect(await queueStates(page)).toEqual({ 'SN-1001': 'completed', 'SN-1002': 'rejected', 'SN-1003': 'completed' });
    // Filters and search narrow the queue.
    await page.getByLabel('State', { exact: true }).selectOption('rejected');
    expect(await queueStates(page)).toEqual({ 'SN-1002': 'rejected' });
    expect(await page.getByTestId('request-row').locator('td').nth(3).textContent()).toContain('unit failed burn-in test');
    await page.getByLabel('State', { exact: true }).selectOption('');
    await page.getByLabel('Hardware id', { exact: true }).fill('1003');
    expect(await queueStates(page)).toEqual({ 'SN-1003': 'completed' });
    await page.getByLabel('Component', { exact: true }).selectOption('controller');
    expect(await queueStates(page)).toEqual({ 'SN-1003': 'completed' });
    await page.getByLabel('Hardware id', { exact: true }).fill('');

    // Lab: the devices confirmed; mark them provisioned and export the report.
    await goTo(page, 'Lab issuer');
    await page.getByRole('button', { name: 'Mark SN-1001 provisioned' }).click();
    await expectMessage(page, 'SN-1001 marked provisioned.');
    await page.getByRole('button', { name: 'Mark SN-1003 provisioned' }).click();
    await expectMessage(page, 'SN-1003 marked provisioned.');
    const reportFile = await download(page, () => page.getByRole('button', { name: 'Export report (CSV)' }).click());
    expect(reportFile.name).toMatch(/^provkit-Plant_A-report-\d{8}-\d{4}\.csv$/);
    await screenshot(page, 'lab-report');

    const rows = parseCsv(new TextDecoder().decode(reportFile.bytes));
    const requestIds = await page.evaluate(async () => {
      const open = indexedDB.open('provkit');
      const db = await new Promise<IDBDatabase>((resolve) => (open.onsuccess = () => resolve(open.result)));
      const all = await new Promise<{ id: string; hardwareId: string }[]>((resolve) => {
        const request = db.transaction('requests').objectStore('requests').getAll();
        request.onsuccess = () => resolve(request.result);
      });
      db.close();
      return Object.fromEntries(all.map((r) => [r.hardwareId, r.id]));
    });
    const systemId = rows[0]!['system_id']!;
    expect(systemId).toMatch(/^[0-9a-f-]{36}$/);
    expect(rows.map((row) => [row['system_id'], row['hardware_id'], row['component'], row['state'], row['request_id'], row['request_count'], row['rejection_reason'], row['failure_code']])).toEqual([
      [systemId, 'SN-1001', 'controller', 'provisioned', requestIds['SN-1001'], '1', '', ''],
      [systemId, 'SN-1002', 'controller', 'rejected', requestIds['SN-1002'], '1', 'unit failed burn-in test', ''],
      [systemId, 'SN-1003', 'controller', 'provisioned', requestIds['SN-1003'], '1', '', ''],
    ]);
    // Each provisioned device has both roles' serials and expiry dates; the rejected one has none.
    for (const row of [rows[0]!, rows[2]!]) {
      expect(row['certificate_serials']).toMatch(/^identity=[0-9a-f]+;tls=[0-9a-f]+$/);
      expect(row['certificate_expiry']).toMatch(/^identity=\d{4}-\d\d-\d\dT[\d:.]+Z;tls=\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      for (const column of ['verifying_at', 'needs_approval_at', 'approved_at', 'provisioning_at', 'provisioned_at']) expect(row[column], column).not.toBe('');
      expect(row['rejected_at']).toBe('');
    }
    expect(rows[1]!['certificate_serials']).toBe('');
    expect(rows[1]!['rejected_at']).not.toBe('');
    expect(rows[1]!['approved_at']).toBe('');

    // The log records every step and contains no passphrase.
    await goTo(page, 'Log');
    await page.getByLabel('Show').selectOption('debug');
    const logFile = await download(page, () => page.getByRole('button', { name: 'Export as text' }).click());
    const logText = new TextDecoder().decode(logFile.bytes);
    for (const line of ['request created', 'package imported', 'profile imported', 'final identity produced', 'requests completed']) expect(logText).toContain(line);
    for (const secret of [CA_PASSPHRASE, PACKAGE_PASSPHRASE, IDENTITY_PASSPHRASE]) expect(logText).not.toContain(secret);
    await screenshot(page, 'log-after-round-trip');
    expect(browser.problems).toEqual([]);
  });
});
