// DGIQA (Ramesh, Liu, Wang, Islam; arXiv 2505.24002), top-down as the paper's Fig. 3:
//   RGB -> Swin-T -> 4 stage maps -> TCB each -> resize to 7x7 (the last stage's side) -> concat (fused_rgb, 960 ch)
//   depth -> Swin-T -> 4 stage maps -> TCB each -> resize to 7x7 -> concat (fused_depth)
//   Depth-CAR(query = depth, key/value = RGB) -> refinement self-attention
//   dilated conv stack (d = 2, 4) -> global average pool -> linear -> sigmoid = quality in [0, 1]
// Parameter names are the official state-dict keys, so checkpoints load without renaming.
import { tf } from '../backend/tf.js';
import { DgiqaConfig, fusedChannels, fusedSide, stageSides } from './config.js';
import { ParamStore } from './params.js';
import { BatchNorm2d, Ctx, Linear, evalCtx } from './layers.js';
import { SwinBackbone } from './swin.js';
import { Tcb } from './tcb.js';
import { DepthCar } from './depthCar.js';
import { DilatedStack } from './dilation.js';
import { Taps } from './taps.js';

/** Intermediate maps (NHWC), for parity checks, Grad-CAM and t-SNE. */
export interface DgiqaFeatures {
  rgbStages: tf.Tensor4D[];
  fusedRgb: tf.Tensor4D;
  fusedDepth: tf.Tensor4D | undefined;
  /** output of the dilated stack */
  refined: tf.Tensor4D;
  /** globally pooled `refined`, [B, dilationChannels] */
  pooled: tf.Tensor2D;
}

export interface DgiqaOutput {
  /** [B] in [0, 1], 1 best */
  scores: tf.Tensor1D;
  features: DgiqaFeatures;
}

/** Resize every map to side x side (bilinear, align_corners false) and concatenate channels. */
function fuse(maps: tf.Tensor4D[], side: number): tf.Tensor4D {
  const h = side;
  const w = side;
  const resized = maps.map((m) => (m.shape[1] === h && m.shape[2] === w ? m : tf.image.resizeBilinear(m, [h, w], false, true)));
  return tf.concat(resized, 3);
}

/**
 * The shape of every tap a config's forward produces at a batch size, in forward order: what the
 * config says the model computes (the tests hold the model to it; the architecture table lists it).
 */
export function tapShapes(c: DgiqaConfig, batch: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const sides = stageSides(c);
  const width = (i: number): number => c.embedDim * 2 ** i;
  const side = fusedSide(c);
  const fused = fusedChannels(c);
  const l = side * side;
  const branch = (backbone: string, tcb: string, fusedName: string): void => {
    out.set(`${backbone}.patch_embed`, [batch, sides[0]!, sides[0]!, c.embedDim]);
    sides.forEach((s, i) => out.set(`${backbone}.stage${i + 1}`, [batch, s, s, width(i)]));
    if (c.tcb) {
      sides.forEach((s, i) => {
        out.set(`tcb${i + 1}${tcb}.gate`, [batch, s, s, c.tcbOut[i]!]);
        out.set(`tcb${i + 1}${tcb}`, [batch, s, s, c.tcbOut[i]!]);
      });
    }
    out.set(fusedName, [batch, side, side, fused]);
  };
  branch('backbone', '', 'fused_rgb');
  if (c.useDepth) branch('depth_backbone', '_depth', 'fused_depth');
  if (c.depthCar) {
    for (const block of ['cross', 'refine']) {
      out.set(`depth_car.${block}.attention`, [batch, c.attnHeads, l, l]);
      out.set(`depth_car.${block}`, [batch, l, fused]);
    }
  }
  out.set('merged', [batch, side, side, c.depthCar || !c.useDepth ? fused : 2 * fused]);
  out.set('dilated_stack.conv1', [batch, side, side, c.dilationChannels]);
  out.set('dilated_stack', [batch, side, side, c.dilationChannels]);
  out.set('pooled', [batch, c.dilationChannels]);
  out.set('score', [batch]);
  return out;
}

export class Dgiqa {
  readonly store: ParamStore;
  readonly backbone: SwinBackbone;
  readonly depthBackbone: SwinBackbone | undefined;
  readonly tcbs: Tcb[] = [];
  readonly tcbsDepth: Tcb[] = [];
  readonly depthCar: DepthCar | undefined;
  readonly dilatedStack: DilatedStack;
  readonly fc: Linear;

  /** seed: random initialisation (timm / PyTorch schemes); undefined: zeros, for weights loaded next. */
  constructor(readonly config: DgiqaConfig, seed?: number) {
    const c = config;
    const store = (this.store = new ParamStore(seed));
    const swin = { ...c };
    this.backbone = new SwinBackbone(store, 'backbone', swin);
    this.depthBackbone = c.useDepth ? new SwinBackbone(store, 'depth_backbone', swin) : undefined;
    if (c.tcb) {
      for (let i = 0; i < 4; i++) this.tcbs.push(new Tcb(store, `tcb${i + 1}`, c.embedDim * 2 ** i, c.tcbOut[i], c.seReduction, c.tcbDropout));
      if (c.useDepth) for (let i = 0; i < 4; i++) this.tcbsDepth.push(new Tcb(store, `tcb${i + 1}_depth`, c.embedDim * 2 ** i, c.tcbOut[i], c.seReduction, c.tcbDropout));
    }
    const fused = fusedChannels(c);
    this.depthCar = c.depthCar ? new DepthCar(store, fused, c.attnHeads, c.dropout) : undefined;
    // Without Depth-CAR the two modalities are concatenated (the kit's reading of the ablation).
    const stackIn = c.depthCar || !c.useDepth ? fused : 2 * fused;
    this.dilatedStack = new DilatedStack(store, stackIn, c.dilationChannels, c.dilation ? c.dilations : [1, 1]);
    this.fc = new Linear(store, 'fc', c.dilationChannels, 1);
  }

  /** Everything before the head: the dilated-stack features. rgb, depth: [B, S, S, 3] normalised NHWC. */
  features(rgb: tf.Tensor4D, depth: tf.Tensor4D | undefined, ctx: Ctx = evalCtx()): DgiqaFeatures {
    const c = this.config;
    if (rgb.rank !== 4 || rgb.shape[1] !== c.imgSize || rgb.shape[2] !== c.imgSize || rgb.shape[3] !== 3) {
      throw new Error(`model input must be [B, ${c.imgSize}, ${c.imgSize}, 3] NHWC, got [${rgb.shape.join(', ')}]`);
    }
    const bridge = (maps: tf.Tensor4D[], tcbs: Tcb[], tap: string): tf.Tensor4D => {
      const fused = fuse(c.tcb ? maps.map((m, i) => tcbs[i].apply(m, ctx)) : maps, fusedSide(c));
      ctx.taps?.keep(tap, fused);
      return fused;
    };
    const rgbStages = this.backbone.apply(rgb, ctx);
    const fusedRgb = bridge(rgbStages, this.tcbs, 'fused_rgb');
    let fusedDepth: tf.Tensor4D | undefined;
    let merged = fusedRgb;
    if (this.depthBackbone) {
      if (!depth || depth.shape.join() !== rgb.shape.join()) throw new Error(`depth input must have the RGB input's shape [${rgb.shape.join(', ')}], got ${depth ? `[${depth.shape.join(', ')}]` : 'none'}`);
      fusedDepth = bridge(this.depthBackbone.apply(depth, ctx), this.tcbsDepth, 'fused_depth');
      merged = this.depthCar ? this.depthCar.apply(fusedDepth, fusedRgb, ctx) : tf.concat([fusedRgb, fusedDepth], 3);
    }
    ctx.taps?.keep('merged', merged);
    const refined = this.dilatedStack.apply(merged, ctx);
    const pooled = tf.mean(refined, [1, 2]) as tf.Tensor2D;
    ctx.taps?.keep('pooled', pooled);
    return { rgbStages, fusedRgb, fusedDepth, refined, pooled };
  }

  /** Quality scores in [0, 1] and the intermediate maps. */
  forward(rgb: tf.Tensor4D, depth: tf.Tensor4D | undefined, ctx: Ctx = evalCtx()): DgiqaOutput {
    const features = this.features(rgb, depth, ctx);
    const scores = tf.sigmoid(this.fc.apply(features.pooled)).reshape([-1]) as tf.Tensor1D;
    ctx.taps?.keep('score', scores);
    return { scores, features };
  }

  /**
   * The forward with named tap points kept (timm's forward_intermediates; names in ./taps.ts): the same
   * code as `forward`, so the scores are the same. only: the names to keep (default all); a name the
   * forward never reaches throws. The caller disposes `scores` and every tap.
   */
  forwardIntermediates(rgb: tf.Tensor4D, depth: tf.Tensor4D | undefined, opts: { only?: readonly string[]; ctx?: Ctx } = {}): { scores: tf.Tensor1D; taps: Map<string, tf.Tensor> } {
    const taps = new Taps(opts.only);
    const ctx = { ...(opts.ctx ?? evalCtx()), taps };
    let scores: tf.Tensor1D | undefined;
    try {
      scores = tf.tidy(() => this.forward(rgb, depth, ctx).scores);
      taps.check();
      return { scores, taps: taps.tensors };
    } catch (err) {
      tf.dispose([...taps.tensors.values(), ...(scores ? [scores] : [])]);
      throw err;
    }
  }

  /** Scores only, inside tf.tidy: what inference calls. */
  predict(rgb: tf.Tensor4D, depth: tf.Tensor4D | undefined): tf.Tensor1D {
    return tf.tidy(() => this.forward(rgb, depth).scores);
  }

  /**
   * How many dropout seeds one training forward draws from ctx.rng, as the dropout layers declared
   * them when built (ParamStore.draws). Stacked lanes start the second lane this far ahead.
   */
  dropoutDraws(): number {
    return this.store.drawsPerForward();
  }

  /** BatchNorm layers, by name, for committing training-time running-statistic updates. */
  batchNorms(): Map<string, BatchNorm2d> {
    const all = [...this.tcbs, ...this.tcbsDepth].map((t) => t.norm).concat([this.dilatedStack.bn1, this.dilatedStack.bn2]);
    return new Map(all.map((bn) => [bn.name, bn]));
  }

  numParams(prefix = ''): number {
    return this.store.count(prefix);
  }

  dispose(): void {
    this.backbone.dispose();
    this.depthBackbone?.dispose();
    this.store.dispose();
  }
}

/**
 * DGIQA-FR (appendix C.3): the same trunk on the reference and the distorted image;
 * score = sigmoid(W (F_ref - F_dist) + b) over the pooled dilated-stack features (the head's `fc`).
 */
export class DgiqaFr {
  constructor(readonly model: Dgiqa) {}
  forward(ref: { rgb: tf.Tensor4D; depth?: tf.Tensor4D | undefined }, dist: { rgb: tf.Tensor4D; depth?: tf.Tensor4D | undefined }, ctx: Ctx = evalCtx()): tf.Tensor1D {
    const fRef = this.model.features(ref.rgb, ref.depth, ctx).pooled;
    const fDist = this.model.features(dist.rgb, dist.depth, ctx).pooled;
    return tf.sigmoid(this.model.fc.apply(tf.sub(fRef, fDist))).reshape([-1]) as tf.Tensor1D;
  }
}
