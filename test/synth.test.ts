// The embedded benchmark: determinism, resumability, layout, labels monotone in level, families.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import sharp from 'sharp';
import { Rng, deriveSeed } from '../src/util/rng.js';
import {
  DISPARITY_SCALE, DISTORTIONS, generateBenchmark, loadSynth, loadSynthPairs, makeScene, NATURAL_DISTORTIONS, readInverseDepthPng16,
  ReferenceQuality, renderScene, SYNTH_DEFAULT_SEED, fullReferenceQuality, nearnessAttention, perceivedQuality, type RgbImage, type SynthManifest,
} from '../src/data/synth/index.js';
import { blurStack, defocus, haze, normalField } from '../src/data/synth/distortNatural.js';
import { whiteNoise } from '../src/data/synth/distortBasic.js';
import { monotoneScores } from '../src/data/synth/labels.js';

// Small but complete: every type of family A at all five levels, two scenes (one per worker).
const SMALL = { seed: SYNTH_DEFAULT_SEED, family: 'A' as const, scenes: 2, size: 256 };

async function hashTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(root, p), createHash('sha256').update(await readFile(p)).digest('hex'));
    }
  };
  await walk(root);
  return out;
}

const tmpRoots: string[] = [];
async function tmp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'dgiqa-synth-'));
  tmpRoots.push(d);
  return d;
}
test.after(async () => {
  for (const d of tmpRoots) await rm(d, { recursive: true, force: true });
});

let first: { dir: string; manifest: SynthManifest } | null = null;
async function generated(): Promise<{ dir: string; manifest: SynthManifest }> {
  if (!first) {
    const dir = await tmp();
    first = { dir, manifest: await generateBenchmark({ ...SMALL, outDir: dir, workers: 2 }) };
  }
  return first;
}

test('rng: mulberry32 streams are reproducible and independent', () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
  const r = new Rng(7);
  let sum = 0;
  for (let i = 0; i < 10000; i++) { const v = r.next(); assert.ok(v >= 0 && v < 1); sum += v; }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
  assert.notEqual(deriveSeed(1, 'A', 0), deriveSeed(1, 'A', 1));
  assert.equal(deriveSeed(1, 'A', 0), deriveSeed(1, 'A', 0));
});

test('same seed, same bytes: pool of workers vs one thread, interrupted and resumed', async () => {
  const { dir } = await generated();
  const other = await tmp();
  const controller = new AbortController();
  await assert.rejects(
    generateBenchmark({ ...SMALL, outDir: other, workers: 0, signal: controller.signal, onProgress: (p) => { if (p.scenesDone === 1) controller.abort(); } }),
    /interrupted after 1 of 2 scenes; run the same command again to resume/,
  );
  let reused = -1;
  await generateBenchmark({ ...SMALL, outDir: other, workers: 0, onProgress: (p) => { reused = p.scenesReused; } });
  assert.equal(reused, 1, 'the finished scene was kept');
  const [h1, h2] = [await hashTree(dir), await hashTree(other)];
  assert.ok(h1.size > 60);
  assert.deepEqual(h2, h1);
});

test('a finished family is not redone; other settings in the same folder are refused', async () => {
  const { dir } = await generated();
  const t0 = Date.now();
  let reused = 0;
  await generateBenchmark({ ...SMALL, outDir: dir, onProgress: (p) => { reused = p.scenesReused; } });
  assert.equal(reused, SMALL.scenes);
  assert.ok(Date.now() - t0 < 1000);
  await assert.rejects(generateBenchmark({ ...SMALL, seed: 1, outDir: dir }), /other settings; pass --force/);
});

test('layout, manifest and 16-bit depth maps', async () => {
  const { dir, manifest } = await generated();
  const fam = join(dir, 'A');
  assert.equal(manifest.counts.distorted, 2 * 12 * 5);
  assert.equal(manifest.distortions.length, 12);
  assert.ok(manifest.distortions.filter((d) => d.depthDependent).map((d) => d.name).includes('haze'));
  assert.ok(manifest.distortions.filter((d) => d.depthDependent).map((d) => d.name).includes('defocus'));
  for (const n of ['haze', 'low_light', 'lens_flare', 'motion_blur']) assert.ok(manifest.distortions.some((d) => d.name === n && d.natural), n);
  assert.deepEqual(JSON.parse(await readFile(join(fam, 'manifest.json'), 'utf8')), manifest);
  const header = (await readFile(join(fam, 'labels.csv'), 'utf8')).split('\n')[0];
  assert.equal(header, 'image,reference,distortion,level,score01,refId,raw');
  const meta = await sharp(join(fam, 'depth', 's000.png')).metadata();
  assert.equal(meta.depth, 'ushort');
  assert.equal(meta.channels, 1);
  assert.equal(meta.width, 256);
  const img = await sharp(join(fam, 'images', 's001_haze_3.png')).metadata();
  assert.deepEqual([img.width, img.height, img.channels, img.depth], [256, 256, 3, 'uchar']);
});

test('the depth map is the rendered depth, to the precision of its 16-bit encoding', async () => {
  const { dir } = await generated();
  const { depth, width } = await readInverseDepthPng16(join(dir, 'A', 'depth', 's001.png'), DISPARITY_SCALE);
  assert.equal(width, 256);
  const truth = renderScene(makeScene('A', deriveSeed(SYNTH_DEFAULT_SEED, 'A', 'scene', 1)), 256, 256).depth;
  let worst = 0;
  for (let i = 0; i < truth.length; i++) worst = Math.max(worst, Math.abs((depth[i] as number) - (truth[i] as number)) / (truth[i] as number));
  assert.ok(worst < 1e-3, `relative error ${worst}`);
  // Room scenes: the floor at the bottom edge is nearer than the wall at the top.
  assert.ok((truth[255 * 256 + 128] as number) < (truth[128] as number));
});

test('labels: within each scene and type, a stronger level scores strictly lower', async () => {
  const { dir, manifest } = await generated();
  const records = await loadSynth(join(dir, 'A'));
  assert.equal(records.length, manifest.counts.distorted);
  const groups = new Map<string, { level: number; score01: number; raw: number }[]>();
  for (const r of records) {
    assert.ok(r.score01 >= 0 && r.score01 <= 1);
    assert.ok(r.image.endsWith(r.relImage));
    const key = `${r.refId}/${r.distortion}`;
    groups.set(key, [...(groups.get(key) ?? []), { level: r.level as number, score01: r.score01, raw: r.raw }]);
  }
  assert.equal(groups.size, 2 * 12);
  for (const [key, list] of groups) {
    list.sort((a, b) => a.level - b.level);
    for (let k = 1; k < list.length; k++) {
      assert.ok((list[k] as { score01: number }).score01 < (list[k - 1] as { score01: number }).score01, `${key}: level ${k + 1} not below level ${k}`);
      // The FR index itself, before the guard: the level tables are set so that it falls too.
      assert.ok((list[k] as { raw: number }).raw < (list[k - 1] as { raw: number }).raw, `${key}: raw index not falling at level ${k + 1}`);
    }
  }
  assert.equal(manifest.label.rawViolations, 0);
});

test('the monotone guard only ever lowers a score, and counts what it did', () => {
  assert.deepEqual(monotoneScores([0.9, 0.8, 0.7]), { scores: [0.9, 0.8, 0.7], violations: 0 });
  const g = monotoneScores([0.9, 0.95, 0.5]);
  assert.equal(g.violations, 1);
  assert.ok(Math.abs((g.scores[1] as number) - 0.899) < 1e-12);
  assert.equal(g.scores[2], 0.5);
});

test('pairs: clean/distorted pairs of the natural distortions', async () => {
  const { dir, manifest } = await generated();
  const pairs = await loadSynthPairs(join(dir, 'A'));
  assert.equal(pairs.length, manifest.counts.pairs);
  assert.equal(pairs.length, 2 * NATURAL_DISTORTIONS.length * 5);
  for (const p of pairs) {
    assert.equal(p.dataset, 'synth-A');
    assert.equal(p.subset, p.distortion);
    assert.ok(NATURAL_DISTORTIONS.includes(p.distortion));
    assert.ok(p.clean.endsWith(`images/${p.refId}.png`));
  }
});

test('family B: other scenes and three distortion types family A lacks', async () => {
  const dir = await tmp();
  const b = await generateBenchmark({ outDir: dir, seed: SYNTH_DEFAULT_SEED, family: 'B', scenes: 1, size: 256, levels: [1, 5], workers: 0 });
  const { manifest: a, dir: aDir } = await generated();
  const namesA = new Set(a.distortions.map((d) => d.name));
  const onlyB = b.distortions.map((d) => d.name).filter((n) => !namesA.has(n));
  assert.equal(b.distortions.length, 12);
  assert.ok(onlyB.length >= 3, `B-only types: ${onlyB.join(',')}`);
  assert.notEqual(b.familyDescription, a.familyDescription);
  const [ha, hb] = [await hashTree(join(aDir, 'A', 'images')), await hashTree(join(dir, 'B', 'images'))];
  assert.notEqual(ha.get('s000.png'), hb.get('s000.png'));
  assert.ok(DISTORTIONS.length >= 15);
});

const plane = (w: number, h: number, f: (x: number, y: number, c: number) => number): RgbImage => {
  const data = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) data[(y * w + x) * 3 + c] = f(x, y, c);
  return { width: w, height: h, data };
};

test('haze follows I = J t + A (1 - t) with t = exp(-beta d): far pixels go to the airlight', () => {
  const img = plane(8, 1, () => 0.1);
  const depth = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const out = haze(img, depth, 0.5, [0.9, 0.9, 0.9]);
  // Median depth 5 (upper median of 8 values) has t = 0.5.
  const beta = Math.log(2) / 5;
  for (let i = 0; i < 8; i++) {
    const t = Math.exp(-beta * (i + 1));
    assert.ok(Math.abs((out.data[3 * i] as number) - (0.1 * t + 0.9 * (1 - t))) < 1e-6);
  }
});

test('defocus blurs with distance from the focal plane and leaves the focal plane sharp', () => {
  const img = plane(32, 32, (x) => (x % 2 === 0 ? 1 : 0));
  const depth = new Float32Array(32 * 32);
  for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) depth[y * 32 + x] = y < 16 ? 2 : 10;
  const out = defocus(blurStack(img, [0, 0.5, 1, 2, 4]), depth, 2, 4, 4);
  const at = (x: number, y: number): number => out.data[(y * 32 + x) * 3] as number;
  assert.ok(Math.abs(at(10, 5) - 1) < 1e-6 && Math.abs(at(11, 5)) < 1e-6, 'in focus: unchanged');
  assert.ok(Math.abs(at(10, 28) - 0.5) < 0.05, 'far: stripes averaged out');
});

test('full-reference index: 1 for identical images, falls with noise, refuses tiny images', () => {
  const img = plane(192, 192, (x, y, c) => 0.5 + 0.3 * Math.sin(x / 7 + c) * Math.cos(y / 5));
  assert.equal(fullReferenceQuality(img, img), 1);
  const rq = new ReferenceQuality(img);
  const noise = normalField(img.data.length, 3);
  const qs = [0.01, 0.05, 0.1, 0.2].map((s) => rq.score(whiteNoise(img, s, noise)));
  for (let i = 1; i < qs.length; i++) assert.ok((qs[i] as number) < (qs[i - 1] as number));
  assert.throws(() => fullReferenceQuality(plane(64, 64, () => 0), plane(64, 64, () => 0)), /too small/);
});

test('the observer: uniform attention is plain MS-SSIM; nearness attention counts a near degradation more than a far one', () => {
  const img = plane(192, 192, (x, y, c) => 0.5 + 0.3 * Math.sin(x / 7 + c) * Math.cos(y / 5));
  const noise = normalField(img.data.length, 3);
  const noisy = whiteNoise(img, 0.08, noise);
  // constant attention pools like the unweighted index (up to float rounding)
  const uniform = new Float32Array(192 * 192).fill(3);
  assert.ok(Math.abs(fullReferenceQuality(img, noisy, uniform) - fullReferenceQuality(img, noisy)) < 1e-5);
  // left half near (1 m), right half far (20 m); noise on one half only
  const depth = Float32Array.from({ length: 192 * 192 }, (_, i) => (i % 192 < 96 ? 1 : 20));
  const attention = nearnessAttention(depth);
  const half = (left: boolean): RgbImage => ({ ...img, data: img.data.map((v, i) => ((Math.floor(i / 3) % 192 < 96) === left ? (noisy.data[i] as number) : v)) });
  const nearHurt = fullReferenceQuality(img, half(true), attention);
  const farHurt = fullReferenceQuality(img, half(false), attention);
  assert.ok(nearHurt < farHurt - 0.02, `near ${nearHurt} vs far ${farHurt}`);
  // without attention the two halves count alike (the image is symmetric enough: within 0.02)
  assert.ok(Math.abs(fullReferenceQuality(img, half(true)) - fullReferenceQuality(img, half(false))) < 0.02);
  assert.throws(() => fullReferenceQuality(img, noisy, new Float32Array(10)), /attention weights for a 192x192 image/);
  assert.throws(() => fullReferenceQuality(img, noisy, new Float32Array(192 * 192)), /all zero/);
});

test('perceived quality: 1 - (1 - q)^0.5, monotone, spreads the top of the scale', () => {
  assert.equal(perceivedQuality(1), 1);
  assert.equal(perceivedQuality(0), 0);
  assert.ok(Math.abs(perceivedQuality(0.99) - 0.9) < 1e-12);
  assert.ok(Math.abs(perceivedQuality(0.75) - 0.5) < 1e-12);
  const qs = [0, 0.2, 0.5, 0.9, 0.99, 0.999];
  for (let i = 1; i < qs.length; i++) assert.ok(perceivedQuality(qs[i] as number) > perceivedQuality(qs[i - 1] as number));
});

test('bad input: settings out of range and a folder that is not a family', async () => {
  const dir = await tmp();
  await assert.rejects(generateBenchmark({ outDir: dir, seed: 1, family: 'A', scenes: 1, size: 128 }), /size must be an integer >= 176/);
  await assert.rejects(generateBenchmark({ outDir: dir, seed: 1, family: 'A', scenes: 1, size: 256, levels: [3, 2] }), /levels must be increasing/);
  await assert.rejects(generateBenchmark({ outDir: dir, seed: 1, family: 'A', scenes: 1, size: 256, distortions: ['ringing'] }), /not in family A/);
  await assert.rejects(loadSynth(dir), /labels\.csv: missing; not a synthetic benchmark family folder/);
});
