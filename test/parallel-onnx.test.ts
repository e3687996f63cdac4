// Trainings on ONNX Runtime side by side: each in a child process (its Node binding cannot run in
// worker threads), with the same results as one after another on the main thread at the same thread
// count, results in order, a failing one reported while the other finishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { initBackend, tf } from '../src/backend/index.js';
import { Dgiqa, configFrom } from '../src/model/index.js';
import { predictRecords, predictRecordsEach } from '../src/eval/index.js';
import { ablationCrossTests, ablationCrossTestsOf, trainAndTestAll, type Benchmark, type CrossTestEntry, type RunSpec } from '../src/experiments/index.js';
import { tinyProfile, tinyRuns, type TinyRuns } from './support/tinyRuns.js';

// the steps on ONNX Runtime with one thread, in this process and in the children alike
process.env.DGIQA_TRAIN_ENGINE = 'onnx';
process.env.DGIQA_TRAIN_THREADS = '1';

let runs: TinyRuns;
const specs = (dir: string, extra?: Partial<RunSpec>[]): RunSpec[] => runs.specs(dir, extra);

test.before(async () => {
  await initBackend('wasm');
  runs = await tinyRuns('dgiqa-parallel-onnx-');
});
test.after(async () => {
  await runs.remove();
});

test('two at a time in processes on ONNX Runtime gives what one after another gives, in order', async () => {
  // three runs on two lanes: one process trains two models in turn
  const three = [{}, {}, {}];
  const alone = await trainAndTestAll(specs('sequential', three), 1);
  const side = await trainAndTestAll(specs('parallel', three), 2);
  assert.deepEqual(side.map((r) => r.label), ['run 0', 'run 1', 'run 2']);
  for (const k of [0, 1, 2]) {
    assert.deepEqual(side[k]!.predictions.map((p) => p.pred), alone[k]!.predictions.map((p) => p.pred), `run ${k}: same predictions`);
    assert.deepEqual(side[k]!.metrics, alone[k]!.metrics);
    // the child trained on ONNX Runtime with one thread, as its log says
    const log = (await readFile(join(runs.root, 'parallel', `run-${k}`, 'run', 'log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const epochs = log.filter((r) => r.kind === 'epoch');
    assert.ok(epochs.length > 0 && epochs.every((r) => r.engine === 'onnx' && r.threads === 1), JSON.stringify(epochs));
  }
  assert.notDeepEqual(side[0]!.predictions, side[1]!.predictions, 'the two seeds train different models');
});

test('on ONNX Runtime too, a failing training is reported and the one beside it finishes and is saved', async () => {
  const bad = specs('failing', [{}, { model: { bogus: 1 } }]);
  await assert.rejects(trainAndTestAll(bad, 2), /bogus/);
  assert.ok(existsSync(join(bad[0]!.dir, 'result.json')));
  assert.ok(!existsSync(join(bad[1]!.dir, 'result.json')));
});

test('predictRecordsEach: each model gets what predictRecords gives it alone, on either engine, RGB-only beside depth', async () => {
  const models = [new Dgiqa(configFrom('demo'), 1), new Dgiqa(configFrom('demo'), 2), new Dgiqa(configFrom({ ...configFrom('demo'), useDepth: false, depthCar: false }), 3)];
  try {
    for (const engine of ['onnx', 'tfjs'] as const) {
      const o = { crops: 2, seed: 4, evalShortSide: 160, imagesPerBatch: 3, workers: 0, engine };
      const before = tf.memory().numTensors;
      const each = await predictRecordsEach(models, runs.items, o);
      assert.equal(tf.memory().numTensors, before, `${engine}: no tensors left behind`);
      assert.equal(each.length, 3);
      for (const [k, m] of models.entries()) {
        const alone = await predictRecords(m, runs.items, o);
        assert.deepEqual(each[k]!.scores, alone.scores, `${engine}, model ${k}`);
        assert.equal(each[k]!.engine, engine);
        assert.ok(each[k]!.scores.every(Number.isFinite));
      }
      assert.notDeepEqual(each[0]!.scores, each[1]!.scores, 'two seeds, two models');
    }
    await assert.rejects(predictRecordsEach([], runs.items, { crops: 1, seed: 0 }), /no model/);
    const other = new Dgiqa(configFrom('tiny'), 1);
    await assert.rejects(predictRecordsEach([models[0]!, other], runs.items, { crops: 1, seed: 0 }), /different input sizes/);
    other.dispose();
  } finally {
    for (const m of models) m.dispose();
  }
});

test("Table 5's tests in the training processes, in groups, give what one after another here gives", async () => {
  const three = [{}, { model: { depthCar: false } }, {}];
  const trained = await trainAndTestAll(specs('cross', three), 1);
  const variants = three.map((e, k) => ({ name: `variant ${k}`, model: e.model ?? {} }));
  const entries: CrossTestEntry[] = specs('cross', three).map((spec, k) => ({ spec, variant: variants[k]!, within: trained[k]! }));
  const set = (id: string): Benchmark => ({ id, items: runs.items, depthSource: 'synthetic', kind: 'embedded', bad: [], small: [] });
  const [a, b] = [set('tiny-a'), set('tiny-b')];
  process.env.DGIQA_TRAIN_PARALLEL = '2';
  let lanes;
  try {
    lanes = await ablationCrossTests(tinyProfile, entries, a, b);
  } finally {
    delete process.env.DGIQA_TRAIN_PARALLEL;
  }
  for (const e of entries) {
    assert.ok(existsSync(join(e.spec.dir, 'test-tiny-b.json')), 'saved beside the run');
    await rm(join(e.spec.dir, 'test-tiny-b.json'));
  }
  const here = await ablationCrossTestsOf(tinyProfile, entries, a, b);
  assert.deepEqual(lanes.map((r) => r.label), ['variant 0: tiny-a -> tiny-b', 'variant 1: tiny-a -> tiny-b', 'variant 2: tiny-a -> tiny-b']);
  for (const k of [0, 1, 2]) {
    assert.deepEqual(lanes[k]!.predictions, here[k]!.predictions, `run ${k}`);
    assert.equal(lanes[k]!.evalEngine, 'onnx');
    assert.equal(lanes[k]!.trainSeconds, trained[k]!.trainSeconds, "the run's own training time is kept");
  }
  // a rerun reads them back
  const again = await ablationCrossTestsOf(tinyProfile, entries, a, b);
  assert.deepEqual(again.map((r) => r.metrics), here.map((r) => r.metrics));
});
