// The `depth-anything` provider: its resizes against OpenCV, the official post-processing, and the
// whole path (model folder -> ONNX Runtime -> 8-bit maps) on a stand-in model made here, through
// the library, `dgiqa depth` and `dgiqa score`. The real Depth Anything cannot be downloaded here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { depthCommand } from '../src/cli/depth.js';
import { scoreCommand } from '../src/cli/score.js';
import { depthAnythingInput, depthAnythingInputSize, depthAnythingToUint8, openDepthProvider } from '../src/depth/index.js';
import { resizeBilinear, resizeCubic } from '../src/depth/resample.js';
import { encodeBmp } from './support/dataFixtures.js';
import { captured } from './support/capture.js';
import { FIXTURES, TINY } from './support/fixtures.js';
import { writeDepthModelFolder } from './support/onnxDepthModel.js';

interface Cv2Expected {
  sizes: { in: [number, number]; out: [number, number] }[];
  rgb: { shape: [number, number, number]; data: number[] };
  grey: { shape: [number, number]; data: number[] };
  cubic: { out: [number, number]; data: number[] }[];
  linear: { out: [number, number]; data: number[] }[];
}
const cv2 = JSON.parse(readFileSync(join(FIXTURES, 'cv2-resize', 'expected.json'), 'utf8')) as Cv2Expected;

function assertAllClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  assert.ok(worst <= tol, `${what}: max abs difference ${worst} > ${tol}`);
}

let root = '';
let modelDir = '';
const W = 40, H = 30;
/** A horizontal brightness ramp: the stand-in model's depth grows left to right, not top to bottom. */
const ramp = new Uint8Array(W * H * 3).map((_, i) => Math.round((Math.floor(i / 3) % W) * 255 / (W - 1)));

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dgiqa-da-'));
  modelDir = join(root, 'depth-anything-stand-in');
  await writeDepthModelFolder(modelDir);
  await mkdir(join(root, 'images', 'sub'), { recursive: true });
  await sharp(ramp, { raw: { width: W, height: H, channels: 3 } }).png().toFile(join(root, 'images', 'ramp.png'));
  await writeFile(join(root, 'images', 'sub', 'ramp.bmp'), encodeBmp({ width: W, height: H, data: ramp }, { bpp: 24 }));
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('resizes match OpenCV: INTER_CUBIC for the input, bilinear (align_corners=False) for the output', () => {
  const [h, w, c] = cv2.rgb.shape;
  for (const { out, data } of cv2.cubic) assertAllClose(resizeCubic(cv2.rgb.data, h, w, c, out[0], out[1]), data, 1e-6, `cubic ${h}x${w} -> ${out.join('x')}`);
  const [gh, gw] = cv2.grey.shape;
  for (const { out, data } of cv2.linear) assertAllClose(resizeBilinear(cv2.grey.data, gh, gw, out[0], out[1]), data, 1e-6, `linear ${gh}x${gw} -> ${out.join('x')}`);
  for (const s of cv2.sizes) assert.deepEqual(depthAnythingInputSize(s.in[0], s.in[1]), s.out, `input size of ${s.in.join('x')}`);
});

test('model input: the official size, CHW, ImageNet-normalized', () => {
  const flat = depthAnythingInput({ width: 50, height: 20, data: new Uint8Array(50 * 20 * 3).map((_, i) => [128, 64, 200][i % 3] as number) });
  assert.deepEqual([flat.width, flat.height], [1288, 518]); // 1295 / 14 = 92.5 rounds to even, as numpy does
  const plane = flat.width * flat.height;
  assert.equal(flat.data.length, 3 * plane);
  const mean = [0.485, 0.456, 0.406], std = [0.229, 0.224, 0.225];
  [128, 64, 200].forEach((v, c) => {
    const expected = (v / 255 - (mean[c] as number)) / (std[c] as number);
    for (const i of [0, 777, plane - 1]) assert.ok(Math.abs((flat.data[c * plane + i] as number) - expected) < 1e-5, `channel ${c} at ${i}`);
  });
});

test('post-processing: min-max with the 1e-8 guard, times 255, truncated', () => {
  assert.deepEqual([...depthAnythingToUint8([0, 0.5, 1])], [0, 127, 254]);
  // the guard only shows on small ranges: a range of 1 tops out at 254, a huge one at 255
  assert.deepEqual([...depthAnythingToUint8([-3, 7, 1e9])], [0, 0, 255]);
  assert.deepEqual([...depthAnythingToUint8([2, 2])], [0, 0]);
  assert.throws(() => depthAnythingToUint8([0, Number.NaN]), /non-finite/);
});

test('a model folder: maps the size of the image, oriented, PNG and BMP alike, cached by pathOf', async () => {
  const mapCache = join(root, 'cache');
  const provider = await openDepthProvider({ provider: 'depth-anything', model: modelDir, mapCache });
  try {
    assert.match(provider.source, /depth-anything-stand-in\/onnx\/model\.onnx, fp32/);
    const png = await provider.depthOf(join(root, 'images', 'ramp.png'));
    assert.deepEqual([png.width, png.height, png.data.length], [W, H, W * H]);
    const row = (y: number): number[] => [...png.data.subarray(y * W, (y + 1) * W)];
    for (let y = 1; y < H; y++) assert.deepEqual(row(y), row(0), `row ${y} equals row 0 (the ramp is horizontal)`);
    const r0 = row(0);
    for (let x = 1; x < W; x++) assert.ok((r0[x] as number) > (r0[x - 1] as number), `depth grows left to right at x=${x}`);
    assert.deepEqual([r0[0], r0[W - 1]], [0, 254]);
    const bmp = await provider.depthOf(join(root, 'images', 'sub', 'ramp.bmp'));
    assert.deepEqual(bmp.data, png.data);
    const small = await provider.depthOf(join(root, 'images', 'ramp.png'), { width: 20, height: 10 });
    assert.deepEqual([small.width, small.height], [20, 10]);

    const path = await provider.pathOf(join(root, 'images', 'ramp.png'));
    assert.ok(path.startsWith(mapCache));
    const meta = await sharp(path).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels, meta.depth], [W, H, 1, 'uchar']);
    const data = await sharp(path).extractChannel(0).raw().toBuffer();
    assert.deepEqual(new Uint8Array(data), png.data);
    const made = (await stat(path)).mtimeMs;
    assert.equal(await provider.pathOf(join(root, 'images', 'ramp.png')), path);
    assert.equal((await stat(path)).mtimeMs, made, 'a cached map is not made again');
    await assert.rejects(provider.pathOf(join(root, 'images', 'none.png')), /none\.png: image missing/);
    await writeFile(join(root, 'broken.jpg'), 'not a JPEG');
    await assert.rejects(provider.depthOf(join(root, 'broken.jpg')), /broken\.jpg: unreadable image/);
  } finally {
    await provider.dispose?.();
  }
});

test('no model reachable: one clear error at once, saying how to provide one', async () => {
  const how = /--depth-model <folder>.*--provider precomputed --from <folder>/;
  await assert.rejects(openDepthProvider({ provider: 'depth-anything', model: join(root, 'absent') }), (e: Error) => /absent does not exist/.test(e.message) && how.test(e.message));
  await mkdir(join(root, 'empty'), { recursive: true });
  await assert.rejects(openDepthProvider({ provider: 'depth-anything', model: join(root, 'empty') }), /empty is not a Depth Anything ONNX model folder \(no config\.json/);
  const corrupt = join(root, 'corrupt');
  await writeDepthModelFolder(corrupt);
  await writeFile(join(corrupt, 'onnx', 'model.onnx'), 'not an ONNX file');
  await assert.rejects(openDepthProvider({ provider: 'depth-anything', model: corrupt }), (e: Error) => /cannot load .*corrupt/.test(e.message) && how.test(e.message));
  // A hub model, offline, with an empty cache: no download is tried.
  const t0 = Date.now();
  await assert.rejects(openDepthProvider({ provider: 'depth-anything', model: 'vits', offline: true, modelCache: join(root, 'no-models') }),
    (e: Error) => /cannot load Xenova\/depth-anything-small-hf \(Hugging Face hub, offline cache\)/.test(e.message) && how.test(e.message));
  assert.ok(Date.now() - t0 < 5000);
  await assert.rejects(openDepthProvider({ provider: 'depth-anything', model: 'not a model' }), /neither an encoder \(vits, vitb, vitl\), a hub id/);
  await assert.rejects(openDepthProvider({ provider: 'depth-anything', model: modelDir, dtype: 'fp16' }), /has no ONNX weights \(looked for onnx\/model_fp16\.onnx/);
});

test('a model folder with other weights: quantized only, at the top of the folder', async () => {
  const flat = join(root, 'flat');
  await writeDepthModelFolder(flat);
  await rename(join(flat, 'onnx', 'model.onnx'), join(flat, 'model_quantized.onnx'));
  const provider = await openDepthProvider({ provider: 'depth-anything', model: flat, mapCache: join(root, 'cache-flat') });
  try {
    assert.match(provider.source, /flat\/model_quantized\.onnx, q8$/);
    const map = await provider.depthOf(join(root, 'images', 'ramp.png'));
    assert.deepEqual([map.data[0], map.data[W - 1]], [0, 254]);
  } finally {
    await provider.dispose?.();
  }
});

test('dgiqa depth --provider depth-anything: mirrored maps, a rerun skips them; bad options refused', async () => {
  const out = join(root, 'maps');
  const args = ['pairs', join(root, 'images'), '--provider', 'depth-anything', '--depth-model', modelDir, '--out', out];
  const first = await captured(() => depthCommand(args));
  assert.equal(first.code, 0);
  const summary = JSON.parse(first.last) as { images: number; written: number; skipped: number };
  assert.deepEqual([summary.images, summary.written, summary.skipped], [2, 2, 0]);
  assert.deepEqual(await readFile(join(out, 'sub', 'ramp.png')), await readFile(join(out, 'ramp.png')));
  const second = JSON.parse((await captured(() => depthCommand(args))).last) as { written: number; skipped: number };
  assert.deepEqual([second.written, second.skipped], [0, 2]);
  await assert.rejects(depthCommand([...args, '--dtype', 'int4']), /--dtype must be one of fp32, fp16, q8/);
  await assert.rejects(depthCommand(['pairs', root, '--provider', 'precomputed', '--from', out, '--depth-model', modelDir]), /are for --provider depth-anything/);
  await assert.rejects(depthCommand(['live', root, '--depth-model', join(root, 'absent')]), /absent does not exist/);
});

test('dgiqa score without --depth: Depth Anything makes the map, the same score as giving that map', async () => {
  const image = join(root, 'images', 'ramp.png');
  const weights = join(TINY, 'weights.safetensors');
  const made = await captured(() => scoreCommand([image, '--weights', weights, '--config', 'tiny', '--crops', '2', '--depth-model', modelDir]));
  const provider = await openDepthProvider({ provider: 'depth-anything', model: modelDir, mapCache: join(root, 'cache2') });
  const map = await provider.pathOf(image);
  await provider.dispose?.();
  const given = await captured(() => scoreCommand([image, '--weights', weights, '--config', 'tiny', '--crops', '2', '--depth', map]));
  assert.equal(made.code, 0);
  const a = JSON.parse(made.last) as { score: number; depth: string }, b = JSON.parse(given.last) as { score: number; depth: string };
  assert.deepEqual(await readFile(a.depth), await readFile(map));
  await rm(a.depth); // made in the kit's git-ignored cache
  assert.equal(b.depth, map);
  assert.ok(Number.isFinite(a.score));
  assert.equal(a.score, b.score);
  await assert.rejects(scoreCommand([image, '--weights', weights, '--depth', map, '--depth-model', modelDir]), /--depth gives the maps/);
});
