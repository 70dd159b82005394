import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ViteDevServer } from 'vite';
import { launchBrowser, repoRoot, type Browser } from './harness.js';

// The test page exposes these flows on window (tests/e2e/pages/wasm/main.ts).
interface CryptoWorkerTest {
  identityRoundTrip(): Promise<{ equal: boolean; kdf: object; wrongPassphrase: string; bytes: number }>;
  rfc9106Vector(): Promise<string>;
  sha256Hex(text: string): Promise<string>;
  abortDuringArgon2id(): Promise<{ aborted: string; queued: string; afterwards: string }>;
  abortBeforeStart(): Promise<string>;
}

let server: ViteDevServer;
let browser: Browser;

beforeAll(async () => {
  // A dev server for the test page only, on 127.0.0.1, serving the sources under src/ as modules.
  server = await createServer({
    configFile: false,
    root: path.join(repoRoot, 'tests/e2e/pages/wasm'),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port: 0, hmr: false, fs: { allow: [repoRoot] } },
  });
  await server.listen();
  browser = await launchBrowser();
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) throw new Error('the Vite dev server did not report its URL');
  await browser.page.goto(url);
  await browser.page.locator('#status', { hasText: 'ready' }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

function call<K extends keyof CryptoWorkerTest>(name: K, ...args: Parameters<CryptoWorkerTest[K]>): Promise<Awaited<ReturnType<CryptoWorkerTest[K]>>> {
  return browser.page.evaluate(
    ([method, parameters]) => {
      const api = (window as unknown as { cryptoWorkerTest: Record<string, (...values: unknown[]) => Promise<unknown>> }).cryptoWorkerTest;
      return api[method]!(...parameters);
    },
    [name, args] as [string, unknown[]],
  ) as Promise<Awaited<ReturnType<CryptoWorkerTest[K]>>>;
}

describe('crypto worker in Chromium', () => {
  it('computes the RFC 9106 Argon2id vector and SHA-256 in the worker', async () => {
    expect(await call('rfc9106Vector')).toBe('0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
    expect(await call('sha256Hex', 'abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('round-trips a private identity with Argon2id at the default cost', async () => {
    const result = await call('identityRoundTrip');
    expect(result.equal).toBe(true);
    expect(result.kdf).toEqual({ memoryKiB: 65536, passes: 3, lanes: 1 });
    expect(result.wrongPassphrase).toBe('decrypt-failed');
  });

  it('abort during Argon2id rejects with cancelled and keeps queued calls', async () => {
    const result = await call('abortDuringArgon2id');
    expect(result.aborted).toBe('cancelled');
    expect(result.queued).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(result.afterwards).toBe('0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
  });

  it('an already aborted signal rejects at once with cancelled', async () => {
    expect(await call('abortBeforeStart')).toBe('cancelled');
  });

  it('reports no page errors', () => {
    expect(browser.problems).toEqual([]);
  });
});
