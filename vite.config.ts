import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { defineConfig, type Plugin } from 'vite';

/**
 * Relaxes style-src on the dev server only, where Vite injects CSS through <style> elements
 * for hot reload. The build keeps the strict policy of index.html.
 */
function devStylePolicy(): Plugin {
  return {
    name: 'provkit-dev-style-policy',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  };
}

/**
 * Builds the browser workbench. The service worker (src/sw/sw.ts) is compiled by
 * vite-plugin-pwa's injectManifest strategy, which writes the precache list into it.
 */
export default defineConfig({
  // Relative asset URLs so the app also runs from a sub-path of a static web server.
  base: './',
  plugins: [
    devStylePolicy(),
    svelte({
      // Component styles go to .css files: the CSP (style-src 'self') rejects <style> injection.
      emitCss: true,
      compilerOptions: { css: 'external' },
    }),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      // main.ts registers the worker through workbox-window, so no inline register script.
      injectRegister: false,
      registerType: 'prompt',
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,wasm,png,svg,webmanifest}'],
        // The crypto WASM module and the batch chunks exceed workbox's 2 MiB default on a debug build.
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        rollupFormat: 'iife',
      },
      manifest: {
        name: 'provkit workbench',
        short_name: 'provkit',
        description: 'Offline provisioning workbench: packages, requests, profiles and a lab issuer.',
        start_url: './',
        scope: './',
        display: 'standalone',
        background_color: '#f6f7f9',
        theme_color: '#1f4e5f',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
    }),
  ],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: false,
  },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
