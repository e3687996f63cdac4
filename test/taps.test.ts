// The forward's named tap points (Dgiqa.forwardIntermediates): the same scores as the ordinary
// forward, bit for bit; every tap the shape the config says; Depth-CAR's weights are the softmax of
// depth queries against RGB keys; no tensor left behind.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, initBackend } from '../src/backend/index.js';
import { Dgiqa, configFrom, tapShapes } from '../src/model/index.js';
import { loadModel, readSafetensors } from '../src/weights/index.js';
import type { RawTensor } from '../src/weights/index.js';
import { TINY, nhwc } from './support/fixtures.js';

const tinyConfig = configFrom(JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8')) as Record<string, unknown>);
const expected = JSON.parse(readFileSync(join(TINY, 'expected.json'), 'utf8')) as { scores: number[] };

describe('forward with named taps', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('gives the ordinary forward\'s scores bit for bit (parity fixture), every tap shaped as tapShapes says, and leaks nothing', async () => {
    const { model } = await loadModel(join(TINY, 'weights.safetensors'), tinyConfig);
    const inputs = (await readSafetensors(join(TINY, 'inputs.safetensors'))).tensors;
    const rgb = nhwc(inputs.get('rgb') as RawTensor);
    const depth = nhwc(inputs.get('depth') as RawTensor);
    const plain = Array.from(model.predict(rgb, depth).dataSync());
    const before = tf.memory().numTensors;
    const { scores, taps } = model.forwardIntermediates(rgb, depth);
    assert.deepEqual(Array.from(scores.dataSync()), plain);
    plain.forEach((s, i) => assert.ok(Math.abs(s - expected.scores[i]!) < 1e-4, `score ${i} vs the PyTorch fixture`));
    const want = tapShapes(tinyConfig, rgb.shape[0]);
    assert.deepEqual([...taps.keys()].sort(), [...want.keys()].sort());
    for (const [name, shape] of want) assert.deepEqual(taps.get(name)!.shape, shape, name);
    assert.deepEqual(Array.from(taps.get('score')!.dataSync()), plain);
    tf.dispose([scores, ...taps.values()]);
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([rgb, depth]);
    model.dispose();
  });

  it('Depth-CAR\'s tapped weights are softmax(Q K^T / sqrt(d)) with Q from the fused depth map and K from the fused RGB map; TCB gates lie in (0, 1)', () => {
    const model = new Dgiqa(tinyConfig, 3);
    const s = tinyConfig.imgSize;
    const rgb = tf.randomNormal([2, s, s, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const depth = tf.randomNormal([2, s, s, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const { scores, taps } = model.forwardIntermediates(rgb, depth, { only: ['fused_rgb', 'fused_depth', 'depth_car.cross.attention', 'tcb2.gate'] });
    assert.equal(taps.size, 4);
    const gap = tf.tidy(() => {
      const [b, h, w, c] = taps.get('fused_depth')!.shape;
      const heads = tinyConfig.attnHeads;
      const attn = model.depthCar!.cross.attn;
      const part = (x: tf.Tensor, k: number): tf.Tensor =>
        tf.add(tf.matMul(x.reshape([b * h * w, c]), attn.inProj.slice([0, k * c], [c, c])), attn.inBias.slice([k * c], [c]))
          .reshape([b, h * w, heads, c / heads]).transpose([0, 2, 1, 3]);
      const q = part(taps.get('fused_depth')!, 0);
      const k = part(taps.get('fused_rgb')!, 1);
      const byHand = tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(c / heads)));
      return tf.max(tf.abs(tf.sub(byHand, taps.get('depth_car.cross.attention')!))).dataSync()[0]!;
    });
    assert.ok(gap < 1e-5, `attention by hand vs tapped: ${gap}`);
    const gate = taps.get('tcb2.gate')!.dataSync();
    assert.ok(gate.every((v) => v > 0 && v < 1), 'gate values in (0, 1)');
    tf.dispose([scores, rgb, depth, ...taps.values()]);
    model.dispose();
  });

  it('shapes follow the config for the demo preset and the ablations; an unknown tap throws and leaks nothing', () => {
    for (const spec of [{ preset: 'demo' }, { ...tinyConfig, tcb: false }, { ...tinyConfig, depthCar: false }, { ...tinyConfig, depthCar: false, useDepth: false }]) {
      const config = 'preset' in spec ? configFrom(spec.preset as string) : configFrom(spec as unknown as Record<string, unknown>);
      const model = new Dgiqa(config, 0);
      const x = tf.randomNormal([1, config.imgSize, config.imgSize, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
      const d = config.useDepth ? x : undefined;
      const before = tf.memory().numTensors;
      const { scores, taps } = model.forwardIntermediates(x, d);
      const want = tapShapes(config, 1);
      assert.deepEqual([...taps.keys()].sort(), [...want.keys()].sort(), JSON.stringify(spec).slice(0, 60));
      for (const [name, shape] of want) assert.deepEqual(taps.get(name)!.shape, shape, name);
      tf.dispose([scores, ...taps.values()]);
      assert.throws(() => model.forwardIntermediates(x, d, { only: ['pooled', 'tcb9.gate'] }), /no tap "tcb9.gate"/);
      assert.equal(tf.memory().numTensors, before);
      x.dispose();
      model.dispose();
    }
  });
});
