// Depth-CAR (paper Sec. 3.3): depth-guided cross-attention (queries from the depth map, keys and
// values from the RGB map), then the same post-norm block as self-attention (the refinement).
// Matches nn.MultiheadAttention with a packed in_proj (q, k, v) over the H*W grid positions.
import { tf } from '../backend/tf.js';
import type { ParamStore } from './params.js';
import { Ctx, Dropout, LayerNorm, Linear, gelu } from './layers.js';

class MultiheadAttention {
  readonly inProj: tf.Variable; // [C, 3C]: columns q | k | v
  readonly inBias: tf.Variable;
  readonly out: Linear;
  /** on the attention weights, as nn.MultiheadAttention's dropout */
  readonly dropout: Dropout;
  constructor(store: ParamStore, name: string, readonly dim: number, readonly heads: number, dropRate: number) {
    const xavier = Math.sqrt(6 / (dim + 3 * dim)); // PyTorch initialises in_proj_weight with xavier_uniform
    this.inProj = store.add({ name: `${name}.in_proj_weight`, shape: [dim, 3 * dim], layout: 'linear', trainable: true, init: { kind: 'uniform', bound: xavier } });
    this.inBias = store.add({ name: `${name}.in_proj_bias`, shape: [3 * dim], layout: 'plain', trainable: true, init: { kind: 'zeros' } });
    this.out = new Linear(store, `${name}.out_proj`, dim, dim);
    this.dropout = new Dropout(store, `${name}.dropout`, dropRate);
  }

  private project(x: tf.Tensor3D, part: number): tf.Tensor {
    const [b, l, c] = x.shape;
    const w = this.inProj.slice([0, part * c], [c, c]);
    const bias = this.inBias.slice([part * c], [c]);
    const hd = c / this.heads;
    return tf.fused.matMul({ a: x.reshape([b * l, c]), b: w, bias }).reshape([b, l, this.heads, hd]).transpose([0, 2, 1, 3]);
  }

  /** query [B, L, C], keyValue [B, L, C] -> [B, L, C]; tap: where the weights [B, heads, L, L] go in ctx.taps */
  apply(query: tf.Tensor3D, keyValue: tf.Tensor3D, ctx: Ctx, tap = ''): tf.Tensor3D {
    const [b, l, c] = query.shape;
    const hd = c / this.heads;
    const q = this.project(query, 0);
    const k = this.project(keyValue, 1);
    const v = this.project(keyValue, 2);
    let weights = tf.softmax(tf.matMul(tf.mul(q, hd ** -0.5), k, false, true));
    if (tap) ctx.taps?.keep(tap, weights);
    weights = this.dropout.apply(weights, ctx);
    const heads = tf.matMul(weights, v).transpose([0, 2, 1, 3]).reshape([b, l, c]);
    return this.out.apply(heads) as tf.Tensor3D;
  }
}

/** One post-norm attention block: x = LN(q + drop(attn)); x = LN(x + drop(MLP(x))), MLP = out(GELU(in(x))). */
class AttentionBlock {
  readonly attn: MultiheadAttention;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  /** the MLP's expansion to 4 dim (checkpoint key `fc.0`, an nn.Sequential index) */
  readonly mlpIn: Linear;
  /** the MLP's projection back to dim (checkpoint key `fc.2`) */
  readonly mlpOut: Linear;
  readonly attnDropout: Dropout;
  readonly mlpDropout: Dropout;
  /** tap: this block's name in ctx.taps (its output; its attention weights as `${tap}.attention`) */
  constructor(store: ParamStore, name: string, names: { attn: string; norm1: string; norm2: string; fc: string }, dim: number, heads: number, dropRate: number, readonly tap: string) {
    this.attn = new MultiheadAttention(store, `${name}.${names.attn}`, dim, heads, dropRate);
    this.norm1 = new LayerNorm(store, `${name}.${names.norm1}`, dim);
    this.norm2 = new LayerNorm(store, `${name}.${names.norm2}`, dim);
    this.mlpIn = new Linear(store, `${name}.${names.fc}.0`, dim, 4 * dim);
    this.mlpOut = new Linear(store, `${name}.${names.fc}.2`, 4 * dim, dim);
    // draws in forward order: attention weights (inside attn), attention output, MLP output
    this.attnDropout = new Dropout(store, `${name}.dropout_attn`, dropRate);
    this.mlpDropout = new Dropout(store, `${name}.dropout_mlp`, dropRate);
  }
  apply(query: tf.Tensor3D, keyValue: tf.Tensor3D, ctx: Ctx): tf.Tensor3D {
    return tf.tidy(() => this.block(query, keyValue, ctx));
  }

  private block(query: tf.Tensor3D, keyValue: tf.Tensor3D, ctx: Ctx): tf.Tensor3D {
    const x = this.norm1.apply(tf.add(query, this.attnDropout.apply(this.attn.apply(query, keyValue, ctx, `${this.tap}.attention`), ctx)));
    const f = this.mlpOut.apply(gelu(this.mlpIn.apply(x)));
    const y = this.norm2.apply(tf.add(x, this.mlpDropout.apply(f, ctx))) as tf.Tensor3D;
    ctx.taps?.keep(this.tap, y);
    return y;
  }
}

export class DepthCar {
  readonly cross: AttentionBlock;
  readonly refine: AttentionBlock;
  constructor(store: ParamStore, dim: number, heads: number, dropRate: number) {
    this.cross = new AttentionBlock(store, 'depth_guided_cross_attention', { attn: 'multihead_attn', norm1: 'norm1', norm2: 'norm2', fc: 'fc' }, dim, heads, dropRate, 'depth_car.cross');
    this.refine = new AttentionBlock(store, 'refinement_attention', { attn: 'multihead_attn_spatial', norm1: 'norm1_spatial', norm2: 'norm2_spatial', fc: 'fc_spatial' }, dim, heads, dropRate, 'depth_car.refine');
  }

  /** depth, rgb: [B, H, W, C] fused maps -> [B, H, W, C] */
  apply(depth: tf.Tensor4D, rgb: tf.Tensor4D, ctx: Ctx): tf.Tensor4D {
    const [b, h, w, c] = depth.shape;
    const seq = (x: tf.Tensor4D): tf.Tensor3D => x.reshape([b, h * w, c]);
    const crossed = this.cross.apply(seq(depth), seq(rgb), ctx);
    return this.refine.apply(crossed, crossed, ctx).reshape([b, h, w, c]);
  }
}
