// A Vite plugin that writes a Brotli and a gzip copy next to every built script, style and page, so
// that the panel server sends them compressed to browsers that accept it (ELK's layout worker is
// 1.6 MB as text, about 350 kB with Brotli). Compressed once at build time, never per request.

import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

const compressible = /\.(?:js|css|html|svg|json)$/u;

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * @example plugins: [precompress(outDir)]
 */
export function precompress(outDir: string): Plugin {
  return {
    name: 'gravity-precompress',
    apply: 'build',
    closeBundle() {
      for (const file of filesUnder(outDir).filter((path) => compressible.test(path))) {
        const content = readFileSync(file);
        writeFileSync(`${file}.br`, brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }));
      }
    },
  };
}
