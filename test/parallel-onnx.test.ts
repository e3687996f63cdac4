// Trainings on ONNX Runtime side by side: each in a child process (its Node binding cannot run in
// worker threads), with the same results as one after another on the main thread at the same thread
// count, results in order, a failing one reported while the other finishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { trainAndTestAll, type RunSpec } from '../src/experiments/index.js';
import { tinyRuns, type TinyRuns } from './support/tinyRuns.js';

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
