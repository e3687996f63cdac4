// The model's hand-written gradients (LayerNorm, GELU) against tfjs's own gradients of the plain
// op chains they replace, on wasm and cpu, with forward values unchanged and no leaked tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/backend/tf.js';
import { gelu, layerNorm } from '../src/model/layers.js';
import { forEachBackend } from './support/backends.js';

/** The ops LayerNorm and GELU ran before their custom gradients: tfjs differentiates these itself. */
function layerNormChain(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const axis = x.rank - 1;
  const centred = tf.sub(x, tf.mean(x, axis, true));
  const variance = tf.mean(tf.square(centred), axis, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-5))), weight), bias);
}

function geluChain(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

let seed = 11;
function randn(shape: number[], scale = 1, offset = 0): Float32Array {
  return tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed++), scale), offset).dataSync() as Float32Array);
}

/** Value of f and gradients of sum(f * w) for each input; asserts nothing outlives the call. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Array<{ values: Float32Array; shape: number[] }>, w: Float32Array): Float32Array[] {
  const start = tf.memory().numTensors;
  const xs = inputs.map((d) => tf.tensor(d.values, d.shape));
  const out = tf.tidy(() => {
    const y = f(...xs);
    const weight = tf.tensor(w, y.shape);
    const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), weight)))(xs);
    return [y, ...grads];
  });
  const values = out.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([...out, ...xs]);
  assert.equal(tf.memory().numTensors, start, 'leaked tensors');
  return values;
}

function assertClose(actual: Float32Array, expected: Float32Array, label: string, rel = 1e-4): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(diff <= rel * (1 + scale), `${label}: max abs diff ${diff} (scale ${scale})`);
}

forEachBackend((backend) => `custom gradients against tfjs's gradients of the op chain (${backend})`, (backend) => {
  const lnCases: Array<{ shape: number[]; scale: number; offset: number }> = [
    { shape: [2, 8, 8, 16], scale: 1, offset: 0 },
    { shape: [3, 5, 24], scale: 3, offset: 2 }, // a mean far from zero
    { shape: [7, 6], scale: 0.01, offset: 0 }, // variance near eps
  ];
  for (const c of lnCases) {
    test(`layerNorm [${c.shape}], scale ${c.scale}, offset ${c.offset}`, () => {
      const dim = c.shape[c.shape.length - 1];
      const inputs = [
        { values: randn(c.shape, c.scale, c.offset), shape: c.shape },
        { values: randn([dim], 0.5, 1), shape: [dim] },
        { values: randn([dim]), shape: [dim] },
      ];
      const w = randn(c.shape);
      const mine = valueAndGrads(layerNorm, inputs, w);
      const ref = valueAndGrads(layerNormChain, inputs, w);
      assert.deepEqual(mine[0], ref[0], 'forward: the same ops, the same values');
      ['dx', 'dweight', 'dbias'].forEach((name, i) => assertClose(mine[i + 1], ref[i + 1], name, c.scale < 0.1 ? 1e-3 : 1e-4));
    });
  }

  test('gelu, including large and tiny inputs', () => {
    const shape = [4, 9, 33];
    const values = randn(shape, 3);
    values.set([0, -0, 1e-20, -1e-20, 12, -12, 40, -40, 1e4, -1e4]);
    const w = randn(shape);
    const mine = valueAndGrads(gelu, [{ values, shape }], w);
    const ref = valueAndGrads(geluChain, [{ values, shape }], w);
    assert.deepEqual(mine[0], ref[0], 'forward: the same ops, the same values');
    assertClose(mine[1], ref[1], 'dx');
    assert.ok(mine[1].every(Number.isFinite), 'finite gradients');
  });

  test('gelu and layerNorm under tf.variableGrads: gradients for the variables, no leaks', () => {
    const start = tf.memory().numTensors;
    const weight = tf.tidy(() => tf.variable(tf.tensor1d(randn([8], 0.5, 1)), true, `cg_w_${backend}`));
    const bias = tf.tidy(() => tf.variable(tf.tensor1d(randn([8])), true, `cg_b_${backend}`));
    const x = tf.tensor(randn([4, 8]), [4, 8]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(gelu(layerNorm(x, weight, bias)))) as tf.Scalar, [weight, bias]);
    assert.equal(Object.keys(grads).length, 2);
    tf.dispose([value, x, weight, bias, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, start, 'leaked tensors');
  });
});
