// Model selection: the epoch tested is the one with the best validation SROCC (never chosen on the
// test part), its weights are those saved when it was scored, and the choice is in the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../src/backend/index.js';
import { PROFILES, type Profile, bestEpoch, loadRunModel, openBenchmark, paths, splitsFor, testModel, trainAndTest } from '../src/experiments/index.js';
import { applySplit } from '../src/data/splits.js';
import { readLog } from '../src/train/index.js';
import { loadModel, readSafetensorsMetadata } from '../src/weights/index.js';

test('bestEpoch: the first epoch with the highest validation SROCC; NaN ranks last', () => {
  assert.equal(bestEpoch([0.2, 0.5, 0.4]), 1);
  assert.equal(bestEpoch([0.5, 0.5, 0.4]), 0, 'ties keep the earlier epoch');
  assert.equal(bestEpoch([NaN, 0.1, NaN]), 1);
  assert.equal(bestEpoch([0.3]), 0);
});

test('a run with a validation part tests its best validation epoch, not its last', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-select-'));
  process.env.DGIQA_SYNTH = paths.synth = join(dir, 'synth');
  process.env.DGIQA_RESULTS = paths.results = join(dir, 'results');
  try {
    await initBackend('wasm');
    // three short epochs at a high rate, so that the validation curve moves
    const profile: Profile = { ...PROFILES.smoke, train: { ...PROFILES.smoke.train, numEpochs: 3, lr: 3e-3 } };
    const b = await openBenchmark('synth-A', profile);
    const parts = applySplit(b.items, (await splitsFor(profile, b, 1))[0]!);
    assert.ok(parts.val.length > 0, 'the smoke split has a validation part');
    const runDir = join(dir, 'run');
    const before = tf.memory().numTensors;
    const r = await trainAndTest({ profile, dir: runDir, train: parts.train, val: parts.val, test: parts.test, label: 'selection', data: 'smoke', seed: 1 });
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    const curve = (await readLog(join(runDir, 'run'))).filter((x) => x.kind === 'epoch').map((x) => Number(x.valSrocc));
    assert.equal(curve.length, 3);
    assert.ok(r.selection, 'the result records the selection');
    assert.deepEqual(r.selection.valCurve, curve);
    assert.equal(r.selection.epoch, bestEpoch(curve) + 1);
    assert.equal(r.selection.valImages, parts.val.length);
    // the weights tested are those of that epoch: best.safetensors says so, and scoring it again gives the result
    const meta = await readSafetensorsMetadata(join(runDir, 'run', 'best.safetensors'));
    assert.equal(Number(meta.epoch), r.selection.epoch);
    const { model } = await loadModel(join(runDir, 'run', 'best.safetensors'));
    const again = await testModel(model, { profile, test: parts.test, label: 'again' }, undefined, profile.evalCrops, r.evalEngine);
    model.dispose();
    assert.deepEqual(again.predictions.map((p) => p.pred), r.predictions.map((p) => p.pred));
    // what later studies load (cross-dataset tests, Grad-CAM, crops, density) is that model too
    const reloaded = await loadRunModel(runDir, profile);
    const third = await testModel(reloaded, { profile, test: parts.test, label: 'reloaded' }, undefined, profile.evalCrops, r.evalEngine);
    reloaded.dispose();
    assert.deepEqual(third.predictions.map((p) => p.pred), r.predictions.map((p) => p.pred));
    // a rerun reads the saved result
    const saved = await trainAndTest({ profile, dir: runDir, train: parts.train, val: parts.val, test: parts.test, label: 'selection', data: 'smoke', seed: 1 });
    assert.deepEqual(saved.selection, r.selection);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
