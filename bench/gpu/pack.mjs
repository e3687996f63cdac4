// Packs what bench/gpu/run.sh needs on a GPU machine that has no Node and no network, within the
// device tool's 64 MiB transfer: this machine's Node binary (xz), the kit's CLI and the paper parity
// check bundled by esbuild, the `webgpu` package's Dawn binary for linux-x64, and the Vulkan loader.
// Packages the bench never calls (image decoding, spreadsheets, ONNX Runtime, Depth Anything,
// playwright) become empty modules. Run from the repository root after `npm run build`:
//   node bench/gpu/pack.mjs            -> bench/gpu/out/ (git-ignored), its size printed
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const OUT = 'bench/gpu/out';
const LIMIT = 64 * 2 ** 20;
const STUBS = ['sharp', 'xlsx', 'danfojs-node', 'onnxruntime-node', '@huggingface/transformers', 'playwright-core', 'esbuild', 'tslab', '@tensorflow/tfjs-node-gpu'];

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
// staged here, then one kit.tar.xz
const KIT = mkdtempSync(join(tmpdir(), 'dgiqa-gpu-pack-'));
mkdirSync(join(KIT, 'node_modules', 'webgpu', 'dist', 'linux-x64'), { recursive: true });
mkdirSync(join(KIT, 'lib'), { recursive: true });

const stubs = {
  name: 'stubs',
  setup(b) {
    const filter = new RegExp(`^(${STUBS.map((s) => s.replace(/[/.@-]/g, '\\$&')).join('|')})(/.*)?$`);
    b.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'stub' }));
    b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};
// the CLI without bin/dgiqa.js's check for dist/ (the bundle is the build)
const cli = "import { main } from './dist/src/cli/main.js'; main(process.argv.slice(2)).then((c) => process.exit(c ?? 0), (e) => { process.stderr.write(`dgiqa: ${e instanceof Error ? e.message : e}\\n`); process.exit(1); });";
for (const [entry, out] of [[{ stdin: { contents: cli, resolveDir: process.cwd(), sourcefile: 'dgiqa-entry.mjs' } }, 'dgiqa.mjs'], [{ entryPoints: ['bench/gpu/parity-paper.mjs'] }, 'parity-paper.mjs']]) {
  await build({
    ...entry, outfile: join(KIT, out), bundle: true, platform: 'node', format: 'esm', target: 'node20',
    external: ['webgpu'], plugins: [stubs], logLevel: 'error',
    // CommonJS packages inside an ES module bundle still call require() and read __dirname (tfjs's wasm loader)
    banner: { js: "import { createRequire as __kitRequire } from 'node:module'; import { fileURLToPath as __kitPath } from 'node:url'; const require = __kitRequire(import.meta.url); const __filename = __kitPath(import.meta.url); const __dirname = __kitPath(new URL('.', import.meta.url));" },
  });
}
// tfjs-backend-wasm looks for its binaries beside the bundle (the fallback backend, for a sanity run)
const wasmDir = 'node_modules/@tensorflow/tfjs-backend-wasm/dist';
for (const f of readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(KIT, f));
// src/backend/wasm/internals.ts checks the wasm backend's version in its package.json
mkdirSync(join(KIT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm'), { recursive: true });
copyFileSync('node_modules/@tensorflow/tfjs-backend-wasm/package.json', join(KIT, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'package.json'));
const webgpu = 'node_modules/webgpu';
for (const f of ['package.json', 'index.js']) copyFileSync(join(webgpu, f), join(KIT, 'node_modules', 'webgpu', f));
copyFileSync(join(webgpu, 'dist', 'linux-x64', 'dawn.node'), join(KIT, 'node_modules', 'webgpu', 'dist', 'linux-x64', 'dawn.node'));
copyFileSync(process.execPath, join(KIT, 'node'));
writeFileSync(join(KIT, 'node.version'), process.version + '\n');
// the Vulkan loader (the GPU machine may have the NVIDIA driver's Vulkan ICD without the loader)
const loader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/lib/x86_64-linux-gnu/libvulkan.so.1'].find(existsSync);
if (loader) copyFileSync(loader, join(KIT, 'lib', 'libvulkan.so.1'));
else process.stderr.write('no libvulkan.so.1 here (apt-get install libvulkan1): the GPU machine must have its own\n');

execFileSync('tar', ['-cJf', join(OUT, 'kit.tar.xz'), '-C', KIT, '.'], { stdio: 'inherit', env: { ...process.env, XZ_OPT: '-6 -T0' } });
rmSync(KIT, { recursive: true, force: true });
const size = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((s, f) => s + size(join(p, f)), 0) : statSync(p).size);
const total = size(OUT);
process.stdout.write(`${OUT}: ${(total / 2 ** 20).toFixed(1)} MiB (limit ${LIMIT / 2 ** 20} MiB with the rest of the carried paths)\n`);
if (total > LIMIT) process.exitCode = 1;
