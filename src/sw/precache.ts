import { cleanupOutdatedCaches, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { setCacheNameDetails } from 'workbox-core';
import { CACHE_PREFIX, CACHE_VERSION } from './version.js';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (PrecacheEntry | string)[] };

/**
 * Installs the precache: every JS, CSS, HTML, .wasm, worker and icon file of the build,
 * listed by vite-plugin-pwa at build time in place of `self.__WB_MANIFEST`.
 */
export function installPrecache(): void {
  setCacheNameDetails({ prefix: CACHE_PREFIX, suffix: CACHE_VERSION, precache: 'precache', runtime: 'runtime' });
  // Deletes precaches written by workbox versions with another cache layout.
  cleanupOutdatedCaches();
  precacheAndRoute(self.__WB_MANIFEST);
}
