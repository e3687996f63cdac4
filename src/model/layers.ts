// The small building blocks, each matching its PyTorch counterpart's eval semantics exactly.
import { tf } from '../backend/tf.js';
import type { ParamStore } from './params.js';
import { Rng } from '../util/rng.js';
import type { Taps } from './taps.js';

/** A training batch's BatchNorm statistics, folded into the running ones by the trainer after the step. */
export interface BnUpdate {
  name: string;
  /** batch mean */
  mean: tf.Tensor;
  /** unbiased batch variance (what PyTorch folds into running_var) */
  variance: tf.Tensor;
}

/** What a forward pass needs besides its inputs. */
export interface Ctx {
  training: boolean;
  /** seeds for dropout masks, so a training run is reproducible */
  rng: Rng;
  bnUpdates: BnUpdate[];
  /**
   * Set when the batch is several independent batches stacked on axis 0 ("lanes", e.g. a training
   * batch and its flip run as one): lane i's dropout masks come from lanes[i] and BatchNorm's
   * statistics are per lane, so each lane computes what it would have computed alone.
   */
  lanes?: Rng[];
  /** named intermediate tensors to keep (Dgiqa.forwardIntermediates); absent: none kept */
  taps?: Taps;
}

export function evalCtx(): Ctx {
  return { training: false, rng: new Rng(0), bnUpdates: [] };
}

/** nn.LayerNorm's default epsilon, used by timm's Swin and by Depth-CAR (the ONNX export reads it here) */
export const LN_EPS = 1e-5;
/** nn.BatchNorm2d's default epsilon */
export const BN_EPS = 1e-5;
const BN_MOMENTUM = 0.1; // PyTorch's convention: running = (1 - m) * running + m * batch

export class Linear {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  constructor(store: ParamStore, name: string, readonly inF: number, readonly outF: number, opts: { bias?: boolean; std?: number; bound?: number } = {}) {
    // timm's Swin: trunc_normal(0.02) weights and zero biases; elsewhere PyTorch's uniform(1/sqrt(in)).
    const bound = opts.bound ?? 1 / Math.sqrt(inF);
    this.weight = store.add({ name: `${name}.weight`, shape: [inF, outF], layout: 'linear', trainable: true, init: opts.std ? { kind: 'truncNormal', std: opts.std } : { kind: 'uniform', bound } });
    this.bias = opts.bias === false ? undefined
      : store.add({ name: `${name}.bias`, shape: [outF], layout: 'plain', trainable: true, init: opts.std ? { kind: 'zeros' } : { kind: 'uniform', bound } });
  }
  apply(x: tf.Tensor): tf.Tensor {
    // Works on any rank: the last axis is the feature axis, as in PyTorch.
    const lead = x.shape.slice(0, -1);
    const x2 = x.reshape([-1, this.inF]);
    // one kernel for product and bias (XNNPACK adds the bias as it writes the output)
    const y = this.bias ? tf.fused.matMul({ a: x2, b: this.weight, bias: this.bias }) : tf.matMul(x2, this.weight);
    return y.reshape([...lead, this.outF]);
  }
}

export class LayerNorm {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(store: ParamStore, name: string, dim: number) {
    this.weight = store.add({ name: `${name}.weight`, shape: [dim], layout: 'plain', trainable: true, init: { kind: 'ones' } });
    this.bias = store.add({ name: `${name}.bias`, shape: [dim], layout: 'plain', trainable: true, init: { kind: 'zeros' } });
  }
  apply(x: tf.Tensor): tf.Tensor {
    return layerNorm(x, this.weight, this.bias);
  }
}

/** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * weight + bias. */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  return layerNormOp(x, weight, bias);
}

/**
 * The closed-form backward: ~12 kernels where tfjs's chain through
 * mean, rsqrt and the broadcasts takes ~30, two of them `ones` of x's size filled in JavaScript.
 */
const layerNormOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, weight, bias] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
  const save = args[3] as tf.GradSaveFunc;
  const axis = x.rank - 1;
  // tf.moments' arithmetic, with x - mean computed once (moments computes it for the variance too)
  const [value, normed, rstd] = tf.tidy(() => {
    const centred = tf.sub(x, tf.mean(x, axis, true));
    const r = tf.rsqrt(tf.add(tf.mean(tf.square(centred), axis, true), LN_EPS));
    const n = tf.mul(centred, r);
    return [tf.add(tf.mul(n, weight), bias), n, r];
  });
  save([normed, rstd]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [n, r] = saved;
      const c = n.shape[axis];
      const g = tf.mul(dy, weight);
      // dx = r (g - mean(g) - n mean(g n)): the normalisation's Jacobian applied to g
      const dx = tf.mul(tf.sub(tf.sub(g, tf.mean(g, axis, true)), tf.mul(n, tf.mean(tf.mul(g, n), axis, true))), r);
      const dWeight = tf.sum(tf.reshape(tf.mul(dy, n), [-1, c]), 0);
      const dBias = tf.sum(tf.reshape(dy, [-1, c]), 0);
      return [dx, dWeight, dBias];
    },
  };
});

export class Conv2d {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(
    store: ParamStore, name: string, inC: number, outC: number, readonly kernel: number,
    readonly opts: { stride?: number; dilation?: number; padding?: number } = {},
  ) {
    const bound = 1 / Math.sqrt(inC * kernel * kernel); // PyTorch's default (kaiming_uniform with a = sqrt(5))
    this.weight = store.add({ name: `${name}.weight`, shape: [kernel, kernel, inC, outC], layout: 'conv', trainable: true, init: { kind: 'uniform', bound } });
    this.bias = store.add({ name: `${name}.bias`, shape: [outC], layout: 'plain', trainable: true, init: { kind: 'uniform', bound } });
  }
  /** activation: fused into the convolution at inference (tfjs unfuses it under a gradient itself) */
  apply(x: tf.Tensor4D, activation: 'linear' | 'relu' | 'sigmoid' = 'linear'): tf.Tensor4D {
    const { stride = 1, dilation = 1, padding = 0 } = this.opts;
    const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [padding, padding], [padding, padding], [0, 0]];
    const $pad = padding === 0 ? 'valid' : pad;
    if (dilation === 1) {
      // bias (and activation) in the convolution kernel: one pass over the output fewer
      return tf.fused.conv2d({ x, filter: this.weight as tf.Tensor4D, strides: stride, pad: $pad, bias: this.bias, activation });
    }
    // tfjs-core's fused gradient refuses dilation > 1; the kit's Conv2D gradient handles it
    const y = tf.add(tf.conv2d(x, this.weight as tf.Tensor4D, stride, $pad, 'NHWC', dilation), this.bias) as tf.Tensor4D;
    return activation === 'relu' ? tf.relu(y) : activation === 'sigmoid' ? tf.sigmoid(y) : y;
  }
}

export class BatchNorm2d {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  constructor(store: ParamStore, readonly name: string, dim: number) {
    this.weight = store.add({ name: `${name}.weight`, shape: [dim], layout: 'plain', trainable: true, init: { kind: 'ones' } });
    this.bias = store.add({ name: `${name}.bias`, shape: [dim], layout: 'plain', trainable: true, init: { kind: 'zeros' } });
    this.runningMean = store.add({ name: `${name}.running_mean`, shape: [dim], layout: 'plain', trainable: false, init: { kind: 'zeros' } });
    this.runningVar = store.add({ name: `${name}.running_var`, shape: [dim], layout: 'plain', trainable: false, init: { kind: 'ones' } });
  }
  apply(x: tf.Tensor4D, ctx: Ctx): tf.Tensor4D {
    let mean: tf.Tensor = this.runningMean;
    let variance: tf.Tensor = this.runningVar;
    if (ctx.training && ctx.lanes && ctx.lanes.length > 1) return this.applyLanes(x, ctx, ctx.lanes.length);
    if (ctx.training) {
      const m = tf.moments(x, [0, 1, 2]);
      mean = m.mean;
      variance = m.variance;
      const n = x.size / x.shape[3];
      // The running variance is the unbiased one (PyTorch); normalisation uses the biased batch variance.
      const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
      ctx.bnUpdates.push({ name: this.name, mean: tf.keep(mean), variance: tf.keep(unbiased) });
    }
    return tf.batchNorm(x, mean, variance, this.bias, this.weight, BN_EPS) as tf.Tensor4D;
  }
  /** Training mode on stacked lanes: each lane normalised with its own batch statistics. */
  private applyLanes(x: tf.Tensor4D, ctx: Ctx, lanes: number): tf.Tensor4D {
    const c = x.shape[3];
    const n = x.size / c / lanes;
    const xl = tf.reshape(x, [lanes, n, c]);
    const m = tf.moments(xl, [1], true); // [lanes, 1, C]
    const unbiased = tf.mul(m.variance, n / Math.max(n - 1, 1));
    for (let i = 0; i < lanes; i++) {
      const lane = (t: tf.Tensor): tf.Tensor => tf.keep(tf.reshape(tf.slice(t, [i, 0, 0], [1, 1, c]), [c]));
      ctx.bnUpdates.push({ name: this.name, mean: lane(m.mean), variance: lane(unbiased) });
    }
    // spelled out: tfjs's batchNorm gradient fails for statistics of rank > 1
    const y = tf.add(tf.mul(tf.mul(tf.sub(xl, m.mean), tf.rsqrt(tf.add(m.variance, BN_EPS))), this.weight), this.bias);
    return tf.reshape(y, x.shape);
  }

  /** Fold one training batch's statistics into the running ones; in forward order, as PyTorch does. */
  commit(update: BnUpdate): void {
    tf.tidy(() => {
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - BN_MOMENTUM), tf.mul(update.mean, BN_MOMENTUM)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - BN_MOMENTUM), tf.mul(update.variance, BN_MOMENTUM)));
    });
  }
}

/** Exact GELU (erf form), as nn.GELU() and timm's Swin MLP. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * gelu'(x) = Phi(x) + x phi(x) in one expression, reusing the forward's erf: tfjs's chain through
 * erf's gradient takes about twice the kernels.
 */
const geluOp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const [value, erf1] = tf.tidy(() => {
    const e = tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1); // 1 + erf(x / sqrt 2) = 2 Phi(x)
    return [tf.mul(tf.mul(x, 0.5), e), e];
  });
  save([x, erf1]);
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const [xs, e] = saved;
      // exp(z) = s / (1 - s), s = sigmoid(z), z <= 0: wasm's Exp is scalar libm (~7 ns an element),
      // its Sigmoid XNNPACK's (~1 ns); within 3 float32 ulps of exp(z), 0 where exp(z) underflows
      const s = tf.sigmoid(tf.mul(tf.square(xs), -0.5));
      const xPhi = tf.mul(tf.mul(xs, tf.div(s, tf.sub(1, s))), INV_SQRT_2PI);
      return tf.mul(dy, tf.add(tf.mul(e, 0.5), xPhi));
    },
  };
});

/**
 * Dropout in training only; `channels`: whole channels of an NHWC map (Dropout2d). One seed from
 * ctx.rng a training forward, declared to the store when built (rate 0 draws nothing, declares nothing).
 */
export class Dropout {
  constructor(store: ParamStore, name: string, readonly rate: number, readonly channels = false) {
    if (rate > 0) store.addDraws(name, 1);
  }
  apply(x: tf.Tensor, ctx: Ctx): tf.Tensor {
    // Dropout2d: one mask value per sample and channel, shared across the spatial axes
    const noiseShape = this.channels ? x.shape.map((n, i) => (i === 0 || i === x.rank - 1 ? n : 1)) : undefined;
    return dropout(x, this.rate, ctx, noiseShape);
  }
}

/** Stochastic depth (timm's DropPath): one seed a training forward, declared to the store like Dropout's. */
export class DropPath {
  constructor(store: ParamStore, name: string, readonly rate: number) {
    if (rate > 0) store.addDraws(name, 1);
  }
  apply(x: tf.Tensor, ctx: Ctx): tf.Tensor {
    return dropPath(x, this.rate, ctx);
  }
}

// Module-private: a draw from ctx.rng outside the layers above would go uncounted (Dgiqa.dropoutDraws).
function dropout(x: tf.Tensor, rate: number, ctx: Ctx, noiseShape?: number[]): tf.Tensor {
  if (!ctx.training || rate === 0) return x;
  if (ctx.lanes && ctx.lanes.length > 1) return laneDropout(x, rate, ctx.lanes, noiseShape ?? x.shape);
  return tf.dropout(x, rate, noiseShape, ctx.rng.seed());
}

/** Drop a residual branch for whole samples, rescaling the survivors. */
function dropPath(x: tf.Tensor, rate: number, ctx: Ctx): tf.Tensor {
  if (!ctx.training || rate === 0) return x;
  const shape = [x.shape[0], ...x.shape.slice(1).map(() => 1)];
  if (ctx.lanes && ctx.lanes.length > 1) return laneDropout(x, rate, ctx.lanes, shape);
  return tf.dropout(x, rate, shape, ctx.rng.seed());
}

/** tf.dropout's mask (its arithmetic), one per lane from the lane's own seed, stacked on axis 0. */
function laneDropout(x: tf.Tensor, rate: number, lanes: Rng[], noiseShape: number[]): tf.Tensor {
  const laneShape = [noiseShape[0] / lanes.length, ...noiseShape.slice(1)];
  const keep = 1 - rate;
  const masks = lanes.map((r) => tf.div(tf.floor(tf.add(tf.randomUniform(laneShape, 0, 1, 'float32', r.seed()), keep)), keep));
  return tf.mul(x, tf.concat(masks, 0));
}
