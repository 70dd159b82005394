/**
 * The static server and Chromium launcher shared by the end-to-end tests and the app
 * benchmark: the built app on 127.0.0.1 at a free port, and Debian's Chromium through
 * playwright-core with a fresh user-data-dir. Imports nothing from vitest.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/** A running static server for the built app. */
export interface AppServer {
  url: string;
  /** Stops the server and drops open connections, as when the laptop leaves the network. */
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1 at a free port (or `port`), like `vite preview` does. */
export async function serveStatic(root: string, port = 0): Promise<AppServer> {
  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      let file = path.join(root, decodeURIComponent(url.pathname));
      if (!file.startsWith(root)) {
        response.writeHead(403).end();
        return;
      }
      try {
        if (statSync(file).isDirectory()) file = path.join(file, 'index.html');
      } catch {
        response.writeHead(404).end('not found');
        return;
      }
      try {
        const body = await readFile(file);
        response.writeHead(200, {
          'content-type': MIME_TYPES[path.extname(file)] ?? 'application/octet-stream',
          'cache-control': 'no-cache',
        });
        response.end(body);
      } catch {
        response.writeHead(404).end('not found');
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: boundPort } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${boundPort}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A browser context on its own user-data-dir, with the page errors it collected. */
export interface Browser {
  context: BrowserContext;
  page: Page;
  userDataDir: string;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
  close(options?: { keepProfile?: boolean }): Promise<void>;
}

/** Launches Chromium with a new (or the given) user-data-dir and opens one page. */
export async function launchBrowser(userDataDir = mkdtempSync(path.join(tmpdir(), 'provkit-e2e-profile-'))): Promise<Browser> {
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 860 },
  });
  // Generous waits: the test machines are shared, and a busy moment must not fail a step.
  context.setDefaultTimeout(60_000);
  const problems: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  };
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  // Records CSP violations so a test can assert there are none.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return {
    context,
    page,
    userDataDir,
    problems,
    async close(options = {}) {
      await context.close();
      if (options.keepProfile !== true) rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

