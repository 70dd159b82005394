// The browser app's figures. Sizes: gzipped JavaScript (first load and all of it) and .wasm.
// Load: time from navigation to a usable first screen with a warm service worker. Batch: 200
// devices generated in the browser (device worker), against the CLI (`node bin/provkit.mjs
// request`, one process per device) and against the same core in one Node process.
// Chromium is Debian's /usr/bin/chromium driven by playwright-core. All of it runs on the same
// machine in one run, with the same Argon2id cost (provkit's floor: 19 MiB, 2 passes).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { unzipSync } from 'fflate';
import { launchBrowser, serveStatic } from '../../tests/e2e/browser.js';
import { loadCryptoWasmFromFile } from '../../src/node/wasm-loader.js';
import { argon2idKdf } from '../../src/crypto/wasm.js';
import { generateProvisionRequestBatch, initialiseDevice } from '../../src/provisioning/device.js';
import { ARGON2ID_FLOOR } from '../../src/formats/identity.js';

const execFileAsync = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
const BATCH = 200;
const CLI_SAMPLE = 10;
const LOAD_RUNS = 15;
const PACKAGE_PASSPHRASE = 'bench-package-passphrase';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Sizes of the build: the JS index.html loads, all JS (screens, workers, service worker), and the .wasm. */
function measureSizes(dist: string): { initialJs: number; totalJs: number; wasm: number; files: number } {
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  const entry = [...html.matchAll(/<script[^>]+src="\.\/(assets\/[^"]+\.js)"/g)].map((match) => match[1]!);
  const preloads = [...html.matchAll(/<link rel="modulepreload"[^>]+href="\.\/(assets\/[^"]+\.js)"/g)].map((match) => match[1]!);
  const gz = (file: string) => gzipSync(readFileSync(path.join(dist, file)), { level: 9 }).length;
  const assets = readdirSync(path.join(dist, 'assets'));
  const js = [...assets.filter((name) => name.endsWith('.js')).map((name) => `assets/${name}`), 'sw.js'];
  return {
    initialJs: [...new Set([...entry, ...preloads])].reduce((sum, file) => sum + gz(file), 0),
    totalJs: js.reduce((sum, file) => sum + gz(file), 0),
    wasm: assets.filter((name) => name.endsWith('.wasm')).reduce((sum, name) => sum + gz(`assets/${name}`), 0),
    files: js.length,
  };
}

/** Builds the app, measures it in Chromium and the CLI, and returns the section for docs/benchmarks.md. */
export async function run(): Promise<{ title: string; markdown: string }> {
  const dist = mkdtempSync(path.join(tmpdir(), 'provkit-bench-dist-'));
  const work = mkdtempSync(path.join(tmpdir(), 'provkit-bench-app-'));
  const previousEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  await build({ root, configFile: path.join(root, 'vite.config.ts'), mode: 'production', logLevel: 'error', build: { outDir: dist, emptyOutDir: true } });
  process.env.NODE_ENV = previousEnv;
  const sizes = measureSizes(dist);

  const server = await serveStatic(dist);
  const browser = await launchBrowser();
  try {
    const { page } = browser;
    // Warm the service worker: the first visit installs it and precaches the build.
    await page.goto(`${server.url}#/packages`);
    await page.locator('[data-testid="offline-status"][data-ready="true"]').waitFor();
    const loads: number[] = [];
    for (let i = 0; i < LOAD_RUNS; i++) {
      await page.reload();
      await page.locator('main h1').waitFor();
      loads.push(await page.evaluate(() => performance.getEntriesByName('provkit-usable')[0]?.startTime ?? Number.NaN));
    }

    // A lab system and its package, made through the UI.
    await page.goto(`${server.url}#/lab`);
    await page.getByLabel('Name', { exact: true }).fill('Bench Plant');
    await page.getByLabel('Approval').selectOption('automatic');
    await page.getByLabel(/^CA passphrase/).fill('bench-ca-passphrase');
    await page.getByRole('button', { name: 'Create system' }).click();
    await page.getByText('System Bench Plant created', { exact: false }).waitFor({ timeout: 120_000 });
    await page.getByLabel(/^Package passphrase/).fill(PACKAGE_PASSPHRASE);
    const [packageDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export package (.zip)' }).click()]);
    const packageZip = readFileSync(await packageDownload.path());
    const files = unzipSync(packageZip);
    for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(work, name), bytes);

    await page.goto(`${server.url}#/packages`);
    await page.getByTestId('package-input').setInputFiles({ name: 'package.zip', mimeType: 'application/zip', buffer: packageZip });
    await page.getByLabel(/^Package passphrase/).fill(PACKAGE_PASSPHRASE);
    await page.getByRole('button', { name: 'Check and import' }).click();
    await page.getByText('checked and stored', { exact: false }).waitFor({ timeout: 120_000 });

    // Browser batch: from the click to the message that all 200 are stored.
    await page.goto(`${server.url}#/requests`);
    const ids = Array.from({ length: BATCH }, (_, i) => `BENCH-${String(i + 1).padStart(4, '0')}`);
    await page.getByLabel(/^Hardware ids/).fill(ids.join('\n'));
    await page.getByLabel('Package passphrase').fill(PACKAGE_PASSPHRASE);
    await page.getByLabel(/^Passphrase for the new device keys/).fill('bench-device-passphrase');
    await page.getByLabel('Key encryption cost').selectOption('fast');
    const browserStart = performance.now();
    await page.getByRole('button', { name: /^Generate \d+ requests/ }).click();
    await page.getByText(`${BATCH} request(s) generated.`).waitFor({ timeout: 600_000 });
    const browserMs = performance.now() - browserStart;

    // CLI: one process per device, as a script around the command would run it.
    const cliRuns: number[] = [];
    const env = { ...process.env, PROVKIT_PASSPHRASE: PACKAGE_PASSPHRASE, PROVKIT_NEW_PASSPHRASE: 'bench-device-passphrase' };
    for (let i = 0; i < CLI_SAMPLE; i++) {
      const start = performance.now();
      await execFileAsync(process.execPath, [
        path.join(root, 'bin/provkit.mjs'), 'request',
        '--truststore', path.join(work, 'controller.mcts'), '--profile', path.join(work, 'controller.mcpp'), '--identity', path.join(work, 'controller.mcpip'),
        '--hardware-id', `CLI-${i}`, '--out', path.join(work, `CLI-${i}.mcpr`), '--pending-out', path.join(work, `CLI-${i}.mcpi`),
        '--kdf-memory', String(ARGON2ID_FLOOR.memoryKiB), '--kdf-passes', String(ARGON2ID_FLOOR.passes),
      ], { env });
      cliRuns.push(performance.now() - start);
    }

    // The same core in one Node process: the CLI's work without a process start per device.
    await loadCryptoWasmFromFile();
    const nodeStart = performance.now();
    const device = await initialiseDevice(
      { trustStore: files['controller.mcts']!, profile: files['controller.mcpp']!, identity: files['controller.mcpip']! },
      { kdf: argon2idKdf, passphrase: PACKAGE_PASSPHRASE, hardwareId: 'NODE-0000' },
    );
    await generateProvisionRequestBatch(device, ids.map((id) => id.replace('BENCH', 'NODE')), { kdf: argon2idKdf, kdfParameters: ARGON2ID_FLOOR, passphrase: 'bench-device-passphrase' });
    const nodeMs = performance.now() - nodeStart;

    const cliPerDevice = median(cliRuns);
    const cliProjected = cliPerDevice * BATCH;
    const markdown = [
      `Build gzipped (level 9): first-load JavaScript ${kib(sizes.initialJs)}; all JavaScript ${kib(sizes.totalJs)} in ${sizes.files} files (screens, device and crypto workers, service worker); crypto .wasm ${kib(sizes.wasm)}.`,
      '',
      '| measurement | median | notes |',
      '|---|---|---|',
      `| navigation to usable first screen, warm service worker | ${median(loads).toFixed(0)} ms | ${LOAD_RUNS} reloads, \`performance.mark('provkit-usable')\` |`,
      `| ${BATCH} devices generated in the browser (device worker, each stored in IndexedDB) | ${(browserMs / 1000).toFixed(1)} s | ${(browserMs / BATCH).toFixed(0)} ms per device, from click to "all generated" |`,
      `| ${BATCH} devices through the CLI, one process each | ${(cliProjected / 1000).toFixed(1)} s (projected) | ${cliPerDevice.toFixed(0)} ms per device, median of ${CLI_SAMPLE} runs times ${BATCH} |`,
      `| ${BATCH} devices with the core in one Node process | ${(nodeMs / 1000).toFixed(1)} s | ${(nodeMs / BATCH).toFixed(0)} ms per device |`,
      '',
      `The browser batch took ${(browserMs / cliProjected).toFixed(3)} times the projected CLI time and ${(browserMs / nodeMs).toFixed(2)} times the time of the core in one Node process. Every device: two P-256 keys and CSRs, a signed .mcpr and a pending .mcpi under Argon2id m = ${ARGON2ID_FLOOR.memoryKiB} KiB, t = ${ARGON2ID_FLOOR.passes}.`,
    ].join('\n');
    return { title: 'Browser app', markdown };
  } finally {
    await browser.close();
    await server.close();
    rmSync(dist, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
