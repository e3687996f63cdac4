// Bad data, end to end: a KonIQ-10k copy in its official layout (csv + 1024x768/) with precomputed
// depth maps, holding one of each bad case, and a LIVE Challenge copy (.mat labels) for the scores a
// MAT-file can hold. Without skipBad each case is a one-line error naming the file; with it the case
// is left out and listed; grayscale and 16-bit images load through the whole pipeline; an image that
// breaks after the check is left out of its batch (or stops the pass with one line); the CLI exits
// non-zero naming the file, or with --skip-bad completes and writes bad-inputs.json.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { SKIP_BAD_ENV, checkFiles, depthAligned, epochSkipOptions, setSkipBad, writeBadReport } from '../src/data/check/index.js';
import type { BadEntry } from '../src/data/check/index.js';
import { loadKoniq10k, loadLivec } from '../src/data/loaders/index.js';
import { DecodePool, Prefetcher } from '../src/data/pipeline/index.js';
import type { CropBatch, SampleRecord } from '../src/data/pipeline/index.js';
import { initBackend, tf } from '../src/backend/index.js';
import { openBenchmark } from '../src/experiments/datasets.js';
import type { BenchItem } from '../src/experiments/datasets.js';
import { trainAndTest } from '../src/experiments/run.js';
import { paths } from '../src/experiments/paths.js';
import { PROFILES } from '../src/experiments/profiles.js';
import { cellOfStrings, encodeMat, tempDir, writeFile } from './support/dataFixtures.js';

const run = promisify(execFile);
/** dist/test -> the worktree's root (bin/dgiqa.js runs the dist/ beside it) */
const KIT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const W = 320;
const H = 240;

/** A smooth colour pattern, so that JPEG keeps it and the crops differ. */
function pixels(width: number, height: number, channels: 1 | 3, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = (x * (c + 1) + y * 2 + seed * 40) % 256;
    }
  }
  return out;
}

async function rgbFile(path: string, seed: number, width = W, height = H): Promise<Buffer> {
  const s = sharp(Buffer.from(pixels(width, height, 3, seed)), { raw: { width, height, channels: 3 } });
  const buf = await (path.endsWith('.png') ? s.png() : s.jpeg({ quality: 90 })).toBuffer();
  writeFile(path, buf);
  return buf;
}

async function depthFile(path: string, width = W, height = H): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await sharp(Buffer.from(pixels(width, height, 1, 7)), { raw: { width, height, channels: 1 } }).png().toFile(path);
}

interface Row {
  name: string;
  score: string;
}

/** The KonIQ-10k layout under `data/koniq10k`, depth maps under `depth/koniq10k/1024x768`. */
interface Fixture {
  data: string;
  depth: string;
  root: string;
  csv: string;
  img: (name: string) => string;
  map: (name: string) => string;
}

function fixture(): Fixture {
  const base = tempDir('bad');
  const data = join(base, 'data');
  const depth = join(base, 'depth');
  const root = join(data, 'koniq10k');
  return {
    data, depth, root,
    csv: join(root, 'koniq10k_scores_and_distributions.csv'),
    img: (name) => join(root, '1024x768', name),
    map: (name) => join(depth, 'koniq10k', '1024x768', name.replace(/\.[^.]+$/, '.png')),
  };
}

function writeCsv(fx: Fixture, rows: Row[]): void {
  const header = '"image_name","c1","c2","c3","c4","c5","c_total","MOS","SD","MOS_zscore"';
  writeFile(fx.csv, [header, ...rows.map((r) => `"${r.name}",1,2,30,50,17,100,3,0.6,${r.score}`)].join('\n') + '\n');
}

/** The good images, each with a depth map of its size (or of the same shape at half size). */
async function writeGood(fx: Fixture): Promise<Row[]> {
  await rgbFile(fx.img('a.jpg'), 1);
  await depthFile(fx.map('a.jpg'));
  await rgbFile(fx.img('b.png'), 2);
  await depthFile(fx.map('b.png'), W / 2, H / 2); // same shape, half size: resized, as documented
  // grayscale 8-bit and 16-bit RGB PNGs: legitimate, they load
  await sharp(Buffer.from(pixels(W, H, 1, 3)), { raw: { width: W, height: H, channels: 1 } }).png().toFile(fx.img('gray.png'));
  await depthFile(fx.map('gray.png'));
  const deep = new Uint16Array(W * H * 3);
  for (let i = 0; i < deep.length; i++) deep[i] = (i * 97) % 65536;
  await sharp(deep, { raw: { width: W, height: H, channels: 3 } }).toColourspace('rgb16').png().toFile(fx.img('deep.png'));
  await depthFile(fx.map('deep.png'));
  // smaller than the crop: loads, training upscales it
  await rgbFile(fx.img('small.jpg'), 4, 100, 80);
  await depthFile(fx.map('small.jpg'), 100, 80);
  return ['a.jpg', 'b.png', 'gray.png', 'deep.png', 'small.jpg'].map((name, i) => ({ name, score: String(20 + 12 * i) }));
}

/** Each bad case: the rows it adds, and the one-line error it must give (without skipBad). */
interface Case {
  name: string;
  rows: Row[];
  make: (fx: Fixture) => Promise<void>;
  error: (fx: Fixture) => RegExp;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const CASES: Case[] = [
  {
    name: 'zero-byte image',
    rows: [{ name: 'zero.jpg', score: '50' }],
    make: async (fx) => {
      writeFile(fx.img('zero.jpg'), new Uint8Array(0));
      await depthFile(fx.map('zero.jpg'));
    },
    error: (fx) => new RegExp(`^${esc(fx.img('zero.jpg'))}: empty file \\(0 bytes; listed at line \\d+ of ${esc(fx.csv)}\\)$`),
  },
  {
    name: 'truncated JPEG',
    rows: [{ name: 'cut.jpg', score: '50' }],
    make: async (fx) => {
      const buf = await rgbFile(fx.img('cut.jpg'), 5);
      writeFileSync(fx.img('cut.jpg'), buf.subarray(0, Math.floor(buf.length * 0.6)));
      await depthFile(fx.map('cut.jpg'));
    },
    error: (fx) => new RegExp(`^${esc(fx.img('cut.jpg'))}: unreadable image`),
  },
  {
    name: 'truncated PNG',
    rows: [{ name: 'cut.png', score: '50' }],
    make: async (fx) => {
      const buf = await rgbFile(fx.img('cut.png'), 6);
      writeFileSync(fx.img('cut.png'), buf.subarray(0, Math.floor(buf.length * 0.6)));
      await depthFile(fx.map('cut.png'));
    },
    error: (fx) => new RegExp(`^${esc(fx.img('cut.png'))}: unreadable image`),
  },
  {
    name: 'depth map of another shape',
    rows: [{ name: 'skew.jpg', score: '50' }],
    make: async (fx) => {
      await rgbFile(fx.img('skew.jpg'), 7);
      await depthFile(fx.map('skew.jpg'), H, W); // transposed
    },
    error: (fx) => new RegExp(`^${esc(fx.map('skew.jpg'))}: depth map is ${H}x${W} but its image ${esc(fx.img('skew.jpg'))} is ${W}x${H} \\(another shape: not aligned\\)$`),
  },
  {
    name: 'missing depth map',
    rows: [{ name: 'nodepth.jpg', score: '50' }],
    make: async (fx) => {
      await rgbFile(fx.img('nodepth.jpg'), 8);
    },
    error: (fx) => new RegExp(`^${esc(fx.map('nodepth.jpg'))}: missing depth map for image ${esc(fx.img('nodepth.jpg'))}`),
  },
  {
    name: 'NaN score',
    rows: [{ name: 'nan.jpg', score: 'NaN' }],
    make: async (fx) => {
      await rgbFile(fx.img('nan.jpg'), 9);
      await depthFile(fx.map('nan.jpg'));
    },
    error: (fx) => new RegExp(`^${esc(fx.csv)}: line \\d+: MOS_zscore is not a number \\("NaN"\\)$`),
  },
  {
    name: 'out-of-range score',
    rows: [{ name: 'far.jpg', score: '500' }],
    make: async (fx) => {
      await rgbFile(fx.img('far.jpg'), 10);
      await depthFile(fx.map('far.jpg'));
    },
    error: (fx) => new RegExp(`^${esc(fx.csv)}: line \\d+: score 500 of 1024x768/far\\.jpg is far outside the MOS_zscore range \\[0, 100\\]$`),
  },
  {
    name: 'duplicated row',
    rows: [{ name: 'a.jpg', score: '61' }],
    make: async () => {},
    error: (fx) => new RegExp(`^${esc(fx.csv)}: line \\d+ repeats 1024x768/a\\.jpg, already listed at line 2$`),
  },
  {
    name: 'path escaping the root',
    rows: [{ name: '../../outside.jpg', score: '50' }],
    make: async (fx) => {
      await rgbFile(join(fx.data, 'outside.jpg'), 11);
    },
    error: (fx) => new RegExp(`^${esc(fx.csv)}: line \\d+ names 1024x768/\\.\\./\\.\\./outside\\.jpg, a path outside the dataset root ${esc(fx.root)}$`),
  },
  {
    name: 'symbolic link leading outside the root',
    rows: [{ name: 'link.jpg', score: '50' }],
    make: async (fx) => {
      await rgbFile(join(fx.data, 'elsewhere.jpg'), 12);
      symlinkSync(join(fx.data, 'elsewhere.jpg'), fx.img('link.jpg'));
      await depthFile(fx.map('link.jpg'));
    },
    error: (fx) => new RegExp(`^${esc(fx.img('link.jpg'))}: a link to ${esc(join(fx.data, 'elsewhere.jpg'))}, outside the dataset root`),
  },
  {
    // issue 20: --skip-bad did not skip these (ELOOP / ENOENT from Node, rc 1)
    name: 'symbolic link loop',
    rows: [{ name: 'loop.jpg', score: '50' }],
    make: async (fx) => {
      symlinkSync(fx.img('loop.jpg'), fx.img('loop.jpg'));
      await depthFile(fx.map('loop.jpg'));
    },
    error: (fx) => new RegExp(`^${esc(fx.img('loop.jpg'))}: a loop of symbolic links \\(listed at line \\d+ of ${esc(fx.csv)}\\)$`),
  },
  {
    name: 'dangling symbolic link',
    rows: [{ name: 'dangling.jpg', score: '50' }],
    make: async (fx) => {
      symlinkSync(join(fx.data, 'deleted.jpg'), fx.img('dangling.jpg'));
      await depthFile(fx.map('dangling.jpg'));
    },
    error: (fx) => new RegExp(`^${esc(fx.img('dangling.jpg'))}: a symbolic link to a missing file \\(dangling\\) \\(listed at line \\d+ of ${esc(fx.csv)}\\)$`),
  },
];

/** The dataset opened as a run opens it (loader, depth maps, file check), in this process. */
async function open(fx: Fixture, skipBad: boolean): Promise<{ items: SampleRecord[]; bad: BadEntry[]; small: string[] }> {
  // paths.ts reads DGIQA_DATA and DGIQA_DEPTH once, at import: each fixture sets the folders itself
  paths.datasets = fx.data;
  paths.depth = fx.depth;
  process.env.DGIQA_CACHE = join(fx.data, '..', 'cache');
  const b = await openBenchmark('koniq10k', PROFILES.paper, { skipBad, log: () => undefined });
  return { items: b.items, bad: b.bad, small: b.small };
}

test('each bad case alone: a one-line error naming the file, before any training', async () => {
  for (const c of CASES) {
    const fx = fixture();
    const good = await writeGood(fx);
    await c.make(fx);
    writeCsv(fx, [...good, ...c.rows]);
    await assert.rejects(open(fx, false), (err: Error) => {
      assert.match(err.message, c.error(fx), c.name);
      assert.ok(!err.message.includes('\n'), `${c.name}: one line`);
      return true;
    });
  }
});

test('a label file with a header and no rows (or no usable row): one line naming it (issue 20)', async () => {
  const fx = fixture();
  await writeGood(fx);
  writeCsv(fx, []);
  for (const skipBad of [false, true]) {
    await assert.rejects(open(fx, skipBad), (err: Error) => {
      assert.match(err.message, new RegExp(`^${esc(fx.csv)}: no labelled image: the label file lists no usable row$`));
      return true;
    });
  }
  writeCsv(fx, [{ name: 'gone.jpg', score: '50' }]);
  await assert.rejects(open(fx, true), new RegExp(`${esc(fx.csv)}: no labelled image: the label file lists no usable row; 1 row\\(s\\) left out as bad, the first: ${esc(fx.csv)}: line 2 names`));
});

test('with skipBad every bad case is left out and listed; grayscale, 16-bit and small images load', async () => {
  const fx = fixture();
  const good = await writeGood(fx);
  const rows = [...good];
  for (const c of CASES) {
    await c.make(fx);
    rows.push(...c.rows);
  }
  writeCsv(fx, rows);
  const { items, bad, small } = await open(fx, true);
  assert.deepEqual(items.map((i) => i.image), good.map((r) => fx.img(r.name)));
  assert.equal(bad.length, CASES.length);
  for (const c of CASES) {
    assert.equal(bad.filter((b) => c.error(fx).test(`${b.file}: ${b.problem}`)).length, 1, c.name);
  }
  assert.deepEqual(bad.map((b) => b.stage).sort(), [...Array<string>(4).fill('files'), ...Array<string>(8).fill('labels')]);
  assert.deepEqual(small, [fx.img('small.jpg')]);

  // the good ones through the pipeline, in training and evaluation, inline and on workers
  for (const workers of [0, 2]) {
    const [train] = await collect(new Prefetcher(items, { mode: 'train', batchSize: items.length, size: 224, workers }));
    assert.equal(train!.n, items.length);
    assert.ok(train!.rgb.every(Number.isFinite) && train!.depth.every(Number.isFinite));
    assert.deepEqual(train!.upscaled, [fx.img('small.jpg')]);
    // the grayscale image is grey in all three channels
    const g = train!.indices.indexOf(items.findIndex((i) => i.image === fx.img('gray.png')));
    const off = g * 224 * 224 * 3;
    const [r0, g0, b0] = [train!.rgb[off]!, train!.rgb[off + 1]!, train!.rgb[off + 2]!].map((v, c) => v * [0.229, 0.224, 0.225][c]! + [0.485, 0.456, 0.406][c]!);
    assert.ok(Math.abs(r0! - g0!) < 1e-5 && Math.abs(g0! - b0!) < 1e-5);
    const evals = await collect(new Prefetcher(items, { mode: 'eval', crops: 2, workers }));
    assert.equal(evals.length, items.length);
    assert.ok(evals.every((b) => b.n === 2 && b.rgb.every(Number.isFinite)));
  }
});

async function collect(loader: Prefetcher): Promise<CropBatch[]> {
  const out: CropBatch[] = [];
  for await (const b of loader) out.push(b);
  return out;
}

test('an image that breaks after the check: left out of its batch with skipBad, else one line naming it', async () => {
  const fx = fixture();
  const good = await writeGood(fx);
  writeCsv(fx, good);
  const { items } = await open(fx, false);
  // changed on disk after the check (as a copy interrupted mid-run would leave it)
  const victim = fx.img('b.png');
  writeFileSync(victim, readFileSync(victim).subarray(0, 200));
  for (const workers of [0, 2]) {
    const seen: string[] = [];
    const loader = new Prefetcher(items, { mode: 'train', batchSize: 2, shuffle: false, size: 64, workers, skipBad: true, onSkip: (b) => seen.push(b.file) });
    const batches = await collect(loader);
    assert.equal(batches.reduce((n, b) => n + b.n, 0), items.length - 1);
    assert.deepEqual(seen, [victim]);
    assert.equal(loader.skipped.length, 1);
    assert.match(loader.skipped[0]!.problem, /^unreadable image/);
    const hit = batches.find((b) => b.skipped.length > 0)!;
    assert.equal(hit.n, 1);
    assert.deepEqual(Array.from(hit.labels), [Math.fround(0.2)]);
    await assert.rejects(collect(new Prefetcher(items, { mode: 'train', batchSize: 2, size: 64, workers })), (err: Error) => {
      assert.match(err.message, new RegExp(`^${esc(victim)}: unreadable image`));
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  }
  // a batch whose every image fails is not yielded at all
  const lone = new Prefetcher([items[1]!], { mode: 'train', batchSize: 1, size: 64, workers: 0, skipBad: true });
  assert.deepEqual(await collect(lone), []);
});

test('the full-decode check runs once per file: verdicts cached by size and mtime', async () => {
  const fx = fixture();
  const good = await writeGood(fx);
  const items = good.map((r) => ({ image: fx.img(r.name), depth: fx.map(r.name) }));
  const cacheFile = join(fx.data, 'verdicts.json');
  const first = await checkFiles(items, { cacheFile, workers: 0 });
  assert.deepEqual([first.decoded, first.cached, first.ok.length], [items.length, 0, items.length]);
  const again = await checkFiles(items, { cacheFile, workers: 0 });
  assert.deepEqual([again.decoded, again.cached], [0, items.length]);
  // the file changes (same size here, other mtime): decoded again, and now bad
  const buf = readFileSync(fx.img('a.jpg'));
  buf.fill(0, 100);
  writeFileSync(fx.img('a.jpg'), buf);
  utimesSync(fx.img('a.jpg'), new Date(), new Date(Date.now() + 5000));
  const changed = await checkFiles(items, { cacheFile, workers: 0, skipBad: true });
  assert.deepEqual([changed.decoded, changed.cached, changed.bad.length], [1, items.length - 1, 1]);
  assert.equal(changed.bad[0]!.file, fx.img('a.jpg'));
});

test('a file spoiled after its verdict was cached (same size and mtime): listed once however many epochs meet it, and decoded again by the next check', async () => {
  const fx = fixture();
  const good = await writeGood(fx);
  const items = good.map((r) => ({ image: fx.img(r.name), depth: fx.map(r.name) }));
  const cacheDir = join(fx.data, 'checks');
  const cacheFile = join(cacheDir, 'fixture.json');
  const victim = fx.img('a.jpg');
  const stamp = new Date(Math.floor(Date.now() / 1000) * 1000); // whole seconds: restored exactly below
  utimesSync(victim, stamp, stamp);
  assert.equal((await checkFiles(items, { cacheFile, workers: 0 })).bad.length, 0);
  // spoiled in place, its stamp restored: the cache alone would still call it good
  const buf = readFileSync(victim);
  buf.fill(0, 100);
  writeFileSync(victim, buf);
  utimesSync(victim, stamp, stamp);
  assert.equal((await checkFiles(items, { cacheFile, workers: 0, skipBad: true })).bad.length, 0, 'the stale verdict is used');
  const dir = join(tempDir('bad-cached'), 'run');
  const before = process.env[SKIP_BAD_ENV];
  try {
    setSkipBad(true);
    writeBadReport(dir, 'fixture', []);
    const options = epochSkipOptions(dir, cacheDir);
    for (let epoch = 0; epoch < 3; epoch++) options.onSkip!({ file: victim, problem: 'unreadable image (truncated)' });
    const read = (): { count: number; inputs: BadEntry[] } => JSON.parse(readFileSync(join(dir, 'bad-inputs.json'), 'utf8')) as { count: number; inputs: BadEntry[] };
    assert.deepEqual([read().count, read().inputs.map((e) => e.file)], [1, [victim]], 'one entry for three epochs');
    // the next check decodes it again (its verdict was dropped) and finds it; the report lists it once, by the check
    const next = await checkFiles(items, { cacheFile, workers: 0, skipBad: true });
    assert.deepEqual([next.decoded, next.bad.map((b) => b.file)], [1, [victim]]);
    writeBadReport(dir, 'fixture', next.bad.map((b) => ({ ...b, stage: 'files' as const })));
    assert.deepEqual(read().inputs.map((e) => [e.file, e.stage]), [[victim, 'files']]);
  } finally {
    if (before === undefined) delete process.env[SKIP_BAD_ENV];
    else process.env[SKIP_BAD_ENV] = before;
  }
});

test('depth alignment: the same shape up to rounding is aligned, another shape is not', () => {
  assert.ok(depthAligned(1024, 768, 1024, 768));
  assert.ok(depthAligned(1024, 768, 512, 384));
  assert.ok(depthAligned(1024, 768, 518, 389)); // rounded when scaled
  assert.ok(depthAligned(500, 333, 1000, 666));
  assert.ok(!depthAligned(1024, 768, 768, 1024));
  assert.ok(!depthAligned(1024, 768, 1024, 576));
  assert.ok(!depthAligned(1024, 768, 1030, 768));
});

test('LIVE Challenge (.mat labels): NaN and implausible scores name the file and entry, or are left out', async () => {
  const root = tempDir('bad-livec');
  const names = ['t1.bmp', 't2.bmp', 't3.bmp', 't4.bmp', 't5.bmp', 't6.bmp', 't7.bmp', '10.jpg', '11.jpg', '12.jpg', '13.jpg'];
  const mos = [50, 50, 50, 50, 50, 50, 50, 63.5, Number.NaN, -80, 40];
  for (const [i, n] of names.entries()) if (i >= 7) await rgbFile(join(root, 'Images', n), i, 16, 12);
  writeFile(join(root, 'Data', 'AllImages_release.mat'), encodeMat({ AllImages_release: cellOfStrings(names, true) }, true));
  writeFile(join(root, 'Data', 'AllMOS_release.mat'), encodeMat({ AllMOS_release: { kind: 'double', data: mos } }, true));
  const file = join(root, 'Data', 'AllImages_release.mat');
  await assert.rejects(loadLivec(root), (err: Error) => {
    assert.equal(err.message, `${file}: entry 9: score of Images/11.jpg is not a number (NaN)`);
    return true;
  });
  const loaded = await loadLivec(root, { skipBad: true });
  assert.deepEqual(loaded.records.map((r) => r.relImage), ['Images/10.jpg', 'Images/13.jpg']);
  assert.deepEqual(loaded.bad.map((b) => `${b.file}: ${b.problem}`), [
    `${file}: entry 9: score of Images/11.jpg is not a number (NaN)`,
    `${file}: entry 10: score -80 of Images/12.jpg is far outside the MOS range [0, 100]`,
  ]);
  assert.ok(loaded.notes.includes('2 label row(s) skipped as bad data (skipBad; each is in `bad`)'));
  // skipMissing alone still fails on a bad score: it is about missing files only
  await assert.rejects(loadKoniq10kWithNaN(), /is not a number/);
});

async function loadKoniq10kWithNaN(): Promise<unknown> {
  const fx = fixture();
  await rgbFile(fx.img('a.jpg'), 1);
  writeCsv(fx, [{ name: 'a.jpg', score: 'NaN' }]);
  return loadKoniq10k(fx.root, { skipMissing: true });
}

test('CLI: dgiqa train stops before training naming the file; with --skip-bad it completes and writes bad-inputs.json', async () => {
  const fx = fixture();
  const good = await writeGood(fx);
  // three more, so that the test part of the split has two images to rank
  for (const [i, name] of ['c.jpg', 'd.jpg', 'e.jpg'].entries()) {
    await rgbFile(fx.img(name), 20 + i);
    await depthFile(fx.map(name));
    good.push({ name, score: String(30 + 15 * i) });
  }
  for (const c of CASES.filter((x) => ['truncated JPEG', 'NaN score', 'missing depth map'].includes(x.name))) await c.make(fx);
  writeCsv(fx, [...good, { name: 'cut.jpg', score: '50' }, { name: 'nan.jpg', score: 'NaN' }, { name: 'nodepth.jpg', score: '50' }]);
  const results = join(fx.data, '..', 'results');
  const env: NodeJS.ProcessEnv = { ...process.env, DGIQA_DATA: fx.data, DGIQA_DEPTH: fx.depth, DGIQA_RESULTS: results, DGIQA_CACHE: join(fx.data, '..', 'cache'), DGIQA_BACKEND: 'wasm', DGIQA_TRAIN_PARALLEL: '1' };
  delete env.DGIQA_SKIP_BAD;
  const bin = join(KIT, 'bin', 'dgiqa.js');
  const args = ['train', '--dataset', 'koniq10k', '--profile', 'smoke'];
  const failed = await run(process.execPath, [bin, ...args], { env }).then(
    () => assert.fail('expected a non-zero exit'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(failed.code, 1);
  const last = failed.stderr.trim().split('\n').pop()!;
  assert.match(last, new RegExp(`^dgiqa train: ${esc(fx.csv)}: line 11: MOS_zscore is not a number \\("NaN"\\)$`));
  assert.ok(!existsSync(join(results, 'smoke', 'train')), 'nothing trained');

  const ok = await run(process.execPath, [bin, ...args, '--skip-bad'], { env, maxBuffer: 1 << 24 });
  const dir = join(results, 'smoke', 'train', 'koniq10k', 'split-00');
  const report = JSON.parse(readFileSync(join(dir, 'bad-inputs.json'), 'utf8')) as { dataset: string; count: number; inputs: BadEntry[] };
  assert.equal(report.count, 3);
  assert.deepEqual(report.inputs.map((e) => [e.file, e.stage]), [[fx.csv, 'labels'], [fx.map('nodepth.jpg'), 'files'], [fx.img('cut.jpg'), 'files']]);
  assert.match(ok.stderr, new RegExp(`bad data: koniq10k: 3 input\\(s\\) left out \\(--skip-bad\\): ${esc(fx.csv)}: line \\d+: MOS_zscore is not a number \\("NaN"\\), and 2 more; list in ${esc(join(dir, 'bad-inputs.json'))}`));
  const out = JSON.parse(ok.stdout.trim().split('\n').pop()!) as { dir: string };
  assert.equal(out.dir, dir);
  assert.ok(existsSync(join(dir, 'result.json')));
});

test('a training run with skipping on adds what an epoch leaves out to its report, after the check\'s entries', async () => {
  const dir = join(tempDir('bad-report'), 'run');
  const before = process.env[SKIP_BAD_ENV];
  try {
    setSkipBad(false);
    assert.deepEqual(epochSkipOptions(dir), {}, 'off: the epoch stops at the error');
    setSkipBad(true);
    writeBadReport(dir, 'koniq10k', [{ file: '/d/labels.csv', problem: 'line 3: score is not a number (NaN)', stage: 'labels' }]);
    const options = epochSkipOptions(dir);
    assert.equal(options.skipBad, true);
    options.onSkip!({ file: '/d/img.jpg', problem: 'unreadable image (truncated)' });
    const read = (): { count: number; inputs: BadEntry[] } => JSON.parse(readFileSync(join(dir, 'bad-inputs.json'), 'utf8')) as { count: number; inputs: BadEntry[] };
    assert.deepEqual(read().inputs.map((e) => e.stage), ['labels', 'epoch']);
    // a rerun writes the check's entries afresh and keeps what epochs added
    writeBadReport(dir, 'koniq10k', []);
    assert.deepEqual(read(), { dataset: 'koniq10k', count: 1, inputs: [{ file: '/d/img.jpg', problem: 'unreadable image (truncated)', stage: 'epoch' }] } as unknown as ReturnType<typeof read>);
  } finally {
    if (before === undefined) delete process.env[SKIP_BAD_ENV];
    else process.env[SKIP_BAD_ENV] = before;
  }
});

test('CLI: dgiqa data summary --check fails on a truncated image naming it; --skip-bad lists every bad input', async () => {
  const fx = fixture();
  const good = await writeGood(fx);
  const cut = CASES.find((c) => c.name === 'truncated JPEG')!;
  await cut.make(fx);
  writeCsv(fx, [...good, ...cut.rows, { name: 'a.jpg', score: '70' }]);
  const bin = join(KIT, 'bin', 'dgiqa.js');
  const args = ['data', 'summary', 'koniq10k', fx.root, '--check'];
  const failed = await run(process.execPath, [bin, ...args]).then(
    () => assert.fail('expected a non-zero exit'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(failed.code, 1);
  assert.equal(failed.stderr.trim(), `dgiqa data: ${fx.csv}: line 8 repeats 1024x768/a.jpg, already listed at line 2`);
  const ok = await run(process.execPath, [bin, ...args, '--skip-bad']);
  const lines = ok.stdout.trim().split('\n');
  const bad = lines.filter((l) => l.startsWith('bad: '));
  assert.equal(bad.length, 2);
  assert.equal(bad[0], `bad: ${fx.csv}: line 8 repeats 1024x768/a.jpg, already listed at line 2`);
  assert.match(bad[1]!, new RegExp(`^bad: ${esc(fx.img('cut.jpg'))}: unreadable image \\(.+\\)$`));
  assert.ok(lines.some((l) => l.startsWith(`info: 1 image(s) smaller than 224 on a side (e.g. ${fx.img('small.jpg')})`)));
  const summary = JSON.parse(lines.pop()!) as { count: number; bad: number };
  assert.deepEqual([summary.count, summary.bad], [good.length, 2]);
});

test('training: an image that breaks mid-epoch is left out and reported with skipping on, else the run stops with one line', async () => {
  await initBackend('wasm');
  const fx = fixture();
  const good = await writeGood(fx);
  writeCsv(fx, good);
  const items = (await open(fx, false)).items.map((r, i): BenchItem => ({ image: r.image, relImage: `1024x768/${good[i]!.name}`, depth: r.depth!, score01: r.score01! }));
  const victim = fx.img('deep.png');
  writeFileSync(victim, readFileSync(victim).subarray(0, 300));
  const train = items.filter((i) => i.image !== fx.img('a.jpg'));
  const test = items.filter((i) => i.image === fx.img('a.jpg') || i.image === fx.img('gray.png'));
  const base = { profile: PROFILES.smoke, train, test, label: 'bad-data mid-epoch', data: 'fixture', seed: 0 };
  const before = process.env[SKIP_BAD_ENV];
  const tensorsBefore = tf.memory().numTensors;
  try {
    setSkipBad(false);
    const stopped = join(fx.data, '..', 'runs', 'stopped');
    await assert.rejects(trainAndTest({ ...base, dir: stopped }), (err: Error) => {
      assert.match(err.message, new RegExp(`^${esc(victim)}: unreadable image`));
      assert.ok(!err.message.includes('\n'), 'one line');
      return true;
    });
    assert.equal(DecodePool.openWorkers, 0, 'the decode workers shut down with the failed run');
    assert.equal(tf.memory().numTensors, tensorsBefore, 'the failed run released its model and optimizer');
    setSkipBad(true);
    const dir = join(fx.data, '..', 'runs', 'skipped');
    const r = await trainAndTest({ ...base, dir });
    assert.equal(r.predictions.length, test.length);
    const report = JSON.parse(readFileSync(join(dir, 'bad-inputs.json'), 'utf8')) as { count: number; inputs: BadEntry[] };
    assert.equal(report.count, 1);
    assert.equal(report.inputs[0]!.file, victim);
    assert.equal(report.inputs[0]!.stage, 'epoch');
    assert.equal(DecodePool.openWorkers, 0, 'and with the finished one');
  } finally {
    if (before === undefined) delete process.env[SKIP_BAD_ENV];
    else process.env[SKIP_BAD_ENV] = before;
  }
});
