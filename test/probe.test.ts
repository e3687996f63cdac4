// The linear probe (`dgiqa probe`): the ridge fit against numpy's closed form, the report's
// per-distortion numbers on rows built to know one distortion and not another, the features as the
// backbone computes them with no leaked tensors, and the command on the smoke benchmark, with bad
// flags refused in one line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { tf } from '../src/backend/tf.js';
import { initBackend } from '../src/backend/select.js';
import { fitRidge, predictRidge } from '../src/eval/index.js';
import { Dgiqa, configFrom, evalCtx } from '../src/model/index.js';
import { evalCrops } from '../src/data/pipeline/index.js';
import { backboneFeatures, probeReport } from '../src/pretrain/index.js';
import type { ProbeRow } from '../src/pretrain/index.js';
import { Rng } from '../src/util/rng.js';

const run = promisify(execFile);
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'dgiqa.js');

let scratch: string;
before(async () => {
  await initBackend('wasm');
  scratch = mkdtempSync(join(tmpdir(), 'dgiqa-probe-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('ridge', () => {
  // numpy 2.4: Z standardised with the population std, w = solve(Z'Z + 0.7 I, Z'(y - mean y)),
  // prediction of [0.5, -1, 2] = (x - mu) / sd . w + mean y
  const X = [[2.041, -2.556, 0.418], [-0.568, -0.453, -0.216], [-2.02, -0.232, -0.865], [3.323, 0.226, -0.353], [-0.281, -0.668, -1.055], [-0.391, 0.482, -0.239], [0.958, -0.2, 0.024], [1.546, 0.545, -0.505]];
  const Y = [-0.183, 0.541, 1.935, -0.27, -0.244, 1.002, -0.886, -0.292];
  test('weights and a prediction equal numpy\'s closed form', () => {
    const m = fitRidge(X, Y, 0.7);
    const want = [-0.57353632, 0.05648005, 0.00655954];
    want.forEach((w, j) => assert.ok(Math.abs(m.weights[j]! - w) < 1e-7, `weight ${j}: ${m.weights[j]} vs ${w}`));
    assert.ok(Math.abs(predictRidge(m, [0.5, -1, 2]) - 0.22337514) < 1e-7);
  });
  test('noiseless data: a small alpha recovers the line; a constant feature weighs nothing', () => {
    const rng = new Rng(5);
    const x = Array.from({ length: 50 }, () => [rng.uniform(-2, 2), rng.uniform(0, 1), 3]);
    const y = x.map(([a, b]) => 2 + 3 * a! - b!);
    const m = fitRidge(x, y, 1e-9);
    assert.ok(Math.abs(predictRidge(m, [1, 0.5, 3]) - 4.5) < 1e-6);
    assert.ok(Math.abs(m.weights[2]!) < 1e-12);
  });
  test('bad input is refused', () => {
    assert.throws(() => fitRidge(X, Y, 0), /alpha must be > 0/);
    assert.throws(() => fitRidge(X, Y.slice(1), 1), /as many labels as rows/);
    assert.throws(() => fitRidge([[1, 2], [3]], [1, 2], 1), /same number of features/);
    assert.throws(() => fitRidge([[1, NaN], [3, 4]], [1, 2], 1), /finite/);
    assert.throws(() => predictRidge(fitRidge(X, Y, 1), [1, 2]), /3 features, the row 2/);
  });
});

describe('probe report', () => {
  // feature 0 is the label for "blur" images and 0 for "noise" images: the probe ranks blur within
  // every scene and not noise; feature 1 is the scene, the same for every level
  const rows: ProbeRow[] = [];
  for (const scene of ['s0', 's1', 's2', 's3', 's4']) {
    for (const distortion of ['blur', 'noise']) {
      for (let level = 1; level <= 4; level++) {
        const label = 1 - level / 5 + Number(scene.slice(1)) / 100;
        rows.push({ features: [distortion === 'blur' ? label : 0, Number(scene.slice(1))], label, distortion, scene, test: scene === 's3' || scene === 's4' });
      }
    }
  }
  test('per distortion across and within scenes; counts; too few rows refused', () => {
    const r = probeReport(rows, 1e-3);
    assert.equal(r.trainImages, 24);
    assert.equal(r.testImages, 16);
    assert.equal(r.features, 2);
    assert.equal(r.perDistortion.blur!.images, 8);
    assert.ok(Math.abs(r.perDistortion.blur!.withinScene! - 1) < 1e-12);
    assert.ok(r.perDistortion.blur!.srocc > 0.9);
    // every noise image of a scene gets the same prediction: no within-scene ranking
    assert.ok(!(Math.abs(r.perDistortion.noise!.withinScene ?? 0) > 0.5));
    assert.throws(() => probeReport(rows.filter((x) => !x.test), 1), /at least 2 training and 2 test images/);
  });
});

describe('backbone features', () => {
  test('the mean and std over space of each stage map, averaged over the crops; no leaked tensors', async () => {
    const image = join(scratch, 'ramp.png');
    const w = 96;
    const raw = Buffer.alloc(w * w * 3);
    for (let i = 0; i < w * w; i++) raw.set([(i % w) * 2, Math.floor(i / w) * 2, (i * 7) % 256], i * 3);
    await sharp(raw, { raw: { width: w, height: w, channels: 3 } }).png().toFile(image);
    const model = new Dgiqa(configFrom({ ...{ imgSize: 64, windowSize: 4, embedDim: 8, depths: [1, 1, 1, 1], numHeads: [1, 1, 2, 2], tcbOut: [4, 4, 4, 4], seReduction: 2, attnHeads: 2, dilationChannels: 8, fuseStage: 3 }, useDepth: false, depthCar: false }), 3);
    try {
      const start = tf.memory().numTensors;
      const f = await backboneFeatures(model, image, { crops: 2, evalShortSide: 80, seed: 1 });
      assert.equal(tf.memory().numTensors, start, 'backboneFeatures leaked tensors');
      assert.equal(f.length, 2 * (8 + 16 + 32 + 64));
      // the same numbers the long way: each crop through the backbone alone
      const c = await evalCrops({ image, depth: undefined }, { seed: 1, crops: 2, size: 64, evalShortSide: 80, allowMissingDepth: true });
      const want: number[] = [];
      tf.tidy(() => {
        const stages = model.backbone.apply(tf.tensor4d(c.rgb, [2, 64, 64, 3]), evalCtx());
        for (const m of stages) {
          const v = m.arraySync();
          const ch = m.shape[3];
          const stat = (fn: (vals: number[]) => number): number[] => Array.from({ length: ch }, (_, k) => (fn(v[0]!.flat().map((p) => p[k]!)) + fn(v[1]!.flat().map((p) => p[k]!))) / 2);
          const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
          want.push(...stat(mean), ...stat((a) => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)))));
        }
      });
      want.forEach((x, i) => assert.ok(Math.abs(f[i]! - x) < 1e-4 * Math.max(1, Math.abs(x)), `feature ${i}: ${f[i]} vs ${x}`));
    } finally {
      model.dispose();
    }
  });
});

describe('dgiqa probe', () => {
  test('on the smoke benchmark: a JSON line with every distortion; bad flags and files refused in one line', async () => {
    const env = { ...process.env, DGIQA_SYNTH: join(scratch, 'synth'), DGIQA_RESULTS: join(scratch, 'results') };
    await run('node', [BIN, 'synth', '--out', join(scratch, 'synth'), '--profile', 'smoke'], { env });
    const { stdout } = await run('node', [BIN, 'probe', '--backbone', 'random', '--dataset', 'synth-A', '--profile', 'smoke', '--crops', '1'], { env, maxBuffer: 1 << 24 });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as { testImages: number; trainImages: number; features: number; testSrocc: number; perDistortion: Record<string, { images: number; withinScene: number | null }> };
    assert.equal(r.features, 480);
    assert.equal(r.trainImages + r.testImages, 144);
    assert.ok(Number.isFinite(r.testSrocc));
    assert.equal(Object.keys(r.perDistortion).length, 12);
    for (const d of Object.values(r.perDistortion)) assert.ok(d.withinScene !== null && d.images > 0);
    const bad = async (args: string[], pattern: RegExp): Promise<void> => {
      await assert.rejects(run('node', [BIN, 'probe', ...args], { env }), (e: { code?: number; stdout?: string; stderr?: string }) => {
        assert.equal(e.code, 1);
        assert.match(`${e.stdout ?? ''}${e.stderr ?? ''}`, pattern);
        return true;
      });
    };
    await bad(['--backbone', 'random', '--dataset', 'synth-A', '--profile', 'smoke', '--alpha', '0'], /--alpha must be a number > 0/);
    const missing = join(scratch, 'none.safetensors');
    await bad(['--backbone', missing, '--dataset', 'synth-A', '--profile', 'smoke'], new RegExp(missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await bad(['--dataset', 'synth-A'], /usage: dgiqa probe/);
  });
});
