// The analytic cost model: a hand count for a tiny config, Swin-T's published count, and the
// parameter count it walks out against the model's own (so its layer walk is the model's).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf, initBackend } from '../src/backend/index.js';
import { Dgiqa, configFrom, modelCost, resolveConfig } from '../src/model/index.js';

describe('modelCost', () => {
  before(async () => {
    await initBackend('cpu');
  });

  it('counts a tiny config as by hand', () => {
    // 32 px, patch 4: stages of 8, 4, 2, 1 tokens a side, widths 4, 8, 16, 32, one block each, one head,
    // 2x2 windows (1x1 in the last stage), MLP ratio 2; TCBs to 2 channels (SE to 1); fused 8; stack 4.
    const c = resolveConfig({
      imgSize: 32, patchSize: 4, embedDim: 4, depths: [1, 1, 1, 1], numHeads: [1, 1, 1, 1], windowSize: 2, mlpRatio: 2,
      tcbOut: [2, 2, 2, 2], seReduction: 2, attnHeads: 2, dilationChannels: 4, dilations: [1, 1],
    });
    // multiply-adds per Swin: embedding 64*48*4; per block qkv + qk + av + proj + fc1 + fc2 (+ merge 2048)
    const swin = 64 * 48 * 4
      + (64 * 4 * 12 + 64 * 4 * 4 + 64 * 4 * 4 + 64 * 4 * 4 + 64 * 4 * 8 * 2)
      + (16 * 16 * 8) + (16 * 8 * 24 + 16 * 8 * 4 * 2 + 16 * 8 * 8 + 16 * 8 * 16 * 2)
      + (4 * 32 * 16) + (4 * 16 * 48 + 4 * 16 * 4 * 2 + 4 * 16 * 16 + 4 * 16 * 32 * 2)
      + (1 * 64 * 32) + (32 * 96 + 32 * 1 * 2 + 32 * 32 + 32 * 64 * 2);
    assert.equal(swin, 54848);
    // per TCB: 1x1 to 2, SE 2->1->2, 3x3 2->2 (36 per pixel), at 64, 16, 4 and 1 pixels
    const tcb = 64 * (4 * 2 + 2 + 2 + 36) + 16 * (8 * 2 + 2 + 2 + 36) + 4 * (16 * 2 + 40) + 1 * (32 * 2 + 40);
    // Depth-CAR on 1 position, width 8: in_proj 8*24, q k^T 8, attention x v 8, out 64, FC 8*32 twice; two blocks
    const depthCar = 2 * (8 * 24 + 8 + 8 + 64 + 2 * 8 * 32);
    const dilated = 9 * 8 * 4 + 9 * 4 * 4;
    const head = 4;
    const cost = modelCost(c);
    assert.equal(cost.forward.flops, 2 * (2 * (swin + tcb) + depthCar + dilated + head));
    assert.equal(cost.forward.flops, 240840);
    assert.equal(cost.parts.swin, 2 * 2 * swin);
    assert.equal(cost.train.flops, 6 * cost.forward.flops);
    assert.ok(cost.forward.bytes > 0 && cost.train.bytes > cost.forward.bytes);
  });

  it('one Swin-T backbone is 4.49 G multiply-adds (the published 4.5 GFLOPs)', () => {
    const swin = modelCost(configFrom('paper')).parts.swin / 2 / 2;
    assert.ok(Math.abs(swin - 4.49e9) < 0.01e9, `${swin}`);
  });

  it('walks the same parameters as the model: paper 102,878,829, and every small preset', () => {
    assert.equal(modelCost(configFrom('paper')).params, 102878829);
    for (const preset of ['tiny', 'demo', 'small']) {
      for (const variant of [{}, { tcb: false }, { depthCar: false }, { depthCar: false, useDepth: false }]) {
        const config = configFrom({ ...configFrom(preset), ...variant });
        const model = new Dgiqa(config);
        assert.equal(modelCost(config).params, model.numParams(), `${preset} ${JSON.stringify(variant)}`);
        model.dispose();
      }
    }
    assert.equal(tf.memory().numTensors, 0);
  });

  it('spreads weight traffic over the batch', () => {
    const c = configFrom('paper');
    assert.ok(modelCost(c, 8).forward.bytes < modelCost(c, 1).forward.bytes);
    assert.equal(modelCost(c, 8).forward.flops, modelCost(c, 1).forward.flops);
  });
});
