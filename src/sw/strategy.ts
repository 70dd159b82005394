import { createHandlerBoundToURL } from 'workbox-precaching';
import { CacheFirst } from 'workbox-strategies';
import type { RouteHandler } from 'workbox-core';
import { RUNTIME_CACHE } from './version.js';

/**
 * Returns the handler for page navigations: the precached index.html, so a reload with the
 * network cut or the server gone still opens the app.
 */
export function navigationHandler(): RouteHandler {
  return createHandlerBoundToURL('index.html');
}

/**
 * Returns the strategy for same-origin files outside the precache list: served from the
 * versioned runtime cache after the first fetch. The app requests no other origin.
 */
export function runtimeStrategy(): CacheFirst {
  return new CacheFirst({ cacheName: RUNTIME_CACHE });
}
