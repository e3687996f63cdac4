// No leaks in training: after 100 steps the live tensors, their bytes and the wasm heap are what they
// were after 10 (a small config with every part on, the consistency loss, dropout and drop-path).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend, backendMemory } from '../src/backend/index.js';
import { Dgiqa, resolveConfig } from '../src/model/index.js';
import { AdamW, trainStep } from '../src/train/index.js';

const FIRST = 10;
const LAST = 100;
const BATCH = 2;

describe('leaks', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it(`training steps ${FIRST} and ${LAST} hold the same tensors, bytes and wasm heap`, async () => {
    // 32 px, 2x2 windows: shifted blocks (stages 1, 2) and unshifted ones, every part of the model
    const config = resolveConfig({
      imgSize: 32, patchSize: 4, embedDim: 8, depths: [2, 2, 2, 2], numHeads: [1, 1, 2, 2], windowSize: 2, mlpRatio: 2,
      tcbOut: [4, 4, 4, 4], seReduction: 2, attnHeads: 2, dilationChannels: 8,
    });
    const start = backendMemory();
    const model = new Dgiqa(config, 1);
    const optimizer = new AdamW(model.store.trainableByName());
    const shape: [number, number, number, number] = [BATCH, config.imgSize, config.imgSize, 3];
    const rgb = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
    const depth = tf.randomNormal(shape, 0, 1, 'float32', 2) as tf.Tensor4D;
    const batch = { rgb, depth, labels: tf.tensor1d([0.2, 0.9]) };
    let after10 = backendMemory();
    for (let step = 1; step <= LAST; step++) {
      const r = await trainStep(model, optimizer, batch, { lr: 1e-4, lambda: 1, rank: 0, seed: step });
      assert.ok(Number.isFinite(r.loss), `step ${step}: loss ${r.loss}`);
      if (step === FIRST) after10 = backendMemory();
    }
    const after100 = backendMemory();
    assert.equal(after100.numTensors, after10.numTensors, 'live tensors');
    assert.equal(after100.numBytes, after10.numBytes, 'bytes of live tensors');
    assert.equal(after100.wasmHeapBytes, after10.wasmHeapBytes, 'wasm heap');
    tf.dispose([batch.rgb, batch.depth, batch.labels]);
    optimizer.dispose();
    model.dispose();
    assert.equal(backendMemory().numTensors, start.numTensors, 'everything released');
  });
});
