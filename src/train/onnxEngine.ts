// The training step on ONNX Runtime: the kit's own step (forward, flipped forward, tfjs's gradients,
// the kit's backward kernels) traced once on TensorFlow.js as a list of kernel calls, written as one
// ONNX graph with AdamW appended, and run by ONNX Runtime's CPU build (MLAS: AVX-512 where the CPU
// has it, a thread per core). The wasm backend's 128-bit SIMD and one thread cap a step near 10
// GFLOP/s here; this engine is what lets one training use the machine (README, "Measured here").
//
// The graph is checked before it is used: its first step is compared with the traced TensorFlow.js
// step on the same batch (loss, every gradient, the BatchNorm statistics), and a mismatch refuses the
// engine with the numbers. The optimizer state lives in ONNX Runtime between steps as three flat
// vectors (parameters, first and second moments); sync() writes it back into the model and the
// AdamW object, as checkpoints and evaluations need.
import { tf } from '../backend/index.js';
import type { Dgiqa } from '../model/index.js';
import { OnnxGraph, loadOnnxRuntime, translate, traceKernels, valueKey } from '../onnx/index.js';
import type { KernelCall } from '../onnx/index.js';
import { Rng } from '../util/rng.js';
import type { AdamW } from './adamw.js';
import { lossTerms } from './step.js';
import type { StepBatch, StepOptions, StepResult } from './step.js';

type Ort = Awaited<ReturnType<typeof loadOnnxRuntime>>;
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;
type OrtTensor = InstanceType<Ort['Tensor']>;

/**
 * How far the graph's first step may be from the traced tfjs step (float32, other summation orders):
 * the loss and the BatchNorm statistics; the gradient as a whole (`gradNorm`: the difference's L2 norm
 * over the traced gradient's); and any one gradient entry (`grad`: over the largest entry). A wrong
 * graph is off by order 1. Right ones are usually within 1e-5, but one was off by 4.4e-3 as a whole,
 * spread over every layer, with the loss equal to 1e-8 (the demo's without-Depth-CAR variant from the
 * change backbone, synth-A split 0's first batch), which a bound of 2e-3 had refused. The cause: one
 * ReLU. Of the 32,768 BatchNorm outputs before the dilated stack's last ReLU (batch 16, lambda 0),
 * one (channel 28) was -2.1e-6, inside the rounding of its 288-term convolution: the graph's sum fell
 * on the other side of 0 and the gradient passed there in one engine only (that channel's BN bias
 * gradient was the only one of 32 off, by one position's share, while the BN weights' matched, x-hat
 * being ~0 there), and the difference flowed back through the whole network. Any step can hold such
 * a tie; 1e-2 still refuses any graph that computes something else.
 */
const CHECK = { loss: 1e-4, grad: 2e-2, gradNorm: 1e-2 };

interface FlatParam {
  name: string;
  variable: tf.Variable;
  offset: number;
  size: number;
}

interface BuiltGraph {
  bytes: Uint8Array;
  nodes: number;
  /** variables the step reads that AdamW does not update (fed from the model each step) */
  fed: Array<{ input: string; variable: tf.Variable }>;
  batchInputs: Array<{ input: string; pick: (b: StepBatch) => tf.Tensor | undefined }>;
  bn: Array<{ name: string; mean: string; variance: string }>;
  traced: { loss: number; mse: number; consistency: number; grads: Float32Array; bn: Float32Array[] };
}

const BATCH_INPUTS: Array<{ input: string; pick: (b: StepBatch) => tf.Tensor | undefined }> = [
  { input: 'rgb', pick: (b) => b.rgb },
  { input: 'depth', pick: (b) => b.depth },
  { input: 'labels', pick: (b) => b.labels },
  { input: 'ref_rgb', pick: (b) => b.ref?.rgb },
  { input: 'ref_depth', pick: (b) => b.ref?.depth },
];

/** AdamW's parameters end to end in one vector, in the optimizer's order. */
function flatLayout(optimizer: AdamW): FlatParam[] {
  const out: FlatParam[] = [];
  let offset = 0;
  for (const [name, variable] of optimizer.params) {
    out.push({ name, variable, offset, size: variable.size });
    offset += variable.size;
  }
  if (out.length === 0) throw new Error('ONNX training engine: the model has no trainable parameters');
  return out;
}

/** Traces one step of `model` on `batch` and writes it, with AdamW, as an ONNX graph. */
function buildGraph(model: Dgiqa, optimizer: AdamW, flat: FlatParam[], batch: StepBatch, opts: StepOptions): BuiltGraph {
  const total = flat.reduce((a, p) => a + p.size, 0);
  const byKey = new Map<string, FlatParam>(flat.map((p) => [valueKey(p.variable), p]));
  const others = new Map<string, tf.Variable>();
  for (const v of model.store.vars.values()) if (!byKey.has(valueKey(v))) others.set(valueKey(v), v);
  const batchInputs = BATCH_INPUTS.filter((b) => b.pick(batch) !== undefined);
  const batchKeys = new Map<string, { input: string; tensor: tf.Tensor }>();
  for (const b of batchInputs) {
    const t = b.pick(batch) as tf.Tensor;
    batchKeys.set(valueKey(t), { input: b.input, tensor: t });
  }
  const external = new Set<string>([...byKey.keys(), ...others.keys(), ...batchKeys.keys()]);

  // one real step on tfjs, recorded (its update is not applied: the graph's first step is the step)
  const ctx = { training: true, rng: new Rng(opts.seed), bnUpdates: [] as Array<{ name: string; mean: tf.Tensor; variance: tf.Tensor }> };
  const trainable = flat.map((p) => p.variable);
  const keys = { loss: '', mse: '', consistency: '' };
  const values = { mse: NaN, consistency: NaN };
  const trace = traceKernels(() => tf.variableGrads(() => {
    const t = lossTerms(model, batch, opts.lambda, ctx, opts.rank);
    keys.mse = valueKey(t.mse);
    keys.consistency = valueKey(t.consistency);
    values.mse = t.mse.dataSync()[0];
    values.consistency = t.consistency.dataSync()[0];
    return t.loss;
  }, trainable), external);
  const { value, grads } = trace.result;
  keys.loss = valueKey(value);
  const gradKeys = flat.map((p) => {
    const gr = grads[p.variable.name];
    if (!gr) throw new Error(`ONNX training engine: no gradient reaches "${p.name}" (the engine updates every trainable parameter)`);
    return valueKey(gr);
  });
  const tracedGrads = new Float32Array(total);
  flat.forEach((p) => tracedGrads.set(grads[p.variable.name].dataSync() as Float32Array, p.offset));
  const bnTraced = ctx.bnUpdates.flatMap((u) => [u.mean.dataSync() as Float32Array, u.variance.dataSync() as Float32Array].map((a) => Float32Array.from(a)));
  const bnKeys = ctx.bnUpdates.map((u) => ({ name: u.name, mean: valueKey(u.mean), variance: valueKey(u.variance), meanShape: u.mean.shape, varianceShape: u.variance.shape }));
  const loss = value.dataSync()[0];
  tf.dispose([value, ...Object.values(grads)]);
  for (const u of ctx.bnUpdates) tf.dispose([u.mean, u.variance]);

  // --- the graph ---------------------------------------------------------------------------------
  const g = new OnnxGraph();
  const names = new Map<string, string>();
  const params = g.input('params', [total]);
  const fed: BuiltGraph['fed'] = [];
  let constants = 0;
  const nameOf = (info: tf.TensorInfo): string => {
    const key = valueKey(info);
    const known = names.get(key);
    if (known) return known;
    let name: string;
    const p = byKey.get(key);
    const batchInput = batchKeys.get(key);
    const other = others.get(key);
    if (p) {
      name = g.reshape(g.op('Slice', [params, g.int64s([p.offset]), g.int64s([p.offset + p.size]), g.int64s([0])]), p.variable.shape);
    } else if (batchInput) {
      name = g.input(batchInput.input, batchInput.tensor.shape);
    } else if (other) {
      name = g.input(`var_${fed.length}`, other.shape);
      fed.push({ input: name, variable: other });
    } else {
      const data = trace.constants.get(key);
      if (!data) throw new Error(`ONNX training engine: the value ${key} is read before anything makes it`);
      if (info.dtype !== 'float32') throw new Error(`ONNX training engine: a ${info.dtype} constant is not supported`);
      name = g.weight(`const_${constants++}`, data, info.shape);
    }
    names.set(key, name);
    return name;
  };
  for (const call of trace.calls as KernelCall[]) {
    const x = call.inputs.map(nameOf);
    const out = translate({ g, call, x });
    call.outputs.forEach((o, i) => names.set(valueKey(o), out[i]));
  }
  const named = (key: string, what: string): string => {
    const n = names.get(key);
    if (!n) throw new Error(`ONNX training engine: the ${what} was not computed by a traced kernel`);
    return n;
  };
  // gradients as one flat vector, in the parameters' order
  const gFlat = g.concat(flat.map((p, i) => g.reshape(named(gradKeys[i], `gradient of ${p.name}`), [p.size])), 0);
  const m = g.input('m', [total]);
  const v = g.input('v', [total]);
  const hyper = (name: string): string => g.input(name, []);
  // with parameter groups (AdamW lrScales) the rate and the decay come per value, as vectors the step fills
  const [lr, decay] = optimizer.grouped ? ['lr', 'decay'].map((name) => g.input(name, [total])) : ['lr', 'decay'].map(hyper);
  const [c1, c2] = ['c1', 'c2'].map(hyper);
  const { beta1, beta2, eps } = optimizer.opts;
  // AdamW as src/train/adamw.ts computes it, operation for operation
  const m2 = g.add(g.mul(m, g.scalar(beta1)), g.mul(gFlat, g.scalar(1 - beta1)));
  const v2 = g.add(g.mul(v, g.scalar(beta2)), g.mul(g.mul(gFlat, gFlat), g.scalar(1 - beta2)));
  const update = g.op('Div', [g.op('Div', [m2, c1]), g.add(g.op('Sqrt', [g.op('Div', [v2, c2])]), g.scalar(eps))]);
  const p2 = g.op('Sub', [g.mul(params, decay), g.mul(update, lr)]);
  g.output(p2, 'params_out', [total]);
  g.output(m2, 'm_out', [total]);
  g.output(v2, 'v_out', [total]);
  g.output(gFlat, 'grads', [total]);
  // x * 0 is 0 for finite x, NaN otherwise: one sum tells whether every gradient is finite
  g.output(g.op('ReduceSum', [g.mul(gFlat, g.scalar(0))], { keepdims: { kind: 'int', value: 0 } }), 'finite_probe', []);
  // a loss term no kernel made is a constant (the consistency term when lambda is 0): its value is the step's
  const term = (key: string, value: number): string => names.get(key) ?? g.scalar(value);
  g.output(named(keys.loss, 'loss'), 'loss', []);
  g.output(term(keys.mse, values.mse), 'mse', []);
  g.output(term(keys.consistency, values.consistency), 'consistency', []);
  const bn = bnKeys.map((u, i) => {
    const mean = `bn_mean_${i}`;
    const variance = `bn_var_${i}`;
    g.output(named(u.mean, `${u.name} batch mean`), mean, u.meanShape);
    g.output(named(u.variance, `${u.name} batch variance`), variance, u.varianceShape);
    return { name: u.name, mean, variance };
  });
  const bytes = g.encode({
    graphName: 'dgiqa_train_step', producer: 'dgiqa-kit', producerVersion: '1', metadata: {},
    docString: `one AdamW step of ${total} parameters, traced from the kit's TensorFlow.js step`,
  });
  return { bytes, nodes: g.nodes.length, fed, batchInputs, bn, traced: { loss, mse: values.mse, consistency: values.consistency, grads: tracedGrads, bn: bnTraced } };
}

export interface OnnxStepOptions {
  /** ONNX Runtime intra-op threads (default: every core) */
  threads?: number;
}

/** Largest relative difference between two vectors, against the larger's scale. */
function relativeGap(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let gap = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]), Math.abs(b[i]));
    gap = Math.max(gap, Math.abs(a[i] - b[i]));
  }
  return scale === 0 ? gap : gap / scale;
}

/** The L2 norm of a - b over that of b (the traced reference); the plain norm when b is zero. */
function normGap(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    ref += b[i] ** 2;
  }
  return ref === 0 ? Math.sqrt(diff) : Math.sqrt(diff / ref);
}

/**
 * Training steps of one model and optimizer on ONNX Runtime. Steps with a batch size not seen before
 * trace and compile a graph for it first (a few seconds). Between sync() calls the model's and the
 * optimizer's tensors are stale: call sync() before reading, saving or evaluating them.
 */
export class OnnxTrainStep {
  readonly name = 'onnx';
  private readonly flat: FlatParam[];
  private readonly graphs = new Map<string, { built: BuiltGraph; session: Session; checked: boolean }>();
  private state: { params: Float32Array; m: Float32Array; v: Float32Array };
  private stale = false;
  /** graphs built so far, with their node counts and the seconds the trace and compilation took */
  readonly built: Array<{ batch: number; nodes: number; seconds: number; check: { loss: number; grad: number; gradNorm: number; bn: number } }> = [];

  private constructor(
    private readonly model: Dgiqa,
    private readonly optimizer: AdamW,
    private readonly ort: Ort,
    readonly threads: number,
  ) {
    if (model.dropoutDraws() > 0) throw new Error('ONNX training engine: the model draws dropout masks (dropout, drop path or TCB dropout above 0), which a traced graph would freeze; train it on TensorFlow.js');
    this.flat = flatLayout(optimizer);
    this.state = this.readState();
  }

  static async create(model: Dgiqa, optimizer: AdamW, o: OnnxStepOptions = {}): Promise<OnnxTrainStep> {
    const { isMainThread } = await import('node:worker_threads');
    if (!isMainThread) throw new Error('ONNX training engine: ONNX Runtime runs on the main thread only (its Node binding aborts the process when worker threads use it)');
    const { availableParallelism } = await import('node:os');
    const threads = o.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`ONNX training engine: threads must be a positive integer, got ${threads}`);
    return new OnnxTrainStep(model, optimizer, await loadOnnxRuntime(), threads);
  }

  private readState(): { params: Float32Array; m: Float32Array; v: Float32Array } {
    const total = this.flat.reduce((a, p) => a + p.size, 0);
    const out = { params: new Float32Array(total), m: new Float32Array(total), v: new Float32Array(total) };
    for (const p of this.flat) {
      out.params.set(p.variable.dataSync() as Float32Array, p.offset);
      out.m.set((this.optimizer.m.get(p.name) as tf.Variable).dataSync() as Float32Array, p.offset);
      out.v.set((this.optimizer.v.get(p.name) as tf.Variable).dataSync() as Float32Array, p.offset);
    }
    return out;
  }

  /** Writes the parameters and AdamW moments back into the model and the optimizer. */
  sync(): void {
    if (!this.stale) return;
    tf.tidy(() => {
      for (const p of this.flat) {
        const shape = p.variable.shape;
        const part = (a: Float32Array): tf.Tensor => tf.tensor(a.subarray(p.offset, p.offset + p.size), shape);
        p.variable.assign(part(this.state.params));
        (this.optimizer.m.get(p.name) as tf.Variable).assign(part(this.state.m));
        (this.optimizer.v.get(p.name) as tf.Variable).assign(part(this.state.v));
      }
    });
    this.stale = false;
  }

  /**
   * Per-value rate and decay vectors of a grouped optimizer: each parameter's span holds the float32
   * of the numbers src/train/adamw.ts makes its scalars from, so both engines apply the same update.
   */
  private groupedRates(lr: number): { lr: OrtTensor; decay: OrtTensor } {
    const total = this.state.params.length;
    const rate = new Float32Array(total);
    const decay = new Float32Array(total);
    const { weightDecay } = this.optimizer.opts;
    for (const p of this.flat) {
      const scale = this.optimizer.scaleOf(p.name);
      rate.fill(scale === 1 ? lr : lr * scale, p.offset, p.offset + p.size);
      decay.fill(scale === 1 ? 1 - lr * weightDecay : 1 - lr * scale * weightDecay, p.offset, p.offset + p.size);
    }
    const T = this.ort.Tensor;
    return { lr: new T('float32', rate, [total]), decay: new T('float32', decay, [total]) };
  }

  /** Re-reads the model and optimizer (after they were changed from outside, as by a resume). */
  reload(): void {
    this.state = this.readState();
    this.stale = false;
  }

  async step(batch: StepBatch, opts: StepOptions): Promise<StepResult> {
    // grouped rates are graph inputs of their own shape: a run whose backbones start frozen changes it
    const key = `${batch.rgb.shape[0]}:${opts.lambda}:${opts.rank}:${this.optimizer.grouped}`;
    let graph = this.graphs.get(key);
    if (!graph) {
      this.sync(); // the trace runs the model's own step on its current weights
      const t0 = performance.now();
      const built = buildGraph(this.model, this.optimizer, this.flat, batch, opts);
      const session = await this.ort.InferenceSession.create(built.bytes, {
        intraOpNumThreads: this.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
      });
      graph = { built, session, checked: false };
      this.graphs.set(key, graph);
      this.built.push({ batch: batch.rgb.shape[0], nodes: built.nodes, seconds: (performance.now() - t0) / 1000, check: { loss: NaN, grad: NaN, gradNorm: NaN, bn: NaN } });
    }
    const { built, session } = graph;
    const T = this.ort.Tensor;
    const t = this.optimizer.t + 1;
    const { beta1, beta2, weightDecay } = this.optimizer.opts;
    const scalar = (x: number): OrtTensor => new T('float32', Float32Array.of(x), []);
    const feeds: Record<string, OrtTensor> = {
      params: new T('float32', this.state.params, [this.state.params.length]),
      m: new T('float32', this.state.m, [this.state.m.length]),
      v: new T('float32', this.state.v, [this.state.v.length]),
      c1: scalar(1 - beta1 ** t), c2: scalar(1 - beta2 ** t),
      ...(this.optimizer.grouped ? this.groupedRates(opts.lr) : { lr: scalar(opts.lr), decay: scalar(1 - opts.lr * weightDecay) }),
    };
    for (const b of built.batchInputs) {
      const tensor = b.pick(batch);
      if (!tensor) throw new Error(`ONNX training engine: the graph was built for batches with "${b.input}", this batch has none`);
      feeds[b.input] = new T('float32', tensor.dataSync() as Float32Array, tensor.shape);
    }
    for (const f of built.fed) feeds[f.input] = new T('float32', f.variable.dataSync() as Float32Array, f.variable.shape);
    // every output, always: onnxruntime-node 1.21 returned a wrong finite_probe when `grads` was left
    // out of the fetch list (seen here; the gradients' 7 MB copy costs about a millisecond)
    const out = await session.run(feeds);
    const read = (name: string): Float32Array => {
      const d = out[name]?.data;
      if (!(d instanceof Float32Array)) throw new Error(`ONNX training engine: the graph returned no "${name}"`);
      return d;
    };
    const loss = read('loss')[0];
    if (!graph.checked) {
      // the graph's first step against the traced tfjs step on the same batch and weights
      const lossGap = Math.abs(loss - built.traced.loss) / Math.max(1, Math.abs(built.traced.loss));
      const grads = read('grads');
      const gradGap = relativeGap(grads, built.traced.grads);
      const gradNormGap = normGap(grads, built.traced.grads);
      const bnGap = Math.max(0, ...built.bn.flatMap((u, i) => [relativeGap(read(u.mean), built.traced.bn[2 * i]), relativeGap(read(u.variance), built.traced.bn[2 * i + 1])]));
      this.built[this.built.length - 1].check = { loss: lossGap, grad: gradGap, gradNorm: gradNormGap, bn: bnGap };
      if (!(bnGap <= CHECK.loss)) throw new Error(`ONNX training engine: the compiled step's BatchNorm statistics disagree with TensorFlow.js's (largest difference ${bnGap.toExponential(2)} relative); train on TensorFlow.js`);
      if (!(lossGap <= CHECK.loss && gradGap <= CHECK.grad && gradNormGap <= CHECK.gradNorm)) {
        throw new Error(`ONNX training engine: the compiled step disagrees with TensorFlow.js's (loss ${loss} vs ${built.traced.loss}, gradient difference ${gradNormGap.toExponential(2)} of the gradient's norm, allowed ${CHECK.gradNorm}; largest entry's ${gradGap.toExponential(2)} of the largest, allowed ${CHECK.grad}); train on TensorFlow.js`);
      }
      graph.checked = true;
    }
    const gradsFinite = Number.isFinite(loss) && read('finite_probe')[0] === 0;
    if (gradsFinite) {
      this.state = { params: read('params_out'), m: read('m_out'), v: read('v_out') };
      this.optimizer.t = t;
      this.stale = true;
      const norms = this.model.batchNorms();
      for (const u of built.bn) {
        const norm = norms.get(u.name);
        if (!norm) continue;
        const mean = out[u.mean];
        const variance = out[u.variance];
        tf.tidy(() => norm.commit({ name: u.name, mean: tf.tensor(mean.data as Float32Array, mean.dims as number[]), variance: tf.tensor(variance.data as Float32Array, variance.dims as number[]) }));
      }
    }
    return { loss, mse: read('mse')[0], consistency: read('consistency')[0], gradsFinite };
  }

  async dispose(): Promise<void> {
    this.sync();
    for (const g of this.graphs.values()) await g.session.release();
    this.graphs.clear();
  }
}
