// Depth providers and `dgiqa depth`: exact synthetic depth, precomputed folders (Depth Anything: depth-anything.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { depthCommand } from '../src/cli/depth.js';
import { captured } from './support/capture.js';
import { synthCommand } from '../src/cli/synth.js';
import { generateBenchmark, loadSynth, SYNTH_DEFAULT_SEED } from '../src/data/synth/index.js';
import { metricToModelMap, minMaxToUint8, mirroredDepthPath, openDepthProvider, withDepth } from '../src/depth/index.js';

let root = '';
let family = '';
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dgiqa-depth-'));
  await generateBenchmark({ outDir: join(root, 'synth'), seed: SYNTH_DEFAULT_SEED, family: 'A', scenes: 1, size: 192, levels: [1, 5], distortions: ['haze', 'gaussian_blur'], workers: 0 });
  family = join(root, 'synth', 'A');
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('scaling: min-max to 0..255, metric depth to near-bright inverse depth', () => {
  assert.deepEqual([...minMaxToUint8([2, 4, 6])], [0, 128, 255]);
  assert.deepEqual([...minMaxToUint8([3, 3])], [0, 0]);
  assert.deepEqual([...metricToModelMap(Float32Array.from([1, 2, 4]))], [255, 85, 0]);
});

test('synthetic: the scene depth for its clean and distorted images, near is bright', async () => {
  const provider = await openDepthProvider({ provider: 'synthetic', root: family });
  const records = await loadSynth(family);
  const r = records[0];
  assert.ok(r?.reference);
  const a = await provider.depthOf(r.image);
  const b = await provider.depthOf(r.reference);
  assert.deepEqual([a.width, a.height], [192, 192]);
  assert.deepEqual(a.data, b.data);
  assert.equal(Math.max(...a.data), 255);
  assert.equal(Math.min(...a.data), 0);
  // Family A: the floor at the bottom edge is near, the back wall at the top is far.
  const row = (y: number): number => a.data.subarray(y * 192, (y + 1) * 192).reduce((s, v) => s + v, 0) / 192;
  assert.ok(row(191) > row(0) + 100);
  // For the image pipeline: the scene's 16-bit file, larger = nearer, which it min-max scales itself.
  const [withMap] = await withDepth([r], provider);
  assert.equal(withMap?.depth, join(family, 'depth', 's000.png'));
  const small = await provider.depthOf(r.image, { width: 96, height: 64 });
  assert.deepEqual([small.width, small.height, small.data.length], [96, 64, 96 * 64]);
  await assert.rejects(provider.depthOf(join(root, 'elsewhere.png')), /is not an image of the synthetic benchmark/);
});

test('precomputed: maps mirror the image tree; a missing one is named', async () => {
  const images = join(root, 'ds');
  const maps = join(root, 'ds-depth');
  await mkdir(join(images, 'jpeg'), { recursive: true });
  await mkdir(join(maps, 'jpeg'), { recursive: true });
  await writeFile(join(images, 'jpeg', 'img1.bmp'), 'not read by the provider');
  await writeFile(join(images, 'jpeg', 'img2.bmp'), '');
  const u16 = Uint16Array.from({ length: 8 * 4 }, (_, i) => 1000 + 100 * i);
  await sharp(u16, { raw: { width: 8, height: 4, channels: 1 } }).toColourspace('grey16').png().toFile(join(maps, 'jpeg', 'img1.png'));
  assert.equal(mirroredDepthPath(images, maps, join(images, 'jpeg', 'img1.bmp')), join(maps, 'jpeg', 'img1.png'));
  const provider = await openDepthProvider({ provider: 'precomputed', imageRoot: images, depthRoot: maps });
  const m = await provider.depthOf(join(images, 'jpeg', 'img1.bmp'));
  assert.deepEqual([m.width, m.height, m.data[0], m.data[31]], [8, 4, 0, 255]);
  await assert.rejects(
    provider.depthOf(join(images, 'jpeg', 'img2.bmp')),
    (err: Error) => err.message.includes(join(maps, 'jpeg', 'img2.png')) && err.message.includes('missing depth map'),
  );
  await assert.rejects(provider.depthOf('/somewhere/else.png'), /is not under the image root/);
  assert.equal(await provider.pathOf(join(images, 'jpeg', 'img1.bmp')), join(maps, 'jpeg', 'img1.png'));
  await assert.rejects(withDepth([{ image: join(images, 'jpeg', 'img2.bmp') }], provider), /missing depth map/);
});

test('dgiqa depth: writes mirrored maps, skips them on a rerun, verifies a folder', async () => {
  const out = join(root, 'maps');
  const first = await captured(() => depthCommand(['synth', family, '--out', out]));
  assert.equal(first.code, 0);
  const summary = JSON.parse(first.last) as { images: number; written: number; skipped: number };
  assert.deepEqual([summary.images, summary.written, summary.skipped], [1 + 2 * 2, 5, 0]);
  const meta = await sharp(join(out, 'images', 's000_haze_5.png')).metadata();
  assert.deepEqual([meta.width, meta.channels, meta.depth], [192, 1, 'uchar']);
  const second = JSON.parse((await captured(() => depthCommand(['synth', family, '--out', out]))).last) as { written: number; skipped: number };
  assert.deepEqual([second.written, second.skipped], [0, 5]);
  // precomputed from a folder into itself: nothing to write, every map checked to exist.
  const check = JSON.parse((await captured(() => depthCommand(['synth', family, '--provider', 'precomputed', '--from', out, '--out', out]))).last) as { skipped: number };
  assert.equal(check.skipped, 5);
  // Normalizing the maps into a new folder gives the same maps (they already span 0..255).
  const copy = join(root, 'maps2');
  await captured(() => depthCommand(['synth', family, '--provider', 'precomputed', '--from', out, '--out', copy]));
  assert.deepEqual(await readFile(join(copy, 'images', 's000.png')), await readFile(join(out, 'images', 's000.png')));
});

test('dgiqa depth and synth: bad arguments are one clear error', async () => {
  await assert.rejects(depthCommand(['nope', root]), /unknown dataset "nope"/);
  await assert.rejects(depthCommand(['synth']), /expected <dataset> <root>/);
  await assert.rejects(depthCommand(['csiq', root, '--provider', 'synthetic']), /only for the embedded benchmark/);
  await assert.rejects(depthCommand(['csiq', root, '--provider', 'precomputed']), /needs --from DIR/);
  await assert.rejects(synthCommand(['--profile', 'huge']), /--profile must be smoke or demo/);
  await assert.rejects(synthCommand(['--seed', '-3']), /--seed must be an integer >= 0/);
  await assert.rejects(synthCommand(['--bogus']), /unknown option "--bogus"/);
  const help = await captured(() => synthCommand(['--help']));
  assert.equal(help.code, 0);
  assert.match(help.last, /^usage: dgiqa synth/);
  assert.ok(!(await stat(join(root, 'nothing')).then(() => true, () => false)));
});
