// What one image costs the model, counted from the config alone, so that a measured speed can be
// set against what the hardware allows: FLOPs (2 per multiply-add of every matmul and convolution;
// norms, softmax and GELU are a few percent and left out, as fvcore and timm's counts do) and bytes
// moved (float32 activations read and written once per operation of an unfused execution, plus the
// weights read once per batch). Training: the backward pass is about twice the forward, and the
// consistency loss runs forward and backward on the flipped batch too; AdamW reads and writes its
// state once per step. The layers are walked in the order of dgiqa.ts; the learnable parameter
// count that falls out is checked against the model's own (test/cost.test.ts).
import type { DgiqaConfig } from './config.js';
import { fusedChannels, fusedSide } from './config.js';

const FLOAT_BYTES = 4;
const FLOPS_PER_MAC = 2;
/** backward ~ 2x forward (gradients of the inputs and of the weights) */
const TRAIN_PASS_FACTOR = 3;
/** the consistency loss: a second forward and backward on the flipped batch */
const TRAIN_PASSES = 2;
/** AdamW per parameter and step: reads p, g, m, v; writes p, m, v */
const ADAMW_TENSOR_PASSES = 7;

export interface StepCost {
  /** floating-point operations per image */
  flops: number;
  /** bytes moved per image */
  bytes: number;
}

export interface ModelCost {
  /** learnable parameters (102,878,829 for `paper`) */
  params: number;
  forward: StepCost;
  /** a training step: forward and backward of the batch and of its flip, AdamW */
  train: StepCost;
  /** forward FLOPs per image by part of the figure: swin, tcb, depthCar, dilated, head */
  parts: Record<string, number>;
}

/** Running totals of one part: multiply-adds, activation elements moved, parameters. */
class Tally {
  macs = 0;
  elements = 0;
  params = 0;
  /** a layer [rows, inner] x weights [inner, cols] (+ bias): reads the input, writes the output */
  linear(rows: number, inner: number, cols: number, bias = true): void {
    this.macs += rows * inner * cols;
    this.elements += rows * inner + rows * cols;
    this.params += inner * cols + (bias ? cols : 0);
  }
  /** a 3x3 (dilated) convolution over `px` pixels, counted at every tap as PyTorch's zero padding does */
  conv3x3(px: number, inC: number, outC: number): void {
    this.macs += px * 9 * inC * outC;
    this.elements += px * inC + px * outC;
    this.params += 9 * inC * outC + outC;
  }
  /** a product of two activations (attention): `macs`, both operands read, the result written */
  product(macs: number, left: number, right: number, out: number): void {
    this.macs += macs;
    this.elements += left + right + out;
  }
  /** an elementwise or normalising pass over `n` elements (`reads` inputs of that size) */
  pass(n: number, reads = 1): void {
    this.elements += n * (reads + 1);
  }
  learn(n: number): void {
    this.params += n;
  }
}

function swinCost(c: DgiqaConfig, t: Tally): void {
  const p = c.patchSize;
  let side = c.imgSize / p;
  t.linear(side * side, p * p * 3, c.embedDim); // patch embedding (a stride-p conv)
  t.pass(side * side * c.embedDim);
  t.learn(2 * c.embedDim);
  for (let i = 0; i < 4; i++) {
    const dim = c.embedDim * 2 ** i;
    if (i > 0) {
      side /= 2;
      const tokens = side * side;
      t.pass(tokens * 2 * dim); // 2x2 gather
      t.pass(tokens * 2 * dim); // LayerNorm
      t.learn(2 * 2 * dim);
      t.linear(tokens, 2 * dim, dim, false);
    }
    const tokens = side * side;
    const window = Math.min(c.windowSize, side);
    const n = window * window;
    const heads = c.numHeads[i];
    const hidden = dim * c.mlpRatio;
    for (let j = 0; j < c.depths[i]; j++) {
      t.pass(tokens * dim); // norm1
      t.learn(2 * dim + (2 * window - 1) ** 2 * heads);
      t.pass(2 * tokens * dim); // window partition and reverse (and the shift)
      t.linear(tokens, dim, 3 * dim);
      const scores = tokens * heads * n;
      t.product(tokens * dim * n, tokens * dim, tokens * dim, scores); // q k^T per window and head
      t.pass(scores, 2); // bias and mask, softmax
      t.product(tokens * dim * n, scores, tokens * dim, tokens * dim); // attention x v
      t.linear(tokens, dim, dim);
      t.pass(tokens * dim, 2); // residual
      t.pass(tokens * dim); // norm2
      t.learn(2 * dim);
      t.linear(tokens, dim, hidden);
      t.pass(tokens * hidden); // GELU
      t.linear(tokens, hidden, dim);
      t.pass(tokens * dim, 2); // residual
    }
  }
}

function tcbCost(c: DgiqaConfig, t: Tally): void {
  let side = c.imgSize / c.patchSize;
  for (let i = 0; i < 4; i++) {
    if (i > 0) side /= 2;
    const px = side * side;
    const out = c.tcbOut[i];
    const squeezed = out / c.seReduction;
    t.linear(px, c.embedDim * 2 ** i, out);
    t.linear(px, out, squeezed);
    t.linear(px, squeezed, out);
    t.pass(px * out, 2); // gate
    t.conv3x3(px, out, out);
    t.pass(px * out); // BatchNorm, ReLU
    t.learn(2 * out);
  }
}

function attentionBlockCost(positions: number, dim: number, heads: number, t: Tally): void {
  t.linear(positions, dim, 3 * dim); // packed q, k, v projection
  const scores = heads * positions * positions;
  t.product(positions * dim * positions, positions * dim, positions * dim, scores);
  t.pass(scores); // softmax
  t.product(positions * dim * positions, scores, positions * dim, positions * dim);
  t.linear(positions, dim, dim); // out_proj
  t.pass(positions * dim, 2); // residual, then norm1
  t.linear(positions, dim, 4 * dim);
  t.pass(positions * 4 * dim); // GELU
  t.linear(positions, 4 * dim, dim);
  t.pass(positions * dim, 2); // residual, then norm2
  t.learn(4 * dim);
}

/** The analytic cost of a config; `batch` spreads the weight and optimizer traffic over the images. */
export function modelCost(c: DgiqaConfig, batch = 1): ModelCost {
  const modalities = c.useDepth ? 2 : 1;
  const parts: Record<string, Tally> = { swin: new Tally(), tcb: new Tally(), depthCar: new Tally(), dilated: new Tally(), head: new Tally() };
  for (let m = 0; m < modalities; m++) {
    swinCost(c, parts.swin);
    if (c.tcb) tcbCost(c, parts.tcb);
  }
  const side = fusedSide(c); // every map is resized to it
  const positions = side * side;
  const fused = fusedChannels(c);
  if (c.depthCar) for (let k = 0; k < 2; k++) attentionBlockCost(positions, fused, c.attnHeads, parts.depthCar);
  const stackIn = c.depthCar || !c.useDepth ? fused : 2 * fused;
  const width = c.dilationChannels;
  parts.dilated.conv3x3(positions, stackIn, width);
  parts.dilated.pass(positions * width);
  parts.dilated.conv3x3(positions, width, width);
  parts.dilated.pass(positions * width);
  parts.dilated.learn(4 * width); // two BatchNorms
  parts.head.pass(positions * width); // global average pool
  parts.head.linear(1, width, 1);

  const all = Object.values(parts);
  const params = all.reduce((a, t) => a + t.params, 0);
  const macs = all.reduce((a, t) => a + t.macs, 0);
  const elements = all.reduce((a, t) => a + t.elements, 0);
  const weightBytes = (params * FLOAT_BYTES) / batch;
  const forward = { flops: FLOPS_PER_MAC * macs, bytes: elements * FLOAT_BYTES + weightBytes };
  const train = {
    flops: TRAIN_PASSES * TRAIN_PASS_FACTOR * forward.flops,
    bytes: TRAIN_PASSES * TRAIN_PASS_FACTOR * (elements * FLOAT_BYTES + weightBytes) + (ADAMW_TENSOR_PASSES * params * FLOAT_BYTES) / batch,
  };
  const byPart = Object.fromEntries(Object.entries(parts).map(([k, t]) => [k, FLOPS_PER_MAC * t.macs]));
  return { params, forward, train, parts: byPart };
}
