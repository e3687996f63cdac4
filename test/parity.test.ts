// Parity with PyTorch: the tiny fixture (independent PyTorch implementation, official key layout) from
// both checkpoint formats on every available backend, and the paper-size model against the authors'
// own model file (see test/fixtures/parity-paper/make_expected.py).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, initBackend } from '../src/backend/index.js';
import { Dgiqa, configFrom } from '../src/model/index.js';
import { loadModel, loadIntoModel, readSafetensors } from '../src/weights/index.js';
import type { RawTensor } from '../src/weights/index.js';
import { summarize } from '../src/cli/forward.js';
import { TINY, PAPER, nhwc, assertClose } from './support/fixtures.js';
import { formulaTensor } from './support/formulaWeights.js';
import { forEachBackend } from './support/backends.js';

interface Expected {
  scores: number[];
  features: Record<string, { shape: number[]; mean: number; std: number; first: number[] }>;
  params: number;
}
const expected = JSON.parse(readFileSync(join(TINY, 'expected.json'), 'utf8')) as Expected;
const tinyConfig = configFrom(JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8')) as Record<string, unknown>);

const SCORE_TOL = 1e-4; // fixture README: what a float32 port should meet
const MEAN_RTOL = 1e-3;

forEachBackend((backend) => `parity-tiny on ${backend}`, () => {
  for (const file of ['weights.pth', 'weights.safetensors']) {
    it(`${file}: scores within ${SCORE_TOL}, feature means within ${MEAN_RTOL} relative, no leaked tensors`, async () => {
      const { model } = await loadModel(join(TINY, file), tinyConfig);
      const inputs = (await readSafetensors(join(TINY, 'inputs.safetensors'))).tensors;
      const rgb = nhwc(inputs.get('rgb') as RawTensor);
      const depth = nhwc(inputs.get('depth') as RawTensor);
      const before = tf.memory().numTensors;
      const scores = Array.from(model.predict(rgb, depth).dataSync());
      // predict returns one tensor; everything else must have been released
      assert.equal(tf.memory().numTensors, before + 1);
      scores.forEach((s, i) => assertClose(s, expected.scores[i], SCORE_TOL, `score ${i}`));
      // a scope, not tf.tidy: the maps are read asynchronously (WebGPU has no synchronous read in Node)
      tf.engine().startScope();
      const f = model.forward(rgb, depth).features;
      const maps: Record<string, tf.Tensor4D> = {
        rgb_stage1: f.rgbStages[0], rgb_stage2: f.rgbStages[1], rgb_stage3: f.rgbStages[2], rgb_stage4: f.rgbStages[3],
        fused_rgb: f.fusedRgb, fused_depth: f.fusedDepth as tf.Tensor4D, refined: f.refined,
      };
      for (const [name, want] of Object.entries(expected.features)) {
        const got = await summarize(maps[name]);
        assert.deepEqual(got.shape, want.shape, `${name} shape`);
        assertClose(got.mean, want.mean, MEAN_RTOL * Math.abs(want.mean) + 1e-6, `${name} mean`);
        assertClose(got.std, want.std, MEAN_RTOL * want.std, `${name} std`);
        got.first.forEach((v, i) => assertClose(v, want.first[i], 1e-3 * (1 + Math.abs(want.first[i])), `${name} first[${i}]`));
      }
      tf.engine().endScope();
      rgb.dispose();
      depth.dispose();
      model.dispose();
    });
  }
});

describe('parity at the paper size (official model/DGIQA.py, timm 1.0 Swin-T)', () => {
  it('scores within 2e-4 of PyTorch on wasm, with 102,878,829 parameters', async () => {
    await initBackend('wasm'); // the backend forEachBackend restores after its suites
    const reference = JSON.parse(readFileSync(join(PAPER, 'expected.json'), 'utf8')) as { scores_f32: number[]; params: number; keys: [string, number[], string][] };
    const model = new Dgiqa(configFrom('paper'));
    assert.equal(model.numParams(), 102_878_829);
    assert.equal(reference.params, 102_878_829);
    const tensors = new Map<string, RawTensor>();
    for (const [name, shape, dtype] of reference.keys) if (dtype !== 'torch.int64') tensors.set(name, formulaTensor(name, shape));
    // the official state dict's names and shapes are exactly the kit's
    const report = loadIntoModel(model, tensors, 'paper formula weights');
    assert.deepEqual([report.missing, report.unexpected, report.misshapen], [[], [], []]);
    const inputs = (await readSafetensors(join(PAPER, 'inputs.safetensors'))).tensors;
    const rgb = nhwc(inputs.get('rgb') as RawTensor);
    const depth = nhwc(inputs.get('depth') as RawTensor);
    const scores = model.predict(rgb, depth);
    Array.from(scores.dataSync()).forEach((s, i) => assertClose(s, reference.scores_f32[i], 2e-4, `paper score ${i}`));
    tf.dispose([scores, rgb, depth]);
    model.dispose();
  });
});
