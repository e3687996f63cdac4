// End to end on the embedded benchmark, at the demo size: generate family A (12 scenes, 224 px),
// take split 0 of the protocol (9 scenes to train, 1 to pick the epoch, 2 held out), train the demo
// model as the demo protocol does (from the kit's change-pretrained backbones, 3 epochs of batch 16,
// consistency loss on, the best validation epoch kept), score the held-out scenes with multi-crop
// inference. About two minutes of CPU.
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
    const r = await trainAndTest({ profile, dir: join(dir, 'run'), train: parts.train, val: parts.val, test: parts.test, label: 'synth-A split 0', data: 'embedded benchmark', seed: 0 });
    console.log(`learning test: SROCC ${r.metrics.srocc.toFixed(3)}, PLCC ${r.metrics.plcc.toFixed(3)}, epoch ${r.selection?.epoch}`);
    // The demo scores its tests with 20 crops (the paper's count). This split gave SROCC 0.813 and
    // 0.815, PLCC 0.87, here with 20 crops (0.781 and 0.785 with 5; data/pretrained/README.md). The bar
    // leaves room for another machine's rounding to pick another epoch (4- and 5-epoch runs of this
    // split kept epochs 2 and 4 and scored 0.835 and 0.715), yet fails the depth backbone's recipe
    // (0.44), training from scratch at a 4x4 fused map (0.15 to 0.58), frozen backbones (0.63) and a
    // model that learned nothing (|SROCC| < 0.3 on 120 images in all but ~0.1% of draws).
    assert.ok(r.metrics.srocc > 0.7, `SROCC ${r.metrics.srocc}`);
    assert.ok(r.metrics.plcc > 0.78, `PLCC ${r.metrics.plcc}`);
    assert.equal(r.selection?.valImages, parts.val.length, 'the epoch was picked on the validation part');
    assert.equal(r.predictions.length, parts.test.length);
  });
});
