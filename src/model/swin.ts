// Swin Transformer V1 backbone (Liu et al. 2021), as timm's `features_only` swin_tiny_patch4_window7_224:
// patch embedding, four stages of (shifted) window attention, patch merging between stages, and the
// four stage outputs in NHWC without the final norm. Parameter names follow timm's features_only keys.
import { tf } from '../backend/tf.js';
import type { ParamStore } from './params.js';
import { Ctx, DropPath, LayerNorm, Linear, gelu } from './layers.js';

export interface SwinOptions {
  imgSize: number;
  patchSize: number;
  embedDim: number;
  depths: number[];
  numHeads: number[];
  windowSize: number;
  mlpRatio: number;
  dropPathRate: number;
}

/** timm's value */
export const MASKED = -100; // for attention between regions that the cyclic shift brought together
const INIT_STD = 0.02; // timm's trunc_normal_ std for Swin linears and the position-bias table

/** Constants of one window geometry: relative-position one-hot and shift mask (not parameters). */
class WindowConstants {
  readonly posOneHot: tf.Tensor2D; // [N*N, (2w-1)^2]: bias = posOneHot @ table, a matmul, so its gradient is one too
  readonly mask: tf.Tensor | undefined; // [1, 1, nW, N, N] or undefined when the block is not shifted

  constructor(readonly window: number, readonly height: number, readonly width: number, readonly shift: number) {
    const n = window * window;
    const span = 2 * window - 1;
    const oneHot = new Float32Array(n * n * span * span);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const dy = Math.floor(i / window) - Math.floor(j / window) + window - 1;
        const dx = (i % window) - (j % window) + window - 1;
        oneHot[(i * n + j) * span * span + dy * span + dx] = 1;
      }
    }
    this.posOneHot = tf.keep(tf.tensor2d(oneHot, [n * n, span * span]));
    this.mask = shift > 0 ? tf.keep(shiftMask(window, height, width, shift)) : undefined;
  }

  dispose(): void {
    this.posOneHot.dispose();
    this.mask?.dispose();
  }
}

/** Label the nine regions that a cyclic shift creates; attention across labels is masked. */
function shiftMask(w: number, h: number, wd: number, s: number): tf.Tensor {
  const region = (v: number, size: number): number => (v < size - w ? 0 : v < size - s ? 1 : 2);
  const label = new Int32Array(h * wd);
  for (let y = 0; y < h; y++) for (let x = 0; x < wd; x++) label[y * wd + x] = region(y, h) * 3 + region(x, wd);
  const nWy = h / w;
  const nWx = wd / w;
  const n = w * w;
  const mask = new Float32Array(nWy * nWx * n * n);
  for (let wy = 0; wy < nWy; wy++) {
    for (let wx = 0; wx < nWx; wx++) {
      const base = (wy * nWx + wx) * n * n;
      for (let i = 0; i < n; i++) {
        const li = label[(wy * w + Math.floor(i / w)) * wd + wx * w + (i % w)];
        for (let j = 0; j < n; j++) {
          const lj = label[(wy * w + Math.floor(j / w)) * wd + wx * w + (j % w)];
          if (li !== lj) mask[base + i * n + j] = MASKED;
        }
      }
    }
  }
  return tf.tensor(mask, [1, 1, nWy * nWx, n, n]);
}

/** torch.roll over H and W of an NHWC map. */
function roll(x: tf.Tensor4D, shift: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const sy = ((shift % h) + h) % h;
  const sx = ((shift % w) + w) % w;
  let out = x;
  if (sy) out = tf.concat([out.slice([0, h - sy, 0, 0], [-1, sy, -1, -1]), out.slice([0, 0, 0, 0], [-1, h - sy, -1, -1])], 1);
  if (sx) out = tf.concat([out.slice([0, 0, w - sx, 0], [-1, -1, sx, -1]), out.slice([0, 0, 0, 0], [-1, -1, w - sx, -1])], 2);
  return out;
}

class WindowAttention {
  readonly qkv: Linear;
  readonly proj: Linear;
  readonly table: tf.Variable;
  constructor(store: ParamStore, name: string, readonly dim: number, readonly heads: number, window: number) {
    this.table = store.add({ name: `${name}.relative_position_bias_table`, shape: [(2 * window - 1) ** 2, heads], layout: 'plain', trainable: true, init: { kind: 'truncNormal', std: INIT_STD } });
    this.qkv = new Linear(store, `${name}.qkv`, dim, 3 * dim, { std: INIT_STD });
    this.proj = new Linear(store, `${name}.proj`, dim, dim, { std: INIT_STD });
  }

  /** x: [B*nW, N, C] windows; returns the same shape. */
  apply(x: tf.Tensor, k: WindowConstants, batch: number): tf.Tensor {
    const [bw, n, c] = x.shape;
    const h = this.heads;
    const hd = c / h;
    // Heads lead the batch ([heads, B*nW, N, hd]): rank-4 transposes only, which the wasm backend
    // runs about 20x faster than the rank-5 permutation of the textbook layout.
    const x2 = x.reshape([bw * n, c]);
    const weight = this.qkv.weight;
    const bias3 = this.qkv.bias as tf.Variable;
    const part = (i: number): tf.Tensor =>
      tf.fused.matMul({ a: x2, b: weight.slice([0, i * c], [c, c]), bias: bias3.slice([i * c], [c]) }).reshape([bw, n, h, hd]).transpose([2, 0, 1, 3]);
    const q = part(0);
    const kk = part(1);
    const v = part(2);
    let attn = tf.matMul(tf.mul(q, hd ** -0.5), kk, false, true); // [heads, B*nW, N, N]
    const bias = tf.matMul(k.posOneHot, this.table).reshape([n, n, h]).transpose([2, 0, 1]).reshape([h, 1, n, n]);
    attn = tf.add(attn, bias);
    if (k.mask) {
      const nW = (k.height / k.window) * (k.width / k.window);
      attn = tf.add(attn.reshape([h, batch, nW, n, n]), k.mask).reshape([h, bw, n, n]);
    }
    const out = tf.matMul(tf.softmax(attn), v).transpose([1, 2, 0, 3]).reshape([bw, n, c]);
    return this.proj.apply(out);
  }
}

class SwinBlock {
  readonly norm1: LayerNorm;
  readonly attn: WindowAttention;
  readonly norm2: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  /** stochastic depth on the attention and the MLP branch (timm's drop_path1, drop_path2) */
  readonly dropPath1: DropPath;
  readonly dropPath2: DropPath;
  constructor(store: ParamStore, name: string, dim: number, heads: number, window: number, mlpRatio: number, readonly consts: WindowConstants, dropRate: number) {
    this.norm1 = new LayerNorm(store, `${name}.norm1`, dim);
    this.attn = new WindowAttention(store, `${name}.attn`, dim, heads, window);
    this.norm2 = new LayerNorm(store, `${name}.norm2`, dim);
    this.fc1 = new Linear(store, `${name}.mlp.fc1`, dim, dim * mlpRatio, { std: INIT_STD });
    this.fc2 = new Linear(store, `${name}.mlp.fc2`, dim * mlpRatio, dim, { std: INIT_STD });
    this.dropPath1 = new DropPath(store, `${name}.drop_path1`, dropRate);
    this.dropPath2 = new DropPath(store, `${name}.drop_path2`, dropRate);
  }

  apply(x: tf.Tensor4D, ctx: Ctx): tf.Tensor4D {
    // one tidy per block: inference frees the block's intermediates at once (the gradient tape keeps what it needs)
    return tf.tidy(() => this.block(x, ctx));
  }

  private block(x: tf.Tensor4D, ctx: Ctx): tf.Tensor4D {
    const [b, h, w, c] = x.shape;
    const { window: ws, shift } = this.consts;
    let y = this.norm1.apply(x) as tf.Tensor4D;
    if (shift) y = roll(y, -shift);
    // partition into windows: [B, H/ws, ws, W/ws, ws, C] -> [B*nW, ws*ws, C]
    const windows = y.reshape([b, h / ws, ws, w / ws, ws, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([-1, ws * ws, c]);
    const attended = this.attn.apply(windows, this.consts, b);
    y = attended.reshape([b, h / ws, w / ws, ws, ws, c]).transpose([0, 1, 3, 2, 4, 5]).reshape([b, h, w, c]);
    if (shift) y = roll(y, shift);
    const x1 = tf.add(x, this.dropPath1.apply(y, ctx)) as tf.Tensor4D;
    const m = this.fc2.apply(gelu(this.fc1.apply(this.norm2.apply(x1))));
    return tf.add(x1, this.dropPath2.apply(m, ctx)) as tf.Tensor4D;
  }
}

/** 2x2 neighbourhoods to channels in timm's order (x[0::2,0::2], x[1::2,0::2], x[0::2,1::2], x[1::2,1::2]), LN, linear. */
class PatchMerging {
  readonly norm: LayerNorm;
  readonly reduction: Linear;
  constructor(store: ParamStore, name: string, dim: number) {
    this.norm = new LayerNorm(store, `${name}.norm`, 4 * dim);
    this.reduction = new Linear(store, `${name}.reduction`, 4 * dim, 2 * dim, { bias: false, std: INIT_STD });
  }
  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.merge(x));
  }

  private merge(x: tf.Tensor4D): tf.Tensor4D {
    const [b, h, w, c] = x.shape;
    const y = x.reshape([b, h / 2, 2, w / 2, 2, c]).transpose([0, 1, 3, 4, 2, 5]).reshape([b, h / 2, w / 2, 4 * c]);
    return this.reduction.apply(this.norm.apply(y)) as tf.Tensor4D;
  }
}

export class SwinBackbone {
  readonly proj: { weight: tf.Variable; bias: tf.Variable };
  readonly embedNorm: LayerNorm;
  readonly stages: { merge?: PatchMerging; blocks: SwinBlock[] }[] = [];
  private readonly consts: WindowConstants[] = [];

  constructor(store: ParamStore, readonly name: string, readonly o: SwinOptions) {
    const p = o.patchSize;
    const bound = 1 / Math.sqrt(3 * p * p);
    this.proj = {
      weight: store.add({ name: `${name}.patch_embed.proj.weight`, shape: [p, p, 3, o.embedDim], layout: 'conv', trainable: true, init: { kind: 'uniform', bound } }),
      bias: store.add({ name: `${name}.patch_embed.proj.bias`, shape: [o.embedDim], layout: 'plain', trainable: true, init: { kind: 'uniform', bound } }),
    };
    this.embedNorm = new LayerNorm(store, `${name}.patch_embed.norm`, o.embedDim);
    const total = o.depths.reduce((a, b) => a + b, 0);
    let side = o.imgSize / p;
    let blockIndex = 0;
    for (let i = 0; i < o.depths.length; i++) {
      const dim = o.embedDim * 2 ** i;
      const stageName = `${name}.layers_${i}`;
      const merge = i > 0 ? new PatchMerging(store, `${stageName}.downsample`, dim / 2) : undefined;
      if (i > 0) side /= 2;
      // timm: a map no larger than the window is one unshifted window
      const window = Math.min(o.windowSize, side);
      const blocks: SwinBlock[] = [];
      for (let j = 0; j < o.depths[i]; j++) {
        const shift = j % 2 === 1 && side > o.windowSize ? Math.floor(o.windowSize / 2) : 0;
        const k = this.constantsFor(window, side, shift);
        const rate = total > 1 ? (o.dropPathRate * blockIndex) / (total - 1) : 0;
        blocks.push(new SwinBlock(store, `${stageName}.blocks.${j}`, dim, o.numHeads[i], window, o.mlpRatio, k, rate));
        blockIndex++;
      }
      this.stages.push({ merge, blocks });
    }
  }

  private constantsFor(window: number, side: number, shift: number): WindowConstants {
    const found = this.consts.find((k) => k.window === window && k.height === side && k.shift === shift);
    if (found) return found;
    const k = new WindowConstants(window, side, side, shift);
    this.consts.push(k);
    return k;
  }

  /** x: [B, H, W, 3] normalised image; returns the four stage maps, NHWC. */
  apply(x: tf.Tensor4D, ctx: Ctx): tf.Tensor4D[] {
    const p = this.o.patchSize;
    // not tf.fused.conv2d: its gradient also computes the image's, which training never needs
    let y = tf.add(tf.conv2d(x, this.proj.weight as tf.Tensor4D, p, 'valid'), this.proj.bias) as tf.Tensor4D;
    y = this.embedNorm.apply(y) as tf.Tensor4D;
    ctx.taps?.keep(`${this.name}.patch_embed`, y);
    const outs: tf.Tensor4D[] = [];
    for (const stage of this.stages) {
      if (stage.merge) y = stage.merge.apply(y);
      for (const block of stage.blocks) y = block.apply(y, ctx);
      ctx.taps?.keep(`${this.name}.stage${outs.length + 1}`, y);
      outs.push(y);
    }
    return outs;
  }

  dispose(): void {
    for (const k of this.consts) k.dispose();
  }
}
