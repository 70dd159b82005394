import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, goTo, inputFile, launchBrowser, openApp, repoRoot, serveApp, type AppServer, type Browser } from './harness.js';
import { createLabSystem, expectMessage, exportLabPackage, importPackage, PACKAGE_PASSPHRASE, queueStates, unzip } from './flows.js';

const run = promisify(execFile);

/** Runs `node bin/provkit.mjs` with passphrases in environment variables, as the CLI requires. */
async function provkit(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [path.join(repoRoot, 'bin/provkit.mjs'), ...args], { cwd: repoRoot, env: { ...process.env, ...env }, timeout: 120_000 });
}

describe('browser and CLI interoperate', () => {
  let server: AppServer;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    server = await serveApp();
    browser = await launchBrowser();
    dir = mkdtempSync(path.join(tmpdir(), 'provkit-e2e-cli-'));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a CLI request and the CLI installs the browser profile', async () => {
    const { page } = browser;
    await openApp(page, server.url);
    await createLabSystem(page, 'CLI Plant');
    const packageZip = await exportLabPackage(page);
    await importPackage(page, packageZip);
    for (const [name, bytes] of Object.entries(unzip(packageZip.bytes))) writeFileSync(path.join(dir, name), bytes);

    // The device side in Node: the CLI makes the request and the pending identity.
    const env = { PROVKIT_PASSPHRASE: PACKAGE_PASSPHRASE, PROVKIT_NEW_PASSPHRASE: 'cli-device-passphrase' };
    await provkit(
      ['request', '--truststore', 'controller.mcts', '--profile', 'controller.mcpp', '--identity', 'controller.mcpip', '--hardware-id', 'CLI-0001', '--out', 'CLI-0001.mcpr', '--pending-out', 'CLI-0001.pending.mcpi'].map((arg) => (arg.includes('.mc') ? path.join(dir, arg) : arg)),
      env,
    );

    // The browser verifies and queues it, and its lab issuer approves it and issues the profile.
    await goTo(page, 'Requests');
    await page.getByTestId('request-input').setInputFiles(inputFile('CLI-0001.mcpr', readFileSync(path.join(dir, 'CLI-0001.mcpr'))));
    await expectMessage(page, '1 request(s) verified and queued.');
    expect(await queueStates(page)).toEqual({ 'CLI-0001': 'generated' });
    expect(await page.getByTestId('request-row').locator('td').nth(4).textContent()).toBe('Device file');

    await goTo(page, 'Lab issuer');
    await page.getByRole('button', { name: "Take from this browser's queue" }).click();
    await expectMessage(page, '1 of 1 request(s) accepted');
    await page.getByRole('button', { name: 'Approve CLI-0001' }).click();
    await expectMessage(page, 'CLI-0001 approved.');
    const profiles = await download(page, () => page.getByRole('button', { name: 'Issue and export 1 profile' }).click());
    writeFileSync(path.join(dir, 'CLI-0001.mcp'), unzip(profiles.bytes)['CLI-0001.mcp']!);

    // The CLI installs the browser-made profile into the final identity.
    const installEnv = { PROVKIT_PASSPHRASE: 'cli-device-passphrase' };
    await provkit(
      ['install', '--truststore', 'controller.mcts', '--request', 'CLI-0001.mcpr', '--pending', 'CLI-0001.pending.mcpi', '--profile', 'CLI-0001.mcp', '--identity-out', 'CLI-0001.mcpi', '--profile-out', 'CLI-0001.installed.mcp'].map((arg) => (arg.includes('.mc') ? path.join(dir, arg) : arg)),
      installEnv,
    );
    expect(readFileSync(path.join(dir, 'CLI-0001.installed.mcp'))).toEqual(readFileSync(path.join(dir, 'CLI-0001.mcp')));
    const inspected = await provkit(['inspect', path.join(dir, 'CLI-0001.mcpi'), '--json'], {});
    expect(inspected.stdout).toContain('CLI-0001');

    // The profile reaches the queue too: the technician imports it and the request moves on.
    await goTo(page, 'Profiles');
    await page.getByTestId('profile-input').setInputFiles(inputFile('CLI-0001.mcp', readFileSync(path.join(dir, 'CLI-0001.mcp'))));
    await expectMessage(page, '1 profile(s) verified and matched');
    expect(browser.problems).toEqual([]);
  });
});
