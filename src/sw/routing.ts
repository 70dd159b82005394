import { NavigationRoute, registerRoute } from 'workbox-routing';
import { navigationHandler, runtimeStrategy } from './strategy.js';

declare const self: ServiceWorkerGlobalScope;

/** Registers the routes after the precache route: navigations to index.html, then same-origin GETs. */
export function installRoutes(): void {
  registerRoute(new NavigationRoute(navigationHandler()));
  registerRoute(
    ({ url, request }) => url.origin === self.location.origin && request.method === 'GET',
    runtimeStrategy(),
  );
}
