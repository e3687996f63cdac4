// Trainings side by side in worker threads: the same results as one after another, results in the
// specs' order, saved ones not retrained, and a failing training reported while the others finish.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { tf } from '../src/backend/tf.js';
import { trainAndTestAll, trainingParallelism, type RunSpec } from '../src/experiments/index.js';
import { tinyRuns, type TinyRuns } from './support/tinyRuns.js';

// Worker threads train on TensorFlow.js (ONNX Runtime runs on the main thread only): the comparison
// with one-after-another is between tfjs trainings on both sides.
process.env.DGIQA_TRAIN_ENGINE = 'tfjs';

let runs: TinyRuns;
const specs = (dir: string, extra?: Partial<RunSpec>[]): RunSpec[] => runs.specs(dir, extra);

test.before(async () => {
  await initBackend('wasm');
  runs = await tinyRuns('dgiqa-parallel-');
});
test.after(async () => {
  await runs.remove();
});

test('two at a time in workers gives what one after another gives, in order', async () => {
  assert.equal(runs.items.length, 8);
  const before = tf.memory().numTensors;
  const alone = await trainAndTestAll(specs('sequential'), 1);
  assert.equal(tf.memory().numTensors, before, 'no tensors leaked by the in-process trainings');
  const side = await trainAndTestAll(specs('parallel'), 2);
  assert.deepEqual(side.map((r) => r.label), ['run 0', 'run 1']);
  for (const k of [0, 1]) {
    assert.deepEqual(side[k]!.predictions.map((p) => p.pred), alone[k]!.predictions.map((p) => p.pred), `run ${k}: same predictions`);
    assert.deepEqual(side[k]!.metrics, alone[k]!.metrics);
  }
  assert.notDeepEqual(side[0]!.predictions, side[1]!.predictions, 'the two seeds train different models');
  // Saved results are read back, not retrained (a worker would take seconds; this takes none).
  const t0 = performance.now();
  const again = await trainAndTestAll(specs('parallel'), 2);
  assert.ok(performance.now() - t0 < 1000);
  assert.deepEqual(again.map((r) => r.metrics), side.map((r) => r.metrics));
});

test('a failing training is reported; the one beside it finishes and is saved', async () => {
  const bad = specs('failing', [{}, { model: { bogus: 1 } }]);
  await assert.rejects(trainAndTestAll(bad, 2), /bogus/);
  assert.ok(existsSync(join(bad[0]!.dir, 'result.json')));
  assert.ok(!existsSync(join(bad[1]!.dir, 'result.json')));
});

test('trainingParallelism: DGIQA_TRAIN_PARALLEL, else cores as memory allows', () => {
  const saved = process.env.DGIQA_TRAIN_PARALLEL;
  try {
    process.env.DGIQA_TRAIN_PARALLEL = '3';
    assert.equal(trainingParallelism(), 3);
    process.env.DGIQA_TRAIN_PARALLEL = 'two';
    assert.throws(() => trainingParallelism(), /DGIQA_TRAIN_PARALLEL must be a positive integer, got "two"/);
    delete process.env.DGIQA_TRAIN_PARALLEL;
    assert.ok(trainingParallelism() >= 1);
  } finally {
    if (saved === undefined) delete process.env.DGIQA_TRAIN_PARALLEL;
    else process.env.DGIQA_TRAIN_PARALLEL = saved;
  }
});
