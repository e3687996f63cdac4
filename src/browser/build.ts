// Builds the scoring page into a folder: index.html, page.js (esbuild's bundle of page.ts with
// TensorFlow.js and its WebGPU, WebGL and wasm backends) and the wasm binaries. The folder is static:
// any file server opens it (WebGPU needs a secure context: https, or http on localhost).
// esbuild, not a bundler of our own: it resolves the kit's `.js` specifiers to the `.ts` sources and
// honours the packages' "browser" fields, in about a second.
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import type { Plugin } from 'esbuild';
import { KIT_ROOT } from '../experiments/paths.js';

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

export interface PageBuild {
  dir: string;
  /** bytes of page.js */
  bundleBytes: number;
  /** Node modules the bundle's graph names and the page never calls (the checkpoint readers' file I/O) */
  stubbed: string[];
}

/**
 * `node:*` imports become empty modules: they come from the file-reading halves of modules whose
 * parsing halves the page uses. A call would fail with "... is not a function"; none is reachable.
 */
function nodeStubs(stubbed: Set<string>): Plugin {
  return {
    name: 'node-stubs',
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (args) => {
        stubbed.add(args.path);
        return { path: args.path, namespace: 'node-stub' };
      });
      b.onLoad({ filter: /.*/, namespace: 'node-stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
    },
  };
}

export async function buildPage(outDir: string): Promise<PageBuild> {
  await mkdir(outDir, { recursive: true });
  const stubbed = new Set<string>();
  const source = join(KIT_ROOT, 'src', 'browser');
  try {
    await build({
      entryPoints: [join(source, 'page.ts')],
      outfile: join(outDir, 'page.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
      // the kit's settings read process.env at import (util/faults.ts, through the checkpoint writer); the page has none
      define: { 'process.env': '{}' },
      plugins: [nodeStubs(stubbed)],
    });
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors?.[0];
    throw new Error(first ? `building the page: ${first.location ? `${first.location.file}:${first.location.line}: ` : ''}${first.text}` : `building the page: ${String(err)}`);
  }
  await copyFile(join(source, 'index.html'), join(outDir, 'index.html'));
  const wasmDir = join(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'), '..', 'dist');
  for (const f of WASM_FILES) await copyFile(join(wasmDir, f), join(outDir, f));
  return { dir: outDir, bundleBytes: (await stat(join(outDir, 'page.js'))).size, stubbed: [...stubbed].sort() };
}
