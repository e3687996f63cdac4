// End to end on the embedded benchmark, at the demo size: generate family A (10 scenes, 384 px),
// take split 0 of the protocol (8 scenes to train, 2 held out), train the demo model as the demo
// protocol does (2 epochs, consistency loss on), score the held-out scenes with multi-crop inference.
// Its test SROCC must beat a constant predictor's (which ranks nothing: 0) by a clear margin. About four
// minutes of CPU: the shortest run that learns reliably here (a one-minute run on the smoke set did
// not: its test SROCC ranged from -0.13 to 0.15).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { PROFILES, openBenchmark, paths, splitsFor, trainAndTest } from '../src/experiments/index.js';
import { applySplit } from '../src/data/splits.js';

describe('training on the embedded benchmark', () => {
  it('ranks held-out scenes clearly better than a constant predictor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgiqa-learn-'));
    await initBackend('wasm');
    // generated data and results go to a temporary folder, not the kit's data/ and results/
    paths.synth = join(dir, 'synth');
    paths.results = join(dir, 'results');
    const profile = PROFILES.demo;
    const b = await openBenchmark('synth-A', profile);
    const parts = applySplit(b.items, (await splitsFor(profile, b, 1))[0]);
    const train = [...parts.train, ...parts.val];
    const r = await trainAndTest({ profile, dir: join(dir, 'run'), train, test: parts.test, label: 'synth-A split 0', data: 'embedded benchmark', seed: 0 });
    // measured: SROCC 0.58, PLCC 0.64 (the demo protocol's split 1, same data, seeds and code); with
    // 120 test images, SROCC > 0.35 is far outside what a ranking by chance gives (p < 1e-4).
    // (Two epochs leave the scores compressed around the mean, so the RMSE is not yet below the
    // constant predictor's; the ranking is what the protocol measures.)
    assert.ok(r.metrics.srocc > 0.35, `SROCC ${r.metrics.srocc}`);
    assert.ok(r.metrics.plcc > 0.35, `PLCC ${r.metrics.plcc}`);
    assert.equal(r.predictions.length, parts.test.length);
  });
});
