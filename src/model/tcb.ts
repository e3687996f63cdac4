// Transformer-CNN Bridge (paper Sec. 3.2; official TransformerCnnBlock): 1x1 projection to fewer
// channels, a per-position squeeze-excitation gate (1x1 convs, no pooling, as the official code),
// a 3x3 convolution for local structure, BatchNorm, ReLU, Dropout2d.
import { tf } from '../backend/tf.js';
import type { ParamStore } from './params.js';
import { BatchNorm2d, Conv2d, Ctx, Dropout } from './layers.js';

export class Tcb {
  readonly conv1: Conv2d;
  readonly squeeze: Conv2d;
  readonly excite: Conv2d;
  readonly conv2: Conv2d;
  readonly norm: BatchNorm2d;
  readonly dropout: Dropout;
  constructor(store: ParamStore, readonly name: string, inC: number, outC: number, reduction: number, dropRate: number) {
    this.conv1 = new Conv2d(store, `${name}.conv1`, inC, outC, 1);
    this.squeeze = new Conv2d(store, `${name}.attention.0`, outC, outC / reduction, 1);
    this.excite = new Conv2d(store, `${name}.attention.2`, outC / reduction, outC, 1);
    this.conv2 = new Conv2d(store, `${name}.conv2`, outC, outC, 3, { padding: 1 });
    this.norm = new BatchNorm2d(store, `${name}.norm`, outC);
    this.dropout = new Dropout(store, `${name}.dropout`, dropRate, true);
  }

  apply(x: tf.Tensor4D, ctx: Ctx): tf.Tensor4D {
    return tf.tidy(() => this.bridge(x, ctx));
  }

  private bridge(x: tf.Tensor4D, ctx: Ctx): tf.Tensor4D {
    const out = this.conv1.apply(x);
    const gate = this.excite.apply(this.squeeze.apply(out, 'relu'), 'sigmoid');
    ctx.taps?.keep(`${this.name}.gate`, gate);
    const y = tf.relu(this.norm.apply(this.conv2.apply(tf.mul(out, gate) as tf.Tensor4D), ctx));
    const z = this.dropout.apply(y, ctx) as tf.Tensor4D;
    ctx.taps?.keep(this.name, z);
    return z;
  }
}
