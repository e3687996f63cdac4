// One optimisation step: MSE to the labels plus lambda times the consistency loss (MSE between the
// scores of an image and of its horizontal flip, applied to RGB and depth alike; paper Eq. 6), plus,
// where a config asks for it, an in-batch ranking loss (not in the paper).
import { tf } from '../backend/index.js';
import { DgiqaFr } from '../model/index.js';
import type { Dgiqa } from '../model/index.js';
import type { Ctx } from '../model/index.js';
import { Rng } from '../util/rng.js';
import type { AdamW } from './adamw.js';

export interface StepBatch {
  rgb: tf.Tensor4D;
  depth: tf.Tensor4D | undefined;
  /** [B] labels in [0, 1] */
  labels: tf.Tensor1D;
  /** DGIQA-FR: the reference images, cropped and flipped as `rgb` */
  ref?: { rgb: tf.Tensor4D; depth: tf.Tensor4D | undefined };
}

export interface StepResult {
  loss: number;
  mse: number;
  consistency: number;
  /** false when a gradient held NaN or Infinity: the step was not applied */
  gradsFinite: boolean;
}

/** Most gradient elements gradsAreFinite checks as one flat vector (bounds the temporary copy). */
const FINITE_GROUP_SIZE = 1 << 22;

/** True when every gradient is finite (read asynchronously, as WebGPU in Node requires): x * 0 is 0 for finite x and NaN otherwise, and cannot overflow. */
export async function gradsAreFinite(grads: tf.Tensor[]): Promise<boolean> {
  if (grads.length === 0) return true;
  const total = tf.tidy(() => {
    // gradients concatenated in groups: a few kernels, not two per gradient (hundreds)
    const zero = tf.scalar(0);
    const sums: tf.Tensor[] = [];
    let group: tf.Tensor[] = [];
    let size = 0;
    const flush = (): void => {
      if (group.length === 0) return;
      const flat = group.length === 1 ? tf.reshape(group[0], [-1]) : tf.concat(group.map((g) => tf.reshape(g, [-1])));
      sums.push(tf.sum(tf.mul(flat, zero)));
      group = [];
      size = 0;
    };
    for (const g of grads) {
      if (size > 0 && size + g.size > FINITE_GROUP_SIZE) flush();
      group.push(g);
      size += g.size;
    }
    flush();
    return sums.length === 1 ? sums[0] : tf.addN(sums);
  });
  try {
    return (await total.data())[0] === 0;
  } finally {
    total.dispose();
  }
}

/** Horizontal flip of NHWC maps. */
export function hflip(x: tf.Tensor4D): tf.Tensor4D {
  return tf.reverse(x, 2);
}

/** What one step needs besides its batch: the rate, the loss weights, the seed of its dropout draws. */
export interface StepOptions {
  lr: number;
  /** weight of the consistency loss (paper Eq. 6) */
  lambda: number;
  /** weight of the in-batch ranking loss (rankLoss; 0: the paper's loss) */
  rank: number;
  seed: number;
}

/**
 * In-batch ranking loss: the mean over ordered pairs (i, j) of relu(-(p_i - p_j)(y_i - y_j)), zero for a
 * pair scored in its labels' order and growing with the label gap of a pair scored the wrong way. MSE
 * alone weighs every image on its own; this weighs the order across images, which SROCC scores.
 */
export function rankLoss(scores: tf.Tensor1D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const pairs = (x: tf.Tensor1D): tf.Tensor => tf.sub(tf.reshape(x, [-1, 1]), tf.reshape(x, [1, -1]));
    return tf.mean(tf.relu(tf.neg(tf.mul(pairs(scores), pairs(labels))))) as tf.Scalar;
  });
}

/** The training loss for a batch (scalar tensors), in training mode: Eq. 6, plus `rank` times rankLoss where asked. */
export function lossTerms(model: Dgiqa, batch: StepBatch, lambda: number, ctx: Ctx, rank = 0): { loss: tf.Scalar; mse: tf.Scalar; consistency: tf.Scalar } {
  const t = paperTerms(model, batch, lambda, ctx);
  if (rank === 0) return t;
  return { ...t, loss: tf.add(t.loss, tf.mul(rankLoss(t.scores, batch.labels), rank)) as tf.Scalar };
}

/** The paper's loss (Eq. 6) and the scores it was computed from. */
function paperTerms(model: Dgiqa, batch: StepBatch, lambda: number, ctx: Ctx): { loss: tf.Scalar; mse: tf.Scalar; consistency: tf.Scalar; scores: tf.Tensor1D } {
  if (batch.ref) {
    // DGIQA-FR (appendix C.3): MSE of sigmoid(W (F_ref - F_dist) + b) to the label
    const fr = new DgiqaFr(model).forward(batch.ref, { rgb: batch.rgb, depth: batch.depth }, ctx);
    const mse = tf.losses.meanSquaredError(batch.labels, fr) as tf.Scalar;
    return { loss: mse, mse, consistency: tf.scalar(0), scores: fr };
  }
  if (lambda === 0) {
    const scores = model.forward(batch.rgb, batch.depth, ctx).scores;
    const mse = tf.losses.meanSquaredError(batch.labels, scores) as tf.Scalar;
    return { loss: mse, mse, consistency: tf.scalar(0), scores };
  }
  const [scores, flipped] = withFlipped(model, batch.rgb, batch.depth, ctx);
  const mse = tf.losses.meanSquaredError(batch.labels, scores) as tf.Scalar;
  const consistency = tf.losses.meanSquaredError(scores, flipped) as tf.Scalar;
  return { loss: tf.add(mse, tf.mul(consistency, lambda)) as tf.Scalar, mse, consistency, scores };
}

/**
 * Scores of a batch and of its flip. In training they run as one forward of the two stacked as lanes
 * (half the kernel calls: the demo model's step is dominated by per-kernel costs), with the dropout
 * masks, BatchNorm statistics and updates that two forwards in a row would have had.
 */
function withFlipped(model: Dgiqa, rgb: tf.Tensor4D, depth: tf.Tensor4D | undefined, ctx: Ctx): [tf.Tensor1D, tf.Tensor1D] {
  if (!ctx.training || (ctx.lanes && ctx.lanes.length > 1)) {
    const scores = model.forward(rgb, depth, ctx).scores;
    return [scores, model.forward(hflip(rgb), depth ? hflip(depth) : undefined, ctx).scores];
  }
  const draws = model.dropoutDraws();
  const second = ctx.rng.ahead(draws); // where the flipped forward's draws would have started
  const secondStart = ctx.rng.ahead(draws);
  const end = ctx.rng.ahead(2 * draws);
  const stack = (x: tf.Tensor4D): tf.Tensor4D => tf.concat([x, hflip(x)], 0);
  const both = model.forward(stack(rgb), depth ? stack(depth) : undefined, { ...ctx, lanes: [ctx.rng, second] }).scores;
  if (!ctx.rng.sameState(secondStart) || !second.sameState(end)) {
    throw new Error(`lossTerms: the model drew a different number of dropout seeds than its dropout layers declared (${draws}, Dgiqa.dropoutDraws()): a draw from ctx.rng outside a Dropout or DropPath layer, or a layer applied twice in one forward`);
  }
  for (let i = 0; i < draws; i++) ctx.rng.nextU32(); // leave ctx.rng where two forwards would have
  const b = rgb.shape[0];
  return [tf.slice(both, [0], [b]), tf.slice(both, [b], [b])];
}

/** Compute gradients, update with AdamW at `lr`, commit BatchNorm statistics. Leaks nothing. */
export async function trainStep(model: Dgiqa, optimizer: AdamW, batch: StepBatch, opts: StepOptions): Promise<StepResult> {
  const ctx: Ctx = { training: true, rng: new Rng(opts.seed), bnUpdates: [] };
  const trainable = [...optimizer.params.values()]; // the optimizer's: frozen parameters get no gradient
  let terms: tf.Scalar[] = [];
  const { value, grads } = tf.variableGrads(() => {
    const t = lossTerms(model, batch, opts.lambda, ctx, opts.rank);
    // kept past the gradient's scope and read after it: reads are asynchronous (WebGPU in Node)
    terms = [tf.keep(t.mse), tf.keep(t.consistency)];
    return t.loss;
  }, trainable);
  const [loss, mse, consistency] = (await Promise.all([value, ...terms].map(async (t) => (await t.data())[0]))) as [number, number, number];
  tf.dispose([value, ...terms]);
  // grads are keyed by tf variable name; the optimizer keys by parameter name
  const byParam: Record<string, tf.Tensor> = {};
  for (const [name, v] of model.store.vars) if (grads[v.name]) byParam[name] = grads[v.name];
  const gradsFinite = Number.isFinite(loss) && (await gradsAreFinite(Object.values(byParam)));
  if (gradsFinite) {
    optimizer.step(byParam, opts.lr);
    const norms = model.batchNorms();
    for (const u of ctx.bnUpdates) norms.get(u.name)?.commit(u);
  }
  tf.dispose(Object.values(grads));
  for (const u of ctx.bnUpdates) tf.dispose([u.mean, u.variance]);
  return { loss, mse, consistency, gradsFinite };
}
