// The training loss's stacked forward (a batch and its flip as two lanes of one forward) against
// the two forwards in a row it replaces: the same loss, gradients, BatchNorm updates and dropout
// draws, on wasm and cpu, with no leaked tensors. The lanes rest on the dropout layers' declared
// draws (Dgiqa.dropoutDraws): those are held to what a training forward draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/backend/tf.js';
import { Dgiqa, configFrom } from '../src/model/index.js';
import type { Ctx, DgiqaConfig } from '../src/model/index.js';
import { hflip, lossTerms } from '../src/train/index.js';
import { Rng } from '../src/util/rng.js';
import { forEachBackend } from './support/backends.js';

interface Outcome {
  values: Map<string, Float32Array>;
  bn: Array<{ name: string; mean: Float32Array; variance: Float32Array }>;
  rng: Rng;
}

/** Loss parts, gradients and BatchNorm updates of one training loss, by `loss`. */
function run(model: Dgiqa, seed: number, loss: (ctx: Ctx) => { loss: tf.Scalar; mse: tf.Scalar; consistency: tf.Scalar }): Outcome {
  const start = tf.memory().numTensors;
  const ctx: Ctx = { training: true, rng: new Rng(seed), bnUpdates: [] };
  const values = new Map<string, Float32Array>();
  const { value, grads } = tf.variableGrads(() => {
    const t = loss(ctx);
    values.set('mse', Float32Array.from(t.mse.dataSync()));
    values.set('consistency', Float32Array.from(t.consistency.dataSync()));
    return t.loss;
  }, model.store.trainable());
  values.set('loss', Float32Array.from(value.dataSync()));
  for (const [name, v] of model.store.vars) if (grads[v.name]) values.set(name, Float32Array.from(grads[v.name]!.dataSync()));
  const bn = ctx.bnUpdates.map((u) => ({ name: u.name, mean: Float32Array.from(u.mean.dataSync()), variance: Float32Array.from(u.variance.dataSync()) }));
  tf.dispose([value, ...Object.values(grads), ...ctx.bnUpdates.flatMap((u) => [u.mean, u.variance])]);
  assert.equal(tf.memory().numTensors, start, 'leaked tensors');
  return { values, bn, rng: ctx.rng };
}

const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

function assertNear(actual: Float32Array, expected: Float32Array, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  const diff = norm(actual.map((x, i) => x - expected[i]!));
  // biases before a BatchNorm have a gradient of 0 in exact arithmetic: only the absolute difference counts
  if (norm(expected) < 1e-6) assert.ok(diff < 1e-6, `${label}: |stacked - sequential| = ${diff}`);
  else assert.ok(diff / norm(expected) < 1e-3, `${label}: relative difference ${diff / norm(expected)}`);
}

const configs: Array<[string, DgiqaConfig]> = [
  ['demo at 64 px (every dropout on)', { ...configFrom('demo'), imgSize: 64, dropPathRate: 0.1, dropout: 0.1, tcbDropout: 0.1 }],
  ['without Depth-CAR, no drop path', { ...configFrom('demo'), imgSize: 64, depthCar: false, dropPathRate: 0, dropout: 0.1, tcbDropout: 0.1 }],
];

forEachBackend((backend) => `stacked lanes vs two forwards (${backend})`, () => {
  for (const [label, config] of configs) {
    test(label, async () => {
      const model = new Dgiqa(config, 5);
      const r = new Rng(9);
      const shape: [number, number, number, number] = [3, config.imgSize, config.imgSize, 3];
      const rgb = tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r.normal()), shape);
      const depth = tf.tensor4d(Float32Array.from({ length: rgb.size }, () => r.normal()), shape);
      const labels = tf.tensor1d([0.2, 0.7, 0.5]);
      const lambda = 0.7;
      const stacked = run(model, 21, (ctx) => lossTerms(model, { rgb, depth, labels }, lambda, ctx));
      // what lossTerms did before the lanes: two forwards sharing one ctx
      const sequential = run(model, 21, (ctx) => {
        const scores = model.forward(rgb, depth, ctx).scores;
        const flipped = model.forward(hflip(rgb), hflip(depth), ctx).scores;
        const mse = tf.losses.meanSquaredError(labels, scores) as tf.Scalar;
        const consistency = tf.losses.meanSquaredError(scores, flipped) as tf.Scalar;
        return { loss: tf.add(mse, tf.mul(consistency, lambda)) as tf.Scalar, mse, consistency };
      });
      // a different seed gives different dropout masks: the comparison below can tell them apart
      const reseeded = run(model, 22, (ctx) => lossTerms(model, { rgb, depth, labels }, lambda, ctx));
      assert.ok(Math.abs(reseeded.values.get('loss')![0]! - sequential.values.get('loss')![0]!) > 1e-5, 'dropout masks matter');

      assert.ok(stacked.rng.sameState(sequential.rng), 'ctx.rng left where two forwards leave it');
      assert.equal(stacked.values.size, sequential.values.size);
      for (const [name, want] of sequential.values) assertNear(stacked.values.get(name)!, want, name);
      // per BatchNorm layer, the same updates in the same order (the order across layers may differ)
      const byLayer = (o: Outcome) => {
        const m = new Map<string, Outcome['bn']>();
        for (const u of o.bn) m.set(u.name, [...(m.get(u.name) ?? []), u]);
        return m;
      };
      const got = byLayer(stacked);
      for (const [name, want] of byLayer(sequential)) {
        const have = got.get(name) ?? [];
        assert.equal(have.length, want.length, `${name}: updates`);
        want.forEach((u, i) => {
          assertNear(have[i]!.mean, u.mean, `${name} mean ${i}`);
          assertNear(have[i]!.variance, u.variance, `${name} variance ${i}`);
        });
      }
      assert.equal(stacked.bn.length, sequential.bn.length);
      tf.dispose([rgb, depth, labels]);
      model.dispose();
    });
  }
});

// the count is the model's, not the backend's: one backend is enough
forEachBackend((backend) => `declared dropout draws (${backend})`, () => {
  const demo = { ...configFrom('demo'), imgSize: 64 };
  const variants: Array<[string, DgiqaConfig]> = [
    ['every dropout on', { ...demo, dropPathRate: 0.1, dropout: 0.1, tcbDropout: 0.1 }],
    ['drop path only', { ...demo, dropPathRate: 0.1, dropout: 0, tcbDropout: 0 }],
    ['Depth-CAR dropout only', { ...demo, dropPathRate: 0, dropout: 0.1, tcbDropout: 0 }],
    ['TCB dropout only, RGB only', { ...demo, useDepth: false, depthCar: false, dropPathRate: 0, dropout: 0, tcbDropout: 0.1 }],
    ['without TCBs', { ...demo, tcb: false, dropPathRate: 0.1, dropout: 0.1, tcbDropout: 0.1 }],
    ['every dropout off', { ...demo, dropPathRate: 0, dropout: 0, tcbDropout: 0 }],
  ];
  for (const [label, config] of variants) {
    test(`${label}: dropoutDraws is what one training forward draws from ctx.rng`, () => {
      const model = new Dgiqa(config, 5);
      const draws = model.dropoutDraws();
      const off = config.dropPathRate === 0 && config.dropout === 0 && config.tcbDropout === 0;
      assert.ok(off ? draws === 0 : draws > 0, `dropoutDraws() = ${draws}`);
      const ctx: Ctx = { training: true, rng: new Rng(31), bnUpdates: [] };
      const shape: [number, number, number, number] = [2, config.imgSize, config.imgSize, 3];
      tf.tidy(() => {
        model.forward(tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor4D, config.useDepth ? (tf.randomNormal(shape, 0, 1, 'float32', 2) as tf.Tensor4D) : undefined, ctx);
      });
      assert.ok(ctx.rng.sameState(new Rng(31).ahead(draws)), `the forward drew other than the ${draws} declared seeds`);
      tf.dispose(ctx.bnUpdates.flatMap((u) => [u.mean, u.variance]));
      model.dispose();
    });
  }
}, ['wasm']);
