/**
 * Cache names carry this version, so a release that changes how responses are cached
 * starts from empty caches instead of reading entries written by an older layout.
 */
export const CACHE_VERSION = 'v1';

/** Prefix of every cache this service worker owns (`provkit-precache-v1`, `provkit-runtime-v1`). */
export const CACHE_PREFIX = 'provkit';

/** Name of the runtime cache for same-origin GET responses that are not in the precache list. */
export const RUNTIME_CACHE = `${CACHE_PREFIX}-runtime-${CACHE_VERSION}`;
