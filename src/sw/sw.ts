/// <reference lib="webworker" />
import { clientsClaim } from 'workbox-core';
import { installPrecache } from './precache.js';
import { installRoutes } from './routing.js';

declare const self: ServiceWorkerGlobalScope;

installPrecache();
installRoutes();

// The first visit is controlled at once, so the app works offline after a single load.
clientsClaim();

// A new version waits until the page asks for it (the "update ready" button), so a
// technician in the middle of a batch is never switched to new code mid-way.
self.addEventListener('message', (event: ExtendableMessageEvent) => {
  if ((event.data as { type?: string } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});
