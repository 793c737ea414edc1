// Builds the Control Panel's pages (src/web) into dist/web: index.html and /assets/*, the static
// files the agent's panel server answers. Nothing is loaded from anywhere else.

import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import { precompress } from './precompress.ts';

const webRoot = fileURLToPath(new URL('.', import.meta.url));
const outDir = fileURLToPath(new URL('../../dist/web', import.meta.url));

export default defineConfig({
  root: webRoot,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false }), precompress(outDir)],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // ELK's layout worker is one large prebuilt script, loaded only when a chart is drawn.
    chunkSizeWarningLimit: 2000,
    assetsInlineLimit: 0,
  },
});
