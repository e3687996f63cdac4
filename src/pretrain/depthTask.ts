// The pretext task: the quality model's Swin backbone (same class, same parameter names) and a small
// head that predicts standardised log depth on the stage-3 grid from a clean RGB crop.
//
//   rgb [B, S, S, 3] -> SwinBackbone -> stage 3 [B, S/16, S/16, 4C]  -> LN, Linear(4C, 1) ---+-- + cell bias --> [B, g*g]
//                                     \ stage 4 [B, S/32, S/32, 8C] -> LN, Linear(8C, 1), 2x up /
//
// Stage 4 joins (upsampled, nearest) so that every stage of the backbone gets a gradient: the quality
// model reads all four. The cell bias (one learned value per grid cell) holds the layout every scene
// shares (farther towards the top), which a Swin without absolute position embedding cannot output
// from content alone; the backbone then learns what differs between scenes. The head is thrown away
// after the pretraining; only `backbone.*` is exported.
import { tf } from '../backend/index.js';
import { ParamStore, evalCtx } from '../model/index.js';
import type { Ctx, DgiqaConfig } from '../model/index.js';
import { LayerNorm, Linear } from '../model/layers.js';
import { SwinBackbone } from '../model/swin.js';
import { gradsAreFinite } from '../train/step.js';
import type { AdamW } from '../train/index.js';
import { Rng } from '../util/rng.js';
import { pearson, type PretrainBatch } from './scenes.js';

/** Name prefix of the backbone: the quality model's RGB backbone's, so the names carry over as they are. */
export const BACKBONE_PREFIX = 'backbone';

/** Side of the stage-3 map, the target grid (8 for the demo's 128 px crops). */
export function targetGrid(c: DgiqaConfig): number {
  return c.imgSize / c.patchSize / 4;
}

class DepthHead {
  readonly norm3: LayerNorm;
  readonly proj3: Linear;
  readonly norm4: LayerNorm;
  readonly proj4: Linear;
  readonly cellBias: tf.Variable;
  constructor(store: ParamStore, name: string, c: DgiqaConfig, readonly channels: number) {
    const c3 = c.embedDim * 4;
    const c4 = c.embedDim * 8;
    // the Swin stage maps carry no final norm (timm's features_only): the head normalises its own input
    this.norm3 = new LayerNorm(store, `${name}.norm3`, c3);
    // zeros: the head starts at its cell bias (the image-blind layout, set by the run), not at noise
    this.proj3 = new Linear(store, `${name}.proj3`, c3, channels, { bound: 0 });
    this.norm4 = new LayerNorm(store, `${name}.norm4`, c4);
    this.proj4 = new Linear(store, `${name}.proj4`, c4, channels, { bound: 0 });
    const g = targetGrid(c);
    this.cellBias = store.add({ name: `${name}.cell_bias`, shape: [g * g * channels], layout: 'plain', trainable: true, init: { kind: 'zeros' } });
  }

  /** stage maps -> [B, g*g*K] cell predictions (cell-major, K channels per cell), g the stage-3 side. */
  apply(s3: tf.Tensor4D, s4: tf.Tensor4D): tf.Tensor2D {
    const [b, g] = s3.shape;
    const h = s4.shape[1];
    const k = this.channels;
    const p3 = this.proj3.apply(this.norm3.apply(s3)).reshape([b, g, g, k]);
    // nearest 2x upsampling as a broadcast: [B, h, 1, h, 1, K] + zeros [1, 1, 2, 1, 2, 1] (its gradient is a sum)
    const p4 = this.proj4.apply(this.norm4.apply(s4)).reshape([b, h, 1, h, 1, k]);
    const up = tf.add(p4, tf.zeros([1, 1, g / h, 1, g / h, 1])).reshape([b, g, g, k]);
    return tf.add(tf.add(p3, up).reshape([b, g * g * k]), this.cellBias) as tf.Tensor2D;
  }
}

export class DepthPretrainModel {
  readonly store: ParamStore;
  readonly backbone: SwinBackbone;
  readonly head: DepthHead;
  readonly grid: number;

  /** `channels`: target channels per cell (1: the depth pretext; more: depth and appearance) */
  constructor(readonly config: DgiqaConfig, seed: number, readonly channels = 1) {
    if (config.depths.length !== 4) throw new Error('pretrain: the depth head reads stages 3 and 4: the backbone needs four stages');
    this.store = new ParamStore(seed);
    this.backbone = new SwinBackbone(this.store, BACKBONE_PREFIX, { ...config });
    this.head = new DepthHead(this.store, 'head', config, channels);
    this.grid = targetGrid(config);
  }

  /** rgb [B, S, S, 3] normalised -> [B, g*g*K] standardised target predictions. */
  predict(rgb: tf.Tensor4D, ctx: Ctx): tf.Tensor2D {
    const stages = this.backbone.apply(rgb, ctx);
    return this.head.apply(stages[2] as tf.Tensor4D, stages[3] as tf.Tensor4D);
  }

  dispose(): void {
    this.backbone.dispose();
    this.store.dispose();
  }
}

function batchTensors(batch: PretrainBatch): { rgb: tf.Tensor4D; target: tf.Tensor2D } {
  return {
    rgb: tf.tensor4d(batch.rgb, [batch.count, batch.cropSize, batch.cropSize, 3]),
    target: tf.tensor2d(batch.target, [batch.count, batch.grid * batch.grid * batch.channels]),
  };
}

export interface PretrainStepResult {
  loss: number;
  /** false when the loss or a gradient was not finite: the update was skipped */
  applied: boolean;
}

/** One AdamW step on the MSE between predicted and true cell depths. Leaks nothing. */
export async function pretrainStep(model: DepthPretrainModel, optimizer: AdamW, batch: PretrainBatch, opts: { lr: number; seed: number }): Promise<PretrainStepResult> {
  const ctx: Ctx = { training: true, rng: new Rng(opts.seed), bnUpdates: [] };
  const { rgb, target } = batchTensors(batch);
  try {
    const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(target, model.predict(rgb, ctx)) as tf.Scalar, model.store.trainable());
    const loss = (await value.data())[0] as number;
    value.dispose();
    // grads are keyed by tf variable name; the optimizer keys by parameter name
    const byParam: Record<string, tf.Tensor> = {};
    for (const [name, v] of model.store.vars) {
      const g = grads[v.name];
      if (g) byParam[name] = g;
    }
    const applied = Number.isFinite(loss) && (await gradsAreFinite(Object.values(byParam)));
    if (applied) optimizer.step(byParam, opts.lr);
    tf.dispose(Object.values(grads));
    return { loss, applied };
  } finally {
    tf.dispose([rgb, target]);
  }
}

export interface HeldOutScore {
  /** MSE over all held-out cells */
  loss: number;
  /** mean over held-out crops of the Pearson correlation between predicted and true cell depths (channel 0) */
  pearson: number;
  /** the same correlation for every channel (one value: the depth pretext) */
  channels: number[];
}

/** MSE and mean per-image correlation over batches, given each batch's predictions [count * g * g]. */
function scoreCells(batches: readonly PretrainBatch[], predict: (batch: PretrainBatch) => Float32Array): HeldOutScore {
  let squared = 0;
  let values = 0;
  let images = 0;
  const k = batches[0]?.channels ?? 1;
  const correlation = new Float64Array(k);
  for (const batch of batches) {
    const pred = predict(batch);
    const cells = batch.grid * batch.grid;
    const n = cells * k;
    const p = new Float32Array(cells);
    const t = new Float32Array(cells);
    for (let b = 0; b < batch.count; b++) {
      for (let i = 0; i < n; i++) squared += ((pred[b * n + i] as number) - (batch.target[b * n + i] as number)) ** 2;
      for (let ch = 0; ch < k; ch++) {
        for (let q = 0; q < cells; q++) {
          p[q] = pred[b * n + q * k + ch] as number;
          t[q] = batch.target[b * n + q * k + ch] as number;
        }
        correlation[ch] += pearson(p, t);
      }
    }
    values += batch.count * n;
    images += batch.count;
  }
  const channels = Array.from(correlation, (c) => (images ? c / images : NaN));
  return { loss: values ? squared / values : NaN, pearson: channels[0] as number, channels };
}

/** Loss and per-image correlation of the model on held-out batches (inference mode). Leaks nothing. */
export function evaluateDepth(model: DepthPretrainModel, batches: readonly PretrainBatch[]): HeldOutScore {
  return scoreCells(batches, (batch) => tf.tidy(() => {
    const rgb = tf.tensor4d(batch.rgb, [batch.count, batch.cropSize, batch.cropSize, 3]);
    return model.predict(rgb, evalCtx()).dataSync() as Float32Array;
  }));
}

/** The mean target of each cell over `batches`: the layout all scenes share, an image-blind prediction. */
export function cellPrior(batches: readonly PretrainBatch[]): Float32Array {
  const first = batches[0];
  if (!first) throw new Error('pretrain: no batch to average');
  const n = first.grid * first.grid * first.channels;
  const sum = new Float64Array(n);
  let count = 0;
  for (const batch of batches) {
    for (let i = 0; i < batch.count * n; i++) sum[i % n] += batch.target[i] as number;
    count += batch.count;
  }
  return Float32Array.from(sum, (v) => v / count);
}

/** The score of predicting `prior` for every image: the baseline the model must beat to have seen anything. */
export function evaluatePrior(prior: Float32Array, batches: readonly PretrainBatch[]): HeldOutScore {
  return scoreCells(batches, (batch) => {
    const out = new Float32Array(batch.count * prior.length);
    for (let b = 0; b < batch.count; b++) out.set(prior, b * prior.length);
    return out;
  });
}
