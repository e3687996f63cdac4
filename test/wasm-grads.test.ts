// The wasm gradient kernels against the cpu backend (or, where cpu shares the kit's gradient or is
// wrong itself, against an independent reference), with no leaked tensors.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/backend/tf.js';
import { initBackend } from '../src/backend/select.js';
import {
  ADDED_GRADIENTS,
  WASM_GRAD_KERNELS,
  WASM_BACKEND_VERSION,
  WASM_MISSING_KERNELS,
  checkWasmInternals,
  installedWasmVersion,
  planMatMul,
  registerGradientFixes,
  registerWasmGradKernels,
} from '../src/backend/wasm/index.js';
import { Dgiqa, configFrom } from '../src/model/index.js';
import type { Ctx } from '../src/model/index.js';
import { lossTerms } from '../src/train/index.js';
import { Rng } from '../src/util/rng.js';

type Backend = 'wasm' | 'cpu';
type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

/** Values and shape, free of any backend. */
interface Data {
  shape: number[];
  values: Float32Array;
}

let seed = 1;
function randn(shape: number[]): Data {
  const t = tf.randomNormal(shape, 0, 1, 'float32', seed++);
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return { shape, values };
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let diff = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
  }
  const tol = 1e-4 * (1 + maxAbs(expected));
  assert.ok(diff <= tol, `${label}: max abs diff ${diff} > ${tol}`);
}

/**
 * Runs `f` on `backend` with fresh tensors of `inputs`; returns its outputs' values. Fails if any
 * tensor outlives the call, or if the call left more than its outputs behind.
 */
async function run(backend: Backend, inputs: Data[], f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const start = tf.memory().numTensors;
  const xs = inputs.map((d) => tf.tensor(d.values, d.shape));
  const mid = tf.memory().numTensors;
  const outs = f(...xs);
  assert.equal(tf.memory().numTensors, mid + outs.length, `${backend}: tensors left besides the outputs`);
  const values = outs.map((t) => Float32Array.from(t.dataSync()));
  tf.dispose([...outs, ...xs]);
  assert.equal(tf.memory().numTensors, start, `${backend}: leaked tensors`);
  return values;
}

/** d/d(inputs) of sum(f(inputs) * g), g a fixed random weighting of the output. */
function weightedGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, g: Data): (...xs: tf.Tensor[]) => tf.Tensor[] {
  return (...xs) => {
    const w = tf.tensor(g.values, g.shape);
    const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), w)))(xs);
    w.dispose();
    return grads;
  };
}

function outShape(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Data[]): number[] {
  return tf.tidy(() => f(...inputs.map((d) => tf.zeros(d.shape))).shape);
}

/** Gradients on wasm and on cpu of the same function. */
async function bothBackends(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Data[]): Promise<[Float32Array[], Float32Array[]]> {
  const g = randn(outShape(f, inputs));
  const wasm = await run('wasm', inputs, weightedGrads(f, g));
  const cpu = await run('cpu', inputs, weightedGrads(f, g));
  return [wasm, cpu];
}

before(async () => {
  const info = await initBackend('wasm');
  assert.equal(info.name, 'wasm');
  registerWasmGradKernels(); // a second call must be harmless
  registerGradientFixes();
});

describe('registration', () => {
  test('every listed kernel is registered for wasm', () => {
    for (const name of WASM_GRAD_KERNELS) assert.ok(tf.getKernel(name, 'wasm') !== undefined, name);
    for (const name of ADDED_GRADIENTS) assert.ok(tf.getGradient(name) !== undefined, name);
    assert.ok(WASM_MISSING_KERNELS.includes('Conv2DBackpropFilter'));
  });

  test('NCHW is refused with a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 4, 4]);
    const dy = tf.zeros([1, 2, 4, 4]);
    const attrs = { strides: 1, pad: 'valid', dataFormat: 'NCHW', filterShape: [1, 1, 2, 2] };
    assert.throws(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs), /only NHWC/);
    tf.dispose([x, dy]);
  });
});

describe('start-up check of the wasm backend version and internals', () => {
  /** The check's error for these inputs, asserted to be one line. */
  function checkError(version: string, backend: object | null): string {
    let message = '';
    assert.throws(() => checkWasmInternals(version, backend), (err: Error) => {
      message = err.message;
      return true;
    });
    assert.ok(!message.includes('\n'), `one line: ${message}`);
    return message;
  }
  const method = (): void => undefined;

  test('the installed backend is the version the kernels were written against, and passes', () => {
    assert.equal(WASM_BACKEND_VERSION, '4.22.0');
    assert.equal(installedWasmVersion(), WASM_BACKEND_VERSION);
    checkWasmInternals(installedWasmVersion(), tf.findBackend('wasm'));
  });

  test('another version is refused, naming it and the expected one', () => {
    const message = checkError('4.23.0', tf.findBackend('wasm'));
    assert.match(message, /@tensorflow\/tfjs-backend-wasm 4\.23\.0 is installed/);
    assert.match(message, /4\.22\.0/);
  });

  test('a backend lacking an internal is refused, naming the internal and the version', () => {
    const noHeapView = { makeOutput: method, incRef: method, refCount: method };
    assert.match(checkError('4.22.0', noHeapView), /tfjs-backend-wasm 4\.22\.0: the backend lacks typedArrayFromHeap\(\) \(found undefined\)/);
    const notAMethod = { makeOutput: 1, typedArrayFromHeap: method, incRef: method, refCount: method };
    assert.match(checkError('4.22.0', notAMethod), /lacks makeOutput\(\) \(found number\)/);
  });

  test("tfjs-core's placeholder reference counts (which throw) do not pass for the backend's own", () => {
    const placeholders: object = Object.assign(Object.create(tf.KernelBackend.prototype) as object, {
      makeOutput: method,
      typedArrayFromHeap: method,
    });
    assert.match(checkError('4.22.0', placeholders), /lacks incRef\(\) \(only tfjs-core's placeholder\)/);
  });

  test('no wasm backend: refused before anything is registered', () => {
    assert.match(checkError('4.22.0', null), /not initialised/);
  });
});

describe('conv2d gradients, wasm vs cpu', () => {
  const cases: Array<{ x: number[]; f: number[]; s: number; pad: Pad; note: string }> = [
    { x: [2, 9, 9, 5], f: [1, 1, 5, 7], s: 1, pad: 'same', note: '1x1' },
    { x: [2, 9, 9, 5], f: [1, 1, 5, 7], s: 2, pad: 'valid', note: '1x1 stride 2' },
    { x: [2, 9, 9, 5], f: [3, 3, 5, 6], s: 1, pad: 'same', note: '3x3 same' },
    { x: [2, 9, 9, 5], f: [3, 3, 5, 6], s: 1, pad: 'valid', note: '3x3 valid' },
    { x: [2, 9, 9, 5], f: [3, 3, 5, 6], s: 2, pad: 'same', note: '3x3 stride 2 same' },
    { x: [2, 10, 10, 5], f: [3, 3, 5, 6], s: 2, pad: 'valid', note: '3x3 stride 2 valid' },
    { x: [1, 8, 8, 4], f: [3, 3, 4, 6], s: 1, pad: [[0, 0], [1, 1], [1, 1], [0, 0]], note: 'explicit pad' },
    { x: [1, 8, 8, 4], f: [3, 3, 4, 6], s: 1, pad: [[0, 0], [2, 0], [0, 3], [0, 0]], note: 'asymmetric pad' },
    { x: [2, 16, 16, 3], f: [4, 4, 3, 8], s: 4, pad: 'valid', note: 'patch embedding 4x4/4' },
    { x: [1, 18, 17, 3], f: [4, 4, 3, 8], s: 4, pad: 'valid', note: 'patch embedding, leftover rows' },
    { x: [1, 5, 5, 8], f: [3, 3, 8, 40], s: 1, pad: 'same', note: 'more channels than pixels (col2im)' },
    { x: [1, 4, 4, 6], f: [3, 3, 6, 20], s: 1, pad: 'valid', note: 'col2im, valid' },
  ];
  for (const c of cases) {
    test(`${c.note}: x ${c.x}, filter ${c.f}, stride ${c.s}, pad ${JSON.stringify(c.pad)}`, async () => {
      const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad);
      const [wasm, cpu] = await bothBackends(conv, [randn(c.x), randn(c.f)]);
      assertClose(wasm[0], cpu[0], 'dx');
      assertClose(wasm[1], cpu[1], 'dW');
    });
  }
});

/** The dilated filter written out with zeros between taps, so cpu's stock dilation-1 gradient applies. */
function dilateFilter(w: tf.Tensor4D, d: number): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const grid = tf.buffer([(kh - 1) * d + 1, (kw - 1) * d + 1, ci, co]);
  const v = w.arraySync();
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) for (let a = 0; a < ci; a++) for (let b = 0; b < co; b++) {
    grid.set(v[i][j][a][b], i * d, j * d, a, b);
  }
  return grid.toTensor() as tf.Tensor4D;
}

describe('dilated conv2d gradients (tfjs-core refuses these), against a zero-filled filter on cpu', () => {
  const cases: Array<{ x: number[]; f: number[]; d: number; pad: Pad }> = [
    { x: [2, 11, 11, 4], f: [3, 3, 4, 5], d: 2, pad: 'same' },
    { x: [1, 13, 13, 4], f: [3, 3, 4, 5], d: 4, pad: 'same' },
    { x: [2, 11, 11, 4], f: [3, 3, 4, 5], d: 2, pad: 'valid' },
    { x: [1, 9, 9, 3], f: [3, 3, 3, 4], d: 2, pad: [[0, 0], [2, 2], [2, 2], [0, 0]] },
    { x: [1, 7, 7, 6], f: [3, 3, 6, 60], d: 2, pad: 'same' },
  ];
  for (const c of cases) {
    test(`x ${c.x}, filter ${c.f}, dilation ${c.d}, pad ${JSON.stringify(c.pad)}`, async () => {
      const inputs = [randn(c.x), randn(c.f)];
      const conv = (x: tf.Tensor, w: tf.Tensor) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, c.pad, 'NHWC', c.d);
      const g = randn(outShape(conv, inputs));
      const reference = await run('cpu', inputs, (x, w) => {
        const wide = dilateFilter(w as tf.Tensor4D, c.d);
        const plain = (xx: tf.Tensor, ww: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, c.pad);
        const [dx, dwide] = weightedGrads(plain, g)(x, wide);
        const dw = tf.stridedSlice(dwide, [0, 0, 0, 0], wide.shape, [c.d, c.d, 1, 1]);
        tf.dispose([dwide, wide]);
        return [dx, dw];
      });
      for (const backend of ['wasm', 'cpu'] as const) {
        const got = await run(backend, inputs, weightedGrads(conv, g));
        assertClose(got[0], reference[0], `${backend} dx`);
        assertClose(got[1], reference[1], `${backend} dW`);
      }
    });
  }
});

describe('depthwise conv2d gradients, wasm vs cpu', () => {
  const cases: Array<{ x: number[]; f: number[]; s: number; pad: Pad }> = [
    { x: [2, 9, 9, 4], f: [3, 3, 4, 1], s: 1, pad: 'same' },
    { x: [2, 9, 9, 4], f: [3, 3, 4, 2], s: 1, pad: 'valid' },
    { x: [2, 9, 9, 4], f: [3, 3, 4, 2], s: 2, pad: 'same' },
    { x: [1, 10, 10, 3], f: [3, 3, 3, 1], s: 2, pad: 'valid' },
    { x: [1, 8, 8, 3], f: [3, 3, 3, 2], s: 1, pad: [[0, 0], [1, 0], [0, 2], [0, 0]] },
  ];
  for (const c of cases) {
    test(`x ${c.x}, filter ${c.f}, stride ${c.s}, pad ${JSON.stringify(c.pad)}`, async () => {
      const dwConv = (x: tf.Tensor, w: tf.Tensor) => tf.depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.s, c.pad);
      const [wasm, cpu] = await bothBackends(dwConv, [randn(c.x), randn(c.f)]);
      assertClose(wasm[0], cpu[0], 'dx');
      assertClose(wasm[1], cpu[1], 'dW');
    });
  }
});

/** The [out, in] interpolation matrix of a 1-D resize, read off cpu's forward kernel. */
async function interpolation(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Promise<number[][]> {
  await tf.setBackend('cpu');
  const columns = tf.tidy(() => {
    const basis = tf.reshape(tf.eye(inSize), [inSize, inSize, 1, 1]);
    return tf.image.resizeBilinear(basis as tf.Tensor4D, [outSize, 1], alignCorners, halfPixelCenters).arraySync();
  });
  return Array.from({ length: outSize }, (_, o) => columns.map((col) => col[o][0][0]));
}

describe('resizeBilinear gradient, against the adjoint of the forward interpolation', () => {
  const cases: Array<{ x: number[]; size: [number, number]; ac: boolean; hp: boolean }> = [
    { x: [2, 56, 56, 3], size: [7, 7], ac: false, hp: true },
    { x: [1, 28, 28, 4], size: [7, 7], ac: false, hp: true },
    { x: [1, 8, 6, 2], size: [3, 5], ac: false, hp: true },
    { x: [1, 3, 4, 2], size: [8, 7], ac: false, hp: true },
    { x: [1, 8, 8, 2], size: [3, 5], ac: false, hp: false },
    { x: [1, 8, 8, 2], size: [3, 3], ac: true, hp: false },
  ];
  for (const c of cases) {
    test(`${c.x} -> ${c.size}, alignCorners ${c.ac}, halfPixelCenters ${c.hp}`, async () => {
      const [n, h, w, ch] = c.x;
      const [oh, ow] = c.size;
      const ah = await interpolation(h, oh, c.ac, c.hp);
      const aw = await interpolation(w, ow, c.ac, c.hp);
      const x = randn(c.x);
      const g = randn([n, oh, ow, ch]);
      const expected = new Float32Array(n * h * w * ch);
      for (let b = 0; b < n; b++) for (let o = 0; o < oh; o++) for (let p = 0; p < ow; p++) {
        for (let r = 0; r < h; r++) {
          if (ah[o][r] === 0) continue;
          for (let q = 0; q < w; q++) {
            const k = ah[o][r] * aw[p][q];
            if (k === 0) continue;
            for (let d = 0; d < ch; d++) {
              expected[((b * h + r) * w + q) * ch + d] += k * g.values[((b * oh + o) * ow + p) * ch + d];
            }
          }
        }
      }
      const resize = (t: tf.Tensor) => tf.image.resizeBilinear(t as tf.Tensor4D, c.size, c.ac, c.hp);
      // The reference is the adjoint of wasm's forward too only if both forwards agree.
      const [yWasm] = await run('wasm', [x], (t) => [resize(t)]);
      const [yCpu] = await run('cpu', [x], (t) => [resize(t)]);
      assertClose(yWasm, yCpu, 'forward');
      for (const backend of ['wasm', 'cpu'] as const) {
        const [dx] = await run(backend, [x], weightedGrads(resize, g));
        assertClose(dx, expected, `${backend} dx`);
      }
    });
  }
});

/** Deterministic integer ids in [0, n). */
function ids(count: number, n: number): Data {
  const values = Float32Array.from({ length: count }, (_, i) => (i * 7919 + 13) % n);
  return { shape: [count], values };
}

describe('gather gradient and UnsortedSegmentSum, wasm vs cpu', () => {
  test('relative-position bias lookup: table [169, 3], 2401 indices', async () => {
    const idx = ids(2401, 169);
    const lookup = (table: tf.Tensor, i: tf.Tensor) => tf.gather(table, tf.cast(i, 'int32'));
    const g = randn([2401, 3]);
    const f = (table: tf.Tensor, i: tf.Tensor) => [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(lookup(t, i), tf.tensor(g.values, g.shape))))(table)];
    const wasm = await run('wasm', [randn([169, 3]), idx], f);
    const cpu = await run('cpu', [randn([169, 3]), idx], f);
    assertClose(wasm[0], cpu[0], 'dTable');
  });

  test('gather on axis 1 with 2-D indices', async () => {
    const idx: Data = { shape: [2, 3], values: Float32Array.from([0, 4, 4, 9, 1, 0]) };
    const lookup = (x: tf.Tensor, i: tf.Tensor) => tf.gather(x, tf.cast(i, 'int32'), 1);
    const x = randn([3, 10, 2]);
    const g = randn([3, 2, 3, 2]);
    const f = (t: tf.Tensor, i: tf.Tensor) => [tf.grad((u: tf.Tensor) => tf.sum(tf.mul(lookup(u, i), tf.tensor(g.values, g.shape))))(t)];
    const wasm = await run('wasm', [x, idx], f);
    const cpu = await run('cpu', [x, idx], f);
    assertClose(wasm[0], cpu[0], 'dx');
  });

  test('unsortedSegmentSum: float32, int32, and a one-hot larger than one chunk', async () => {
    const cases: Array<{ x: number[]; n: number; dtype: 'float32' | 'int32' }> = [
      { x: [50, 3, 2], n: 7, dtype: 'float32' },
      { x: [50, 4], n: 9, dtype: 'int32' },
      { x: [4100], n: 4100, dtype: 'float32' },
    ];
    for (const c of cases) {
      const inputs = [randn(c.x), ids(c.x[0], c.n)];
      const f = (x: tf.Tensor, i: tf.Tensor) => [
        tf.tidy(() => {
          const values = c.dtype === 'int32' ? tf.cast(tf.mul(x, 10), 'int32') : x;
          return tf.cast(tf.unsortedSegmentSum(values, tf.cast(i, 'int32') as tf.Tensor1D, c.n), 'float32');
        }),
      ];
      const wasm = await run('wasm', inputs, f);
      const cpu = await run('cpu', inputs, f);
      assertClose(wasm[0], cpu[0], `${c.dtype} ${c.x}`);
    }
  });
});

describe('stridedSlice gradient (tfjs-core has none), against scattering dy by hand', () => {
  const cases: Array<{ x: number[]; begin: number[]; end: number[]; strides: number[]; masks?: number[]; note: string }> = [
    { x: [2, 8, 8, 3], begin: [0, 1, 0, 0], end: [2, 8, 8, 3], strides: [1, 2, 2, 1], note: 'patch merging x[:, 1::2, 0::2]' },
    { x: [5, 6], begin: [4, 5], end: [0, 0], strides: [-2, -1], masks: [0, 2, 0, 0, 0], note: 'negative strides' },
    { x: [4, 5, 6], begin: [3, 4, 5], end: [0, 0, 0], strides: [-2, -1, -2], note: 'negative strides, 3-D' },
    { x: [4, 5, 6], begin: [0, 0, 1], end: [4, 5, 6], strides: [2, 1, 2], note: 'strides on two axes' },
    // tfjs 4.22's forward is itself wrong when shrinking beside a non-unit stride; unit strides here.
    { x: [4, 5, 6], begin: [1, 0, 1], end: [2, 5, 6], strides: [1, 1, 1], masks: [0, 0, 0, 0, 1], note: 'shrink' },
    { x: [4, 5, 6], begin: [0, 1, 0, 2], end: [0, 3, 5, 5], strides: [1, 1, 1, 1], masks: [0, 0, 0, 1, 0], note: 'new axis' },
    { x: [2, 3, 6], begin: [0, 1], end: [0, 6], strides: [1, 2], masks: [0, 0, 1, 0, 0], note: 'ellipsis' },
  ];
  for (const c of cases) {
    test(c.note, async () => {
      const [beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask] = c.masks ?? [0, 0, 0, 0, 0];
      const slice = (t: tf.Tensor) =>
        tf.stridedSlice(t, c.begin, c.end, c.strides, beginMask, endMask, ellipsisMask, newAxisMask, shrinkAxisMask);
      // Slicing the flat positions says which input element each output came from.
      const size = c.x.reduce((p, d) => p * d, 1);
      const positions: Data = { shape: c.x, values: Float32Array.from({ length: size }, (_, i) => i) };
      const [picked] = await run('cpu', [positions], (t) => [slice(t)]);
      const g = randn(outShape(slice, [positions]));
      const expected = new Float32Array(size);
      picked.forEach((pos, k) => {
        expected[pos] += g.values[k];
      });
      for (const backend of ['wasm', 'cpu'] as const) {
        const [dx] = await run(backend, [randn(c.x)], weightedGrads(slice, g));
        assertClose(dx, expected, backend);
      }
    });
  }
});

describe('the BatchMatMul planner: which way each product runs', () => {
  test('2-D, folded, looped (from 2^21 multiply-adds a matrix), depthwise (from a batch of 16), else stock', () => {
    assert.equal(planMatMul([5, 7], [7, 6], false, false), 'stock');
    assert.equal(planMatMul([7, 5], [7, 6], true, false), 'transpose');
    assert.equal(planMatMul([1, 5, 7], [6, 7], false, true), 'transpose');
    assert.equal(planMatMul([3, 5, 7], [7, 6], false, false), 'fold');
    assert.equal(planMatMul([2, 128, 128], [2, 128, 128], true, false), 'loop');
    assert.equal(planMatMul([2, 128, 128], [2, 128, 127], false, false), 'stock');
    assert.equal(planMatMul([16, 49, 8], [16, 49, 8], false, true), 'depthwise');
    assert.equal(planMatMul([15, 49, 8], [15, 49, 8], false, true), 'stock');
    assert.equal(planMatMul([2, 3, 5, 7], [3, 7, 6], false, false), 'stock');
  });
});

describe('matMul forward and gradients (the wasm BatchMatMul wrapper), wasm vs cpu', () => {
  const cases: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [
    { a: [5, 7], b: [7, 6], ta: false, tb: false },
    { a: [7, 5], b: [7, 6], ta: true, tb: false },
    { a: [9, 8], b: [9, 3], ta: true, tb: false }, // b the narrower: computed as (bᵀ a)ᵀ
    { a: [5, 7], b: [6, 7], ta: false, tb: true },
    { a: [7, 5], b: [6, 7], ta: true, tb: true },
    { a: [3, 4, 5], b: [3, 5, 6], ta: false, tb: false },
    { a: [6, 49, 8], b: [6, 49, 8], ta: false, tb: true },
    { a: [2, 128, 128], b: [2, 128, 128], ta: true, tb: false },
    // from 16 products on, the wrapper runs them as one depthwise convolution (window attention)
    { a: [20, 49, 8], b: [20, 49, 8], ta: false, tb: true },
    { a: [20, 49, 49], b: [20, 49, 8], ta: false, tb: false },
    { a: [18, 6, 9], b: [18, 6, 5], ta: true, tb: false },
    { a: [17, 6, 4], b: [17, 5, 6], ta: true, tb: true },
    { a: [2, 3, 5, 7], b: [1, 7, 6], ta: false, tb: false },
    { a: [2, 3, 5, 7], b: [1, 6, 7], ta: false, tb: true },
  ];
  for (const c of cases) {
    test(`a ${c.a}${c.ta ? 'ᵀ' : ''} x b ${c.b}${c.tb ? 'ᵀ' : ''}`, async () => {
      const mm = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, c.ta, c.tb);
      const inputs = [randn(c.a), randn(c.b)];
      const [yWasm] = await run('wasm', inputs, (a, b) => [mm(a, b)]);
      const [yCpu] = await run('cpu', inputs, (a, b) => [mm(a, b)]);
      assertClose(yWasm, yCpu, 'forward');
      // The gradient of a broadcast matmul is not reduced by tfjs-core; check same-batch cases only.
      if (c.a.length === c.b.length && c.a.slice(0, -2).every((d, i) => d === c.b[i])) {
        const [wasm, cpu] = await bothBackends(mm, inputs);
        assertClose(wasm[0], cpu[0], 'da');
        assertClose(wasm[1], cpu[1], 'db');
      }
    });
  }
});

describe('Sum, Tile and Reverse (replaced on wasm), wasm vs cpu', () => {
  const sums: Array<{ shape: number[]; axis: number[]; keepDims: boolean }> = [
    { shape: [300, 7], axis: [0], keepDims: false },
    { shape: [8, 128, 128, 2], axis: [0, 1, 2], keepDims: false }, // an average-pool window of 131,072 rows
    { shape: [4, 5, 6, 3], axis: [0, 1, 2], keepDims: true },
    { shape: [4, 5, 6, 3], axis: [1, 0], keepDims: false }, // unsorted leading axes
    { shape: [4, 5, 6], axis: [1], keepDims: false }, // not leading: the stock kernel
    { shape: [4, 5, 6], axis: [0, 1, 2], keepDims: false },
  ];
  for (const c of sums) {
    test(`sum of [${c.shape}] over [${c.axis}]${c.keepDims ? ', keepDims' : ''}`, async () => {
      const inputs = [randn(c.shape)];
      const f = (x: tf.Tensor) => [tf.sum(x, c.axis, c.keepDims)];
      const [wasm] = await run('wasm', inputs, f);
      const [cpu] = await run('cpu', inputs, f);
      const shapeOn = async (b: Backend) => {
        await tf.setBackend(b);
        return tf.tidy(() => tf.sum(tf.zeros(c.shape), c.axis, c.keepDims).shape);
      };
      assert.deepEqual(await shapeOn('wasm'), await shapeOn('cpu'));
      assertClose(wasm, cpu, 'sum');
    });
  }

  test('tile: broadcast of size-1 axes, and a general tile (stock)', async () => {
    const f = (x: tf.Tensor, y: tf.Tensor) => [tf.tile(x, [2, 3, 4, 1]), tf.tile(y, [2, 1, 3])];
    const inputs = [randn([1, 1, 1, 5]), randn([2, 3, 4])];
    const wasm = await run('wasm', inputs, f);
    const cpu = await run('cpu', inputs, f);
    assert.deepEqual(wasm[0], cpu[0]); // a copy: exact
    assert.deepEqual(wasm[1], cpu[1]);
  });

  const reverses: Array<{ shape: number[]; dims: number[] }> = [
    { shape: [2, 5, 7, 3], dims: [2] },
    { shape: [2, 5, 7, 3], dims: [1, 2] },
    { shape: [3, 4, 100], dims: [0] }, // long runs
    { shape: [3, 4, 5], dims: [2] }, // runs of one element
    { shape: [9], dims: [0] },
  ];
  for (const c of reverses) {
    test(`reverse [${c.shape}] on [${c.dims}]`, async () => {
      const inputs = [randn(c.shape)];
      const f = (x: tf.Tensor) => tf.tidy(() => [tf.reverse(x, c.dims), tf.cast(tf.reverse(tf.cast(tf.mul(x, 100), 'int32'), c.dims), 'float32')]);
      const wasm = await run('wasm', inputs, f);
      const cpu = await run('cpu', inputs, f);
      assert.deepEqual(wasm[0], cpu[0]);
      assert.deepEqual(wasm[1], cpu[1]);
    });
  }
});

describe('end to end: tf.variableGrads, wasm vs cpu', () => {
  async function lossGrads(backend: Backend, loss: (v: tf.Variable[], x: tf.Tensor) => tf.Scalar, weights: Data[], x: Data) {
    await tf.setBackend(backend);
    const start = tf.memory().numTensors;
    const vars = weights.map((d, i) => tf.tidy(() => tf.variable(tf.tensor(d.values, d.shape), true, `e2e_${backend}_${i}_${seed}`)));
    const input = tf.tensor(x.values, x.shape);
    const { value, grads } = tf.variableGrads(() => loss(vars, input), vars);
    const out = [Float32Array.from(value.dataSync()), ...vars.map((v) => Float32Array.from(grads[v.name].dataSync()))];
    tf.dispose([value, input, ...Object.values(grads), ...vars]);
    assert.equal(tf.memory().numTensors, start, `${backend}: leaked tensors`);
    return out;
  }

  test('conv -> relu -> dilated conv -> relu -> resize -> mean', async () => {
    const weights = [randn([3, 3, 3, 8]), randn([3, 3, 8, 6]), randn([1, 1, 6, 4])];
    const x = randn([2, 14, 14, 3]);
    const loss = ([w1, w2, w3]: tf.Variable[], input: tf.Tensor) => {
      const a = tf.relu(tf.conv2d(input as tf.Tensor4D, w1 as tf.Tensor4D, 1, 'same'));
      const b = tf.relu(tf.conv2d(a, w2 as tf.Tensor4D, 1, 'same', 'NHWC', 2));
      const c = tf.conv2d(tf.image.resizeBilinear(b, [7, 7], false, true), w3 as tf.Tensor4D, 1, 'valid');
      return tf.mean(tf.square(c)) as tf.Scalar;
    };
    const wasm = await lossGrads('wasm', loss, weights, x);
    const cpu = await lossGrads('cpu', loss, weights, x);
    wasm.forEach((v, i) => assertClose(v, cpu[i], i === 0 ? 'loss' : `grad ${i}`));
  });

  test('attention-like: linear, batched matmuls, softmax, bias gather, strided slice', async () => {
    const weights = [randn([12, 24]), randn([169, 2])];
    const x = randn([2, 8, 8, 12]);
    const index = Array.from(ids(49 * 49, 169).values);
    const loss = ([wqk, table]: tf.Variable[], input: tf.Tensor) => {
      const merged = tf.stridedSlice(input, [0, 0, 1, 0], [2, 8, 8, 12], [1, 1, 2, 1]); // [2, 8, 4, 12]
      const tokens = tf.reshape(tf.slice(merged, [0, 0, 0, 0], [2, 7, 4, 12]), [56, 12]);
      const qk = tf.reshape(tf.matMul(tokens, wqk), [2, 28, 2, 12]);
      const q = tf.transpose(tf.slice(qk, [0, 0, 0, 0], [2, 28, 2, 6]), [0, 2, 1, 3]);
      const k = tf.transpose(tf.slice(qk, [0, 0, 0, 6], [2, 28, 2, 6]), [0, 2, 1, 3]);
      const scores = tf.reshape(tf.matMul(tf.reshape(q, [4, 28, 6]), tf.reshape(k, [4, 28, 6]), false, true), [2, 2, 28, 28]);
      const bias = tf.transpose(tf.reshape(tf.gather(table, tf.tensor1d(index, 'int32')), [49, 49, 2]), [2, 0, 1]);
      const att = tf.softmax(tf.add(scores, tf.slice(bias, [0, 0, 0], [2, 28, 28])));
      return tf.mean(tf.mul(att, tf.reshape(tf.range(0, 28 * 28), [28, 28]))) as tf.Scalar;
    };
    const wasm = await lossGrads('wasm', loss, weights, x);
    const cpu = await lossGrads('cpu', loss, weights, x);
    wasm.forEach((v, i) => assertClose(v, cpu[i], i === 0 ? 'loss' : `grad ${i}`));
  });
});

describe('the whole model, wasm vs cpu', () => {
  test('the demo model\'s training loss (consistency term on) and all 348 gradients agree', async () => {
    // every kernel the kit replaces or adds on wasm, in the model it trains (64 px: 16 windows of 4x4)
    const config = { ...configFrom('demo'), imgSize: 64, windowSize: 4 };
    const grads = async (backend: Backend): Promise<Map<string, Float32Array>> => {
      await tf.setBackend(backend);
      const start = tf.memory().numTensors;
      const model = new Dgiqa(config, 5);
      const r = new Rng(9);
      const x = tf.tensor4d(Float32Array.from({ length: 2 * 64 * 64 * 3 }, () => r.normal()), [2, 64, 64, 3]);
      const depth = tf.neg(x) as tf.Tensor4D;
      const labels = tf.tensor1d([0.2, 0.7]);
      const ctx: Ctx = { training: true, rng: new Rng(3), bnUpdates: [] };
      const { value, grads: g } = tf.variableGrads(() => lossTerms(model, { rgb: x, depth, labels }, 1, ctx).loss, model.store.trainable());
      const out = new Map<string, Float32Array>([['loss', Float32Array.from(value.dataSync())]]);
      for (const [name, v] of model.store.vars) if (g[v.name]) out.set(name, Float32Array.from(g[v.name]!.dataSync()));
      tf.dispose([value, x, depth, labels, ...Object.values(g)]);
      for (const u of ctx.bnUpdates) tf.dispose([u.mean, u.variance]);
      model.dispose();
      assert.equal(tf.memory().numTensors, start, `${backend}: leaked tensors`);
      return out;
    };
    const wasm = await grads('wasm');
    const cpu = await grads('cpu');
    assert.equal(wasm.size, 349);
    assert.ok(Math.abs(wasm.get('loss')![0]! - cpu.get('loss')![0]!) < 1e-6);
    const norm = (v: Float32Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (const [name, c] of cpu) {
      const w = wasm.get(name)!;
      const diff = norm(w.map((x, i) => x - c[i]!));
      // biases before a BatchNorm have a gradient of 0 in exact arithmetic (about 1e-9 here, rounding):
      // for those only the absolute difference means anything
      if (norm(c) < 1e-6) assert.ok(diff < 1e-6, `${name}: |wasm - cpu| = ${diff}`);
      else assert.ok(diff / norm(c) < 1e-3, `${name}: relative error ${diff / norm(c)}`);
    }
  });
});

