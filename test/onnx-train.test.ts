// The training step on ONNX Runtime (src/train/onnxEngine.ts): the traced graph computes the
// TensorFlow.js step's loss and gradients, its AdamW is the kit's, runs are deterministic, the model
// variants and loss paths the course trains all translate, nothing leaks, and what it cannot do it
// refuses by name.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initBackend, tf } from '../src/backend/index.js';
import { Dgiqa, resolveConfig, PRESETS } from '../src/model/index.js';
import type { DgiqaConfig } from '../src/model/index.js';
import { OnnxGraph, loadOnnxRuntime, translate, traceKernels, valueKey } from '../src/onnx/index.js';
import { AdamW, OnnxTrainStep, trainStep } from '../src/train/index.js';
import type { StepBatch } from '../src/train/index.js';

const DEMO = resolveConfig(PRESETS.demo);

function batchOf(c: DgiqaConfig, n: number, seed: number, ref = false): StepBatch {
  const s = c.imgSize;
  const img = (k: number): tf.Tensor4D => tf.randomNormal([n, s, s, 3], 0, 1, 'float32', seed + k);
  return {
    rgb: img(0),
    depth: c.useDepth ? img(1) : undefined,
    labels: tf.randomUniform([n], 0, 1, 'float32', seed + 2),
    ...(ref ? { ref: { rgb: img(3), depth: c.useDepth ? img(4) : undefined } } : {}),
  };
}

function disposeBatch(b: StepBatch): void {
  tf.dispose([b.rgb, b.labels, ...[b.depth, b.ref?.rgb, b.ref?.depth].filter((t): t is tf.Tensor4D => t !== undefined)]);
}

function params(m: Dgiqa): Map<string, Float32Array> {
  return new Map([...m.store.vars].map(([k, v]) => [k, v.dataSync() as Float32Array]));
}

describe('training steps on ONNX Runtime', () => {
  before(async () => {
    await initBackend('wasm');
  });

  it('computes the TensorFlow.js step: loss, gradients, AdamW, BatchNorm statistics; deterministic; leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const batch = batchOf(DEMO, 2, 11);
    const lr = 1e-4;
    const ref = new Dgiqa(DEMO, 3);
    const refOpt = new AdamW(ref.store.trainableByName());
    const runs = [0, 1].map(() => {
      const model = new Dgiqa(DEMO, 3);
      return { model, optimizer: new AdamW(model.store.trainableByName()) };
    });
    const engines = await Promise.all(runs.map((r) => OnnxTrainStep.create(r.model, r.optimizer, { threads: 2 })));
    for (let step = 0; step < 3; step++) {
      const want = await trainStep(ref, refOpt, batch, { lr, lambda: 0.5, rank: 0, seed: step });
      for (const e of engines) {
        const got = await e.step(batch, { lr, lambda: 0.5, rank: 0, seed: step });
        assert.ok(got.gradsFinite);
        assert.ok(Math.abs(got.loss - want.loss) <= 1e-4 * Math.max(1, want.loss), `step ${step}: loss ${got.loss} vs ${want.loss}`);
        assert.ok(Math.abs(got.consistency - want.consistency) <= 1e-4, `step ${step}: consistency ${got.consistency} vs ${want.consistency}`);
      }
    }
    // the graph's own check against the traced step: gradients within 1e-4 of the largest
    const check = engines[0]!.built[0]!.check;
    assert.ok(check.grad <= 1e-4, `gradient gap ${check.grad}`);
    assert.ok(check.gradNorm <= 1e-4, `gradient norm gap ${check.gradNorm}`);
    assert.ok(check.bn <= 1e-5, `BatchNorm statistics gap ${check.bn}`);
    for (const e of engines) e.sync();
    assert.equal(runs[0]!.optimizer.t, 3);
    const a = params(runs[0]!.model);
    const b = params(runs[1]!.model);
    const want = params(ref);
    for (const [name, values] of a) {
      assert.deepEqual(values, b.get(name), `${name}: two runs are bit-identical`);
      const w = want.get(name) as Float32Array;
      let gap = 0;
      for (let i = 0; i < w.length; i++) gap = Math.max(gap, Math.abs(values[i]! - w[i]!));
      // Adam moves a weight by about lr a step whatever its gradient's size, so float noise in a
      // near-zero gradient can flip one step's sign: at most 2 lr a step apart
      assert.ok(gap <= 2 * lr * 3 + 1e-6, `${name}: ${gap} from the TensorFlow.js run`);
    }
    for (const [k, m] of [...runs[0]!.optimizer.m].slice(0, 5)) assert.deepEqual(m.dataSync(), runs[1]!.optimizer.m.get(k)!.dataSync());
    for (const e of engines) await e.dispose();
    for (const r of runs) {
      r.optimizer.dispose();
      r.model.dispose();
    }
    refOpt.dispose();
    ref.dispose();
    disposeBatch(batch);
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
  });

  /**
   * Two steps of twin demo models, one on TensorFlow.js and one on ONNX Runtime, each with the
   * optimizer `optimizerOf` makes for it; the weights before and after both runs. Leaks nothing.
   */
  async function twinSteps(seed: number, optimizerOf: (m: Dgiqa) => AdamW): Promise<{ start: Map<string, Float32Array>; got: Map<string, Float32Array>; want: Map<string, Float32Array> }> {
    const before = tf.memory().numTensors;
    const batch = batchOf(DEMO, 2, 31 + seed);
    const ref = new Dgiqa(DEMO, seed);
    const refOpt = optimizerOf(ref);
    const model = new Dgiqa(DEMO, seed);
    const optimizer = optimizerOf(model);
    const engine = await OnnxTrainStep.create(model, optimizer, { threads: 1 });
    const start = params(model);
    for (let step = 0; step < 2; step++) {
      await trainStep(ref, refOpt, batch, { lr: 1e-3, lambda: 0.5, rank: 0, seed: step });
      await engine.step(batch, { lr: 1e-3, lambda: 0.5, rank: 0, seed: step });
    }
    engine.sync();
    const out = { start, got: params(model), want: params(ref) };
    await engine.dispose();
    for (const o of [optimizer, refOpt]) o.dispose();
    for (const m of [model, ref]) m.dispose();
    disposeBatch(batch);
    assert.equal(tf.memory().numTensors, before, 'no tensors leaked');
    return out;
  }

  const isBackbone = (name: string): boolean => name.startsWith('backbone.') || name.startsWith('depth_backbone.');

  it('parameter groups (a backbone rate scale): the same update as the TensorFlow.js AdamW with the same groups', async () => {
    const scales = (m: Dgiqa): Map<string, number> => new Map([...m.store.trainableByName().keys()].filter((k) => k.startsWith('backbone.')).map((k) => [k, 0.1]));
    const { start, got, want } = await twinSteps(4, (m) => new AdamW(m.store.trainableByName(), {}, scales(m)));
    for (const [name, values] of got) {
      const w = want.get(name) as Float32Array;
      const s = start.get(name) as Float32Array;
      let gap = 0;
      let moved = 0;
      for (let i = 0; i < w.length; i++) {
        gap = Math.max(gap, Math.abs(values[i]! - w[i]!));
        moved = Math.max(moved, Math.abs(values[i]! - s[i]!));
      }
      const lr = name.startsWith('backbone.') ? 1e-4 : 1e-3;
      assert.ok(gap <= 2 * lr * 2 + 1e-6, `${name}: ${gap} from the TensorFlow.js run`);
      // a weight of the scaled group moves by at most its rate a step (plus the decay)
      if (name.startsWith('backbone.')) assert.ok(moved <= 2 * 1e-4 * 1.01 + 1e-6, `${name} moved ${moved}`);
    }
  });

  it('frozen backbones (left out of the optimizer): fed as inputs, unchanged, and the rest updated as on TensorFlow.js', async () => {
    const head = (m: Dgiqa): Map<string, tf.Variable> => new Map([...m.store.trainableByName()].filter(([k]) => !isBackbone(k)));
    const { start, got, want } = await twinSteps(5, (m) => {
      const o = new AdamW(head(m));
      assert.ok(o.params.size < m.store.trainableByName().size);
      return o;
    });
    let moved = 0;
    for (const [name, values] of got) {
      const s = start.get(name) as Float32Array;
      if (isBackbone(name)) {
        assert.deepEqual(values, s, `${name}: frozen, yet it moved`);
        assert.deepEqual(want.get(name), s, `${name}: frozen, yet the TensorFlow.js step moved it`);
        continue;
      }
      const w = want.get(name) as Float32Array;
      let gap = 0;
      for (let i = 0; i < w.length; i++) gap = Math.max(gap, Math.abs(values[i]! - w[i]!));
      assert.ok(gap <= 2 * 1e-3 * 2 + 1e-6, `${name}: ${gap} from the TensorFlow.js run`);
      if (values.some((v, i) => v !== s[i])) moved++;
    }
    assert.ok(moved > 10, `${moved} head tensors moved`);
  });

  it('translates the step with the ranking loss: checked against TensorFlow.js, and the term is in the loss', async () => {
    const c = resolveConfig({ ...PRESETS.demo });
    const losses: number[] = [];
    for (const rank of [0, 4]) {
      const model = new Dgiqa(c, 5);
      const optimizer = new AdamW(model.store.trainableByName());
      const batch = batchOf(c, 4, 21);
      // labels in the order opposite to the one this model scores these images in (seen once): every pair counts
      batch.labels.dispose();
      batch.labels = tf.tensor1d([0.9, 0.6, 0.3, 0.1]);
      const engine = await OnnxTrainStep.create(model, optimizer, { threads: 1 });
      const r = await engine.step(batch, { lr: 1e-4, lambda: 0.5, rank, seed: 1 });
      assert.ok(Number.isFinite(r.loss) && r.gradsFinite);
      assert.ok(engine.built[0]!.check.grad <= 1e-3, `rank ${rank}: gradient gap ${engine.built[0]!.check.grad}`);
      losses.push(r.loss);
      await engine.dispose();
      optimizer.dispose();
      model.dispose();
      disposeBatch(batch);
    }
    assert.ok(losses[1]! > losses[0]! + 1e-6, `the ranking term added nothing: ${losses.join(' vs ')}`);
  });

  const variants: Array<[string, Partial<DgiqaConfig>, { lambda: number; ref?: boolean }]> = [
    ['without TCB', { tcb: false }, { lambda: 0.5 }],
    ['without Depth-CAR, lambda 0', { depthCar: false }, { lambda: 0 }],
    ['without dilation', { dilation: false }, { lambda: 0.5 }],
    ['RGB only', { useDepth: false, depthCar: false }, { lambda: 0.5 }],
    ['DGIQA-FR (reference and distorted)', {}, { lambda: 0, ref: true }],
  ];
  for (const [label, change, o] of variants) {
    it(`translates the ${label} step (the engine checks it against TensorFlow.js)`, async () => {
      const c = resolveConfig({ ...PRESETS.demo, ...change });
      const model = new Dgiqa(c, 5);
      const optimizer = new AdamW(model.store.trainableByName());
      const batch = batchOf(c, 2, 21, o.ref);
      const engine = await OnnxTrainStep.create(model, optimizer, { threads: 1 });
      const r = await engine.step(batch, { lr: 1e-4, lambda: o.lambda, rank: 0, seed: 1 });
      assert.ok(Number.isFinite(r.loss) && r.gradsFinite);
      assert.ok(engine.built[0]!.check.grad <= 1e-3, `${label}: gradient gap ${engine.built[0]!.check.grad}`);
      await engine.dispose();
      optimizer.dispose();
      model.dispose();
      disposeBatch(batch);
    });
  }

  it('sums over leading axes (a bias gradient) as a matrix product: the values of tfjs.sum, any keepDims', async () => {
    const ort = await loadOnnxRuntime();
    const cases: Array<{ shape: number[]; axes: number[]; keepDims: boolean }> = [
      { shape: [4096, 16], axes: [0], keepDims: false },
      { shape: [1, 2048, 8], axes: [0, 1], keepDims: false },
      { shape: [4, 8, 8, 6], axes: [0, 1, 2], keepDims: true },
      { shape: [3, 5, 7], axes: [0], keepDims: true },
      { shape: [6, 10], axes: [1], keepDims: false }, // not leading: stays a ReduceSum
      { shape: [6, 10], axes: [0, 1], keepDims: false }, // every axis: stays a ReduceSum
    ];
    for (const c of cases) {
      const x = tf.randomNormal(c.shape, 0, 1, 'float32', 5);
      const traced = traceKernels(() => tf.tidy(() => tf.sum(x, c.axes, c.keepDims).dataSync()), new Set([valueKey(x)]));
      const call = traced.calls.find((k) => k.name === 'Sum');
      assert.ok(call, 'the trace recorded the Sum');
      const g = new OnnxGraph();
      g.input('x', c.shape);
      const [y] = translate({ g, call, x: ['x'] });
      g.output(y!, 'y', call.outputs[0]!.shape);
      const leading = c.axes.every((a, i) => a === i) && c.axes.length < c.shape.length;
      assert.equal(g.nodes.some((n) => n.op === 'ReduceSum'), !leading, `${c.shape} over ${c.axes}: ReduceSum ${leading ? 'replaced' : 'kept'}`);
      const session = await ort.InferenceSession.create(g.encode({ graphName: 'sum', producer: 'test', producerVersion: '1', metadata: {}, docString: '' }));
      const got = (await session.run({ x: new ort.Tensor('float32', x.dataSync() as Float32Array, c.shape) })).y!;
      const want = tf.tidy(() => tf.sum(x, c.axes, c.keepDims));
      assert.deepEqual([...got.dims], want.shape, `${c.shape} over ${c.axes}: shape`);
      const w = want.dataSync();
      const d = got.data as Float32Array;
      for (let i = 0; i < w.length; i++) assert.ok(Math.abs(d[i]! - w[i]!) <= 1e-4 * (1 + Math.abs(w[i]!)), `${c.shape} over ${c.axes}: ${d[i]} vs ${w[i]}`);
      await session.release();
      tf.dispose([x, want]);
    }
  });

  it('refuses a model that draws dropout masks, and a kernel it has no translation for, by name', async () => {
    const c = resolveConfig({ ...PRESETS.demo, dropout: 0.1 });
    const model = new Dgiqa(c, 1);
    const optimizer = new AdamW(model.store.trainableByName());
    await assert.rejects(OnnxTrainStep.create(model, optimizer), /draws dropout masks/);
    optimizer.dispose();
    model.dispose();
    const x = tf.tensor1d([1, -2, 3]);
    const traced = traceKernels(() => tf.tidy(() => tf.cumsum(x).dataSync()), new Set([valueKey(x)]));
    const call = traced.calls.find((k) => k.name === 'Cumsum');
    assert.ok(call, 'the trace recorded the kernel');
    assert.throws(() => translate({ g: new OnnxGraph(), call, x: ['x'] }), /the kernel Cumsum has no ONNX translation/);
    x.dispose();
  });
});
