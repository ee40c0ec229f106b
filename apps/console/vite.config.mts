import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The console: Preact + Vite, built into dist/console (which the API serves at /console).
 * JSX goes through Vite's own Oxc transform with Preact's automatic runtime, so no Babel.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small app: a single chunk, no inline module-preload polyfill (the CSP allows no inline script).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
});
