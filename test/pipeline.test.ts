// The image pipeline (src/data/pipeline): normalization, aligned RGB/depth crops and flips, the
// official evaluation crops, upscaling of small images, determinism across worker scheduling, error
// messages, and clean shutdown of the decode workers.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import {
  IMAGENET_MEAN, IMAGENET_STD, Prefetcher, evalCrops, evalSeedOf, normalizeValue, resizeBilinear, shortSideSize, trainCrop,
} from '../src/data/pipeline/index.js';
import type { CropBatch, CropInfo, LoaderOptions, SampleRecord } from '../src/data/pipeline/index.js';
import type { HostBatch } from '../src/train/trainer.js';
import { epochSamples } from '../src/train/index.js';

const W = 300;
const H = 260;
const DW = 150; // the 16-bit depth map is half the image's size: the pipeline must resize it
const DH = 130;
const S = 224;

let dir = '';
const path = (name: string): string => join(dir, name);

/** The RGB fixture encodes its own coordinates: R = x mod 256, G = y mod 256, B = 16 (x >> 8) + (y >> 8). */
function coordPixel(x: number, y: number): [number, number, number] {
  return [x & 255, y & 255, ((x >> 8) << 4) | (y >> 8)];
}
function decodeCoord(r: number, g: number, b: number): [number, number] {
  return [r + 256 * (b >> 4), g + 256 * (b & 15)];
}
/** The 16-bit depth fixture, in its own 150x130 coordinates: a plane, 1000 + 37 u + 11 v. */
const depth16At = (u: number, v: number): number => 1000 + 37 * u + 11 * v;
/** The 8-bit same-size depth fixture. */
const depth8At = (x: number, y: number): number => (x >> 1) + Math.floor(y * 0.3);

const coordRgb = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) coordRgb.set(coordPixel(x, y), 3 * (y * W + x));
const depth16 = new Uint16Array(DW * DH);
for (let v = 0; v < DH; v++) for (let u = 0; u < DW; u++) depth16[v * DW + u] = depth16At(u, v);

/** Reference bilinear (half-pixel centres, clamped), one output pixel at a time, in float64. */
function bilinearAt(src: ArrayLike<number>, sw: number, sh: number, ch: number, c: number, X: number, Y: number, dw: number, dh: number): number {
  const sx = Math.min(Math.max((X + 0.5) * (sw / dw) - 0.5, 0), sw - 1);
  const sy = Math.min(Math.max((Y + 0.5) * (sh / dh) - 0.5, 0), sh - 1);
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const x1 = Math.min(x0 + 1, sw - 1);
  const y1 = Math.min(y0 + 1, sh - 1);
  const fx = sx - x0;
  const fy = sy - y0;
  const at = (x: number, y: number): number => src[(y * sw + x) * ch + c]!;
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x1, y0)) + fy * ((1 - fx) * at(x0, y1) + fx * at(x1, y1));
}

/** The 16-bit depth map brought to the image's size (reference), and its min and max. */
const depthFull = new Float64Array(W * H);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) depthFull[y * W + x] = bilinearAt(depth16, DW, DH, 1, 0, x, y, W, H);
const dMin = Math.min(...depthFull);
const dMax = Math.max(...depthFull);
const depth255 = (x: number, y: number): number => ((depthFull[y * W + x]! - dMin) * 255) / (dMax - dMin);

const coordRecord = (): SampleRecord => ({ image: path('coord.png'), depth: path('depth16.png'), score01: 0.75 });

/** The source pixel that crop pixel (i, j) shows. */
function sourceOf(c: CropInfo, i: number, j: number): [number, number] {
  return [c.hflip ? c.x + S - 1 - j : c.x + j, c.vflip ? c.y + S - 1 - i : c.y + i];
}
/** RGB value 0..255 back from a normalized value. */
const denorm = (v: number, c: 0 | 1 | 2): number => Math.round((v * IMAGENET_STD[c] + IMAGENET_MEAN[c]) * 255);

async function collect(records: readonly SampleRecord[], opts: LoaderOptions): Promise<CropBatch[]> {
  const out: CropBatch[] = [];
  for await (const b of new Prefetcher(records, opts)) out.push(b);
  return out;
}
const bytesOf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dgiqa-pipeline-'));
  await sharp(coordRgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(path('coord.png'));
  await sharp(depth16, { raw: { width: DW, height: DH, channels: 1 } }).toColourspace('grey16').png().toFile(path('depth16.png'));
  const d8 = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) d8[y * W + x] = depth8At(x, y);
  await sharp(d8, { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png().toFile(path('depth8.png'));
  await sharp(coordRgb, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 90 }).toFile(path('photo.jpg'));
  const small = new Uint8Array(150 * 200 * 3).map((_, i) => (i * 7) & 255);
  await sharp(small, { raw: { width: 150, height: 200, channels: 3 } }).png().toFile(path('small.png'));
  await sharp(new Uint8Array(150 * 200).fill(9), { raw: { width: 150, height: 200, channels: 1 } }).toColourspace('b-w').png().toFile(path('small-depth.png'));
  writeFileSync(path('corrupt.jpg'), Buffer.from('\xff\xd8\xff\xe0 this is not really a JPEG file at all', 'latin1'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('normalization and training crops', () => {
  test('normalizeValue is (v / 255 - mean) / std (values computed by hand)', () => {
    // R = 128: (0.50196 - 0.485) / 0.229 = 0.074063; G = 0: -0.456 / 0.224 = -2.035714; B = 255: (1 - 0.406) / 0.225 = 2.64
    assert.ok(Math.abs(normalizeValue(128, 0) - 0.0740626) < 1e-5);
    assert.ok(Math.abs(normalizeValue(0, 1) - -2.0357143) < 1e-5);
    assert.ok(Math.abs(normalizeValue(255, 2) - 2.64) < 1e-5);
  });

  test('a training batch is NHWC float32 with RGB and depth aligned pixel by pixel, flips included', async () => {
    // Eight copies of one image: eight different windows and flip draws (seeded by record index).
    const records = Array.from({ length: 8 }, coordRecord);
    const [batch, ...rest] = await collect(records, { batchSize: 8, seed: 3, workers: 0 });
    assert.equal(rest.length, 0);
    assert.ok(batch);
    assert.equal(batch.n, 8);
    assert.equal(batch.size, S);
    assert.equal(batch.cropsPerImage, 1);
    assert.equal(batch.rgb.length, 8 * S * S * 3);
    assert.equal(batch.depth.length, 8 * S * S * 3);
    assert.deepEqual([...batch.indices].sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(Array.from(batch.labels), new Array(8).fill(0.75));
    assert.deepEqual(batch.upscaled, []);
    const forTrainer: HostBatch = batch; // the trainer takes the pipeline's batches as they are
    assert.equal(forTrainer.labels.length, 8);
    assert.ok(batch.crops.some((c) => c.hflip) && batch.crops.some((c) => !c.hflip), 'both horizontal flip states drawn');
    assert.ok(batch.crops.some((c) => c.vflip) && batch.crops.some((c) => !c.vflip), 'both vertical flip states drawn');
    // Pixel (0, 0) of crop 0 by hand: its source pixel's R value, normalized.
    const c0 = batch.crops[0]!;
    const [sx0] = sourceOf(c0, 0, 0);
    assert.ok(Math.abs(batch.rgb[0]! - ((sx0 & 255) / 255 - 0.485) / 0.229) < 1e-5);
    let worst = 0;
    for (let k = 0; k < batch.n; k++) {
      const c = batch.crops[k]!;
      assert.ok(c.x >= 0 && c.y >= 0 && c.x + S <= W && c.y + S <= H);
      assert.deepEqual([c.viewWidth, c.viewHeight], [W, H]);
      for (let i = 0; i < S; i++) {
        for (let j = 0; j < S; j++) {
          const o = ((k * S + i) * S + j) * 3;
          const [ex, ey] = sourceOf(c, i, j);
          const [gx, gy] = decodeCoord(denorm(batch.rgb[o]!, 0), denorm(batch.rgb[o + 1]!, 1), denorm(batch.rgb[o + 2]!, 2));
          if (gx !== ex || gy !== ey) assert.fail(`crop ${k} pixel (${i}, ${j}): RGB shows (${gx}, ${gy}), expected (${ex}, ${ey})`);
          const d = depth255(ex, ey);
          for (const ch of [0, 1, 2] as const) worst = Math.max(worst, Math.abs(batch.depth[o + ch]! - normalizeValue(d, ch)));
        }
      }
    }
    assert.ok(worst < 1e-3, `depth off by ${worst}`);
  });

  test('an 8-bit same-size depth map is min-max scaled per map', async () => {
    const r = await trainCrop({ image: path('coord.png'), depth: path('depth8.png') }, { seed: 1, index: 2 });
    const c = r.crops[0]!;
    const max = depth8At(W - 1, H - 1); // min is 0 at (0, 0)
    for (const [i, j] of [[0, 0], [5, 100], [223, 223], [111, 7]] as const) {
      const [x, y] = sourceOf(c, i, j);
      const o = (i * S + j) * 3;
      for (const ch of [0, 1, 2] as const) {
        assert.ok(Math.abs(r.depth[o + ch]! - normalizeValue((depth8At(x, y) * 255) / max, ch)) < 1e-4);
      }
    }
  });

  test('the same seed gives the same bytes; another seed differs; workers and inline agree', async () => {
    const records: SampleRecord[] = [
      ...Array.from({ length: 5 }, coordRecord),
      { image: path('photo.jpg'), depth: path('depth8.png'), score01: 0.5 },
      { image: path('small.png'), depth: path('small-depth.png') },
    ];
    const opts: LoaderOptions = { batchSize: 3, seed: 11 };
    const a = await collect(records, { ...opts, workers: 0 });
    const b = await collect(records, { ...opts, workers: 0 });
    const w = await collect(records, { ...opts, workers: 2, queueSize: 3 });
    const other = await collect(records, { ...opts, seed: 12, workers: 0 });
    assert.equal(a.length, 3);
    assert.deepEqual(a.map((x) => x.n), [3, 3, 1]);
    for (const run of [b, w]) {
      assert.equal(run.length, a.length);
      run.forEach((batch, i) => {
        assert.deepEqual(batch.indices, a[i]!.indices);
        assert.ok(bytesOf(batch.rgb).equals(bytesOf(a[i]!.rgb)), `rgb of batch ${i}`);
        assert.ok(bytesOf(batch.depth).equals(bytesOf(a[i]!.depth)), `depth of batch ${i}`);
      });
    }
    assert.notDeepEqual(other.map((x) => x.indices), a.map((x) => x.indices));
    assert.ok(!bytesOf(other[0]!.rgb).equals(bytesOf(a[0]!.rgb)));
    // A sample's crop depends on (seed, record index) only, not on batch size or order.
    const one = await trainCrop(records[2]!, { seed: 11, index: 2 });
    const k = a.flatMap((x) => x.indices).indexOf(2);
    const batch = a[Math.floor(k / 3)]!;
    const off = (k % 3) * S * S * 3;
    assert.ok(bytesOf(batch.rgb.subarray(off, off + S * S * 3)).equals(bytesOf(one.rgb)));
  });

  test('cropsPerImage k: an epoch shows each image k times, each copy with a crop and flips of its own', async () => {
    // Two records (the coordinate image under two labels, so each sample says whose copy it is) at cropsPerImage 3.
    const a = coordRecord();
    const b: SampleRecord = { ...coordRecord(), score01: 0.25 };
    const samples = epochSamples([a, b], 3);
    assert.deepEqual(samples.map((r) => r.score01), [0.75, 0.25, 0.75, 0.25, 0.75, 0.25]);
    assert.deepEqual(epochSamples([a, b], 1), [a, b]);
    const batches = await collect(samples, { batchSize: 6, seed: 11, workers: 0 });
    const crops = batches.flatMap((x) => x.crops);
    const labels = batches.flatMap((x) => Array.from(x.labels));
    assert.equal(crops.length, 6);
    assert.deepEqual(labels.filter((l) => l === 0.75).length, 3);
    // the three copies of one image are three different windows (positions or flips)
    const keyOf = (c: CropInfo): string => `${c.x},${c.y},${c.hflip},${c.vflip}`;
    const ofA = batches.flatMap((x) => x.indices.map((i, k) => ({ i, c: x.crops[k]! }))).filter((e) => e.i % 2 === 0).map((e) => keyOf(e.c));
    assert.equal(ofA.length, 3);
    assert.equal(new Set(ofA).size, 3, `copies of one image got the same crop: ${ofA.join(' | ')}`);
  });

  test('an image under 224 on a side is upscaled (smaller side 224) and flagged', async () => {
    const records = [coordRecord(), { image: path('small.png'), depth: path('small-depth.png') }];
    const [batch] = await collect(records, { batchSize: 2, shuffle: false, workers: 0 });
    assert.ok(batch);
    assert.deepEqual(batch.upscaled, [path('small.png')]);
    assert.equal(batch.notes.length, 1);
    assert.match(batch.notes[0]!, /small\.png: 150x200 is smaller than 224 on a side; upscaled to 224x299/);
    assert.deepEqual([batch.crops[1]!.viewWidth, batch.crops[1]!.viewHeight], [224, 299]);
    assert.equal(batch.crops[1]!.x, 0);
    // A constant depth map gives zeros before normalization.
    assert.ok(Math.abs(batch.depth[S * S * 3]! - normalizeValue(0, 0)) < 1e-6);
  });
});

describe('evaluation crops (official inference script)', () => {
  test('smaller side resized to 384 (bilinear), N random 224 crops of RGB and depth alike', async () => {
    assert.deepEqual(shortSideSize(W, H, 384), { width: 443, height: 384 }); // 300 * 384 / 260 = 443.08
    const r = await evalCrops(coordRecord(), { seed: 5, crops: 6 });
    assert.equal(r.n, 6);
    assert.equal(r.rgb.length, 6 * S * S * 3);
    assert.ok(new Set(r.crops.map((c) => `${c.x},${c.y}`)).size > 1);
    // The image-size depth map (reference), min-max scaled, then resized like the image.
    const d255 = Float64Array.from({ length: W * H }, (_, i) => depth255(i % W, Math.floor(i / W)));
    let worstRgb = 0;
    let worstDepth = 0;
    r.crops.forEach((c, k) => {
      assert.deepEqual([c.viewWidth, c.viewHeight, c.hflip, c.vflip], [443, 384, false, false]);
      assert.ok(c.x + S <= 443 && c.y + S <= 384);
      const step = k === 0 ? 1 : 37;
      for (let i = 0; i < S; i += step) {
        for (let j = 0; j < S; j += step) {
          const o = ((k * S + i) * S + j) * 3;
          for (const ch of [0, 1, 2] as const) {
            const want = bilinearAt(coordRgb, W, H, 3, ch, c.x + j, c.y + i, 443, 384);
            worstRgb = Math.max(worstRgb, Math.abs(r.rgb[o + ch]! - normalizeValue(want, ch)));
          }
          const wantD = bilinearAt(d255, W, H, 1, 0, c.x + j, c.y + i, 443, 384);
          worstDepth = Math.max(worstDepth, Math.abs(r.depth[o + 1]! - normalizeValue(wantD, 1)));
        }
      }
    });
    assert.ok(worstRgb < 1e-3, `rgb off by ${worstRgb}`);
    assert.ok(worstDepth < 1e-3, `depth off by ${worstDepth}`);
  });

  test('20 crops by default; an eval loader yields one batch of N crops per image, in order', async () => {
    const d = await evalCrops(coordRecord(), { seed: 5 });
    assert.equal(d.n, 20);
    const records = [coordRecord(), { image: path('photo.jpg'), depth: path('depth8.png') }];
    const batches = await collect(records, { mode: 'eval', crops: 4, seed: 5, workers: 0 });
    assert.deepEqual(batches.map((b) => [b.n, b.cropsPerImage, b.indices]), [[4, 4, [0]], [4, 4, [1]]]);
    // Same seed, same image: the loader's crops are evalCrops' first 4.
    assert.deepEqual(batches[0]!.crops, d.crops.slice(0, 4));
  });

  test("an image's crops follow its file name, not its place in the list; cropKey borrows another file's", async () => {
    mkdirSync(path('elsewhere'), { recursive: true });
    copyFileSync(path('coord.png'), path('elsewhere/coord.png'));
    copyFileSync(path('coord.png'), path('renamed.png'));
    const a = coordRecord();
    const other = { image: path('photo.jpg'), depth: path('depth8.png') };
    const windows = async (records: SampleRecord[]): Promise<CropInfo[][]> =>
      (await collect(records, { mode: 'eval', crops: 4, seed: 5, workers: 0 })).map((b) => b.crops);
    const alone = (await windows([a]))[0]!;
    // first or second in a list, or the same name in another folder: the same windows
    assert.deepEqual((await windows([other, a]))[1], alone);
    assert.deepEqual((await windows([{ ...a, image: path('elsewhere/coord.png') }]))[0], alone);
    assert.deepEqual((await evalCrops(a, { seed: 5, crops: 4 })).crops, alone);
    // the same pixels under another name: other windows, unless its cropKey names coord.png
    const renamed = { ...a, image: path('renamed.png') };
    assert.notDeepEqual((await windows([renamed]))[0], alone);
    assert.deepEqual((await windows([{ ...renamed, cropKey: path('coord.png') }]))[0], alone);
    assert.equal(evalSeedOf(5, 'x/coord.png'), evalSeedOf(5, 'C:\\data\\coord.png'));
    assert.notEqual(evalSeedOf(5, 'coord.png'), evalSeedOf(6, 'coord.png'));
  });

  test('resizeBilinear matches the per-pixel reference on a 3-channel plane', () => {
    const out = resizeBilinear({ width: W, height: H, channels: 3, data: coordRgb }, 97, 413);
    for (const [X, Y] of [[0, 0], [96, 412], [50, 200], [13, 7]] as const) {
      for (const ch of [0, 1, 2]) {
        assert.ok(Math.abs(out.data[(Y * 97 + X) * 3 + ch]! - bilinearAt(coordRgb, W, H, 3, ch, X, Y, 97, 413)) < 1e-3);
      }
    }
  });
});

describe('errors', () => {
  test('a missing image, a corrupt image and a missing depth map each give one line naming the file(s)', async () => {
    const cases: [SampleRecord, RegExp][] = [
      [{ image: path('nope.png'), depth: path('depth8.png') }, /nope\.png: image missing$/],
      [{ image: path('corrupt.jpg'), depth: path('depth8.png') }, /corrupt\.jpg: unreadable image/],
      [{ image: path('coord.png'), depth: path('nodepth.png') }, /coord\.png: depth map .*nodepth\.png missing$/],
      [{ image: path('coord.png'), depth: path('corrupt.jpg') }, /coord\.png: depth map .*corrupt\.jpg unreadable/],
    ];
    for (const workers of [0, 1]) {
      for (const [record, re] of cases) {
        const records = [coordRecord(), record];
        await assert.rejects(collect(records, { batchSize: 1, shuffle: false, workers }), (err: Error) => {
          assert.match(err.message, re);
          assert.ok(!err.message.includes('\n'), 'one line');
          return true;
        });
      }
    }
  });

  test('a record without a depth map fails at once unless allowMissingDepth', async () => {
    const records: SampleRecord[] = [coordRecord(), { image: path('coord.png'), depth: undefined }];
    assert.throws(() => new Prefetcher(records), /coord\.png: no depth map given \(1 of 2 records lack one/);
    const [batch] = await collect(records, { batchSize: 2, shuffle: false, workers: 0, allowMissingDepth: true });
    assert.ok(batch);
    assert.deepEqual(batch.missingDepth, [path('coord.png')]);
    assert.ok(Math.abs(batch.depth[S * S * 3 + 2]! - normalizeValue(0, 2)) < 1e-6);
  });

  test('unknown options fail loudly', () => {
    assert.throws(() => new Prefetcher([], { batchsize: 4 } as LoaderOptions), /unknown option 'batchsize'/);
  });
});

describe('prefetching and shutdown', () => {
  test('decoding stays within the bounded queue', async () => {
    const records = Array.from({ length: 12 }, coordRecord);
    const loader = new Prefetcher(records, { batchSize: 2, queueSize: 1, workers: 0 });
    let seen = 0;
    for await (const _ of loader) {
      await new Promise((r) => setTimeout(r, 150)); // a slow model
      assert.ok(loader.stats.dispatched <= (loader.stats.consumed + 1) * 2, JSON.stringify(loader.stats));
      if (++seen === 2) break;
    }
    assert.equal(loader.stats.consumed, 2);
  });

  test('breaking out of the loop terminates the workers', async () => {
    const records = Array.from({ length: 10 }, coordRecord);
    const loader = new Prefetcher(records, { batchSize: 1, workers: 2, queueSize: 4 });
    let ids: number[] = [];
    for await (const _ of loader) {
      ids = loader.threadIds;
      assert.equal(loader.liveWorkers, 2);
      break;
    }
    assert.equal(ids.length, 2);
    assert.equal(loader.liveWorkers, 0);
  });

  test('a process that breaks early, or abandons a loader, still exits by itself', async () => {
    const index = fileURLToPath(new URL('../src/data/pipeline/index.js', import.meta.url));
    const script = `
      import { Prefetcher } from ${JSON.stringify(index)};
      const records = Array.from({ length: 8 }, () => ({ image: ${JSON.stringify(path('coord.png'))}, depth: ${JSON.stringify(path('depth16.png'))} }));
      for await (const b of new Prefetcher(records, { batchSize: 1, workers: 2 })) { break; }
      const it = new Prefetcher(records, { batchSize: 1, workers: 2 })[Symbol.asyncIterator]();
      await it.next(); // abandoned: never finished, never closed
      console.log('done');
    `;
    const file = path('exit-check.mjs');
    writeFileSync(file, script);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 15000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0, `child did not exit cleanly: ${out}`);
    assert.match(out, /done/);
  });
});
