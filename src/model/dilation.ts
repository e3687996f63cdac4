// The dilated convolution stack (paper Sec. 3.4): two 3x3 convolutions, each with BatchNorm and ReLU,
// widening the receptive field over the fused map before pooling; dilation 1 in the ablation.
import { tf } from '../backend/tf.js';
import type { ParamStore } from './params.js';
import { BatchNorm2d, Conv2d, Ctx } from './layers.js';

export class DilatedStack {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  /** dilations: [d1, d2], one per convolution (padding = dilation keeps the side) */
  constructor(store: ParamStore, inC: number, outC: number, dilations: number[]) {
    const [d1, d2] = dilations;
    this.conv1 = new Conv2d(store, 'dilated_stack.0', inC, outC, 3, { dilation: d1, padding: d1 });
    this.bn1 = new BatchNorm2d(store, 'dilated_stack.1', outC);
    this.conv2 = new Conv2d(store, 'dilated_stack.3', outC, outC, 3, { dilation: d2, padding: d2 });
    this.bn2 = new BatchNorm2d(store, 'dilated_stack.4', outC);
  }

  apply(x: tf.Tensor4D, ctx: Ctx): tf.Tensor4D {
    return tf.tidy(() => {
      const y = tf.relu(this.bn1.apply(this.conv1.apply(x), ctx));
      ctx.taps?.keep('dilated_stack.conv1', y);
      const z = tf.relu(this.bn2.apply(this.conv2.apply(y), ctx)) as tf.Tensor4D;
      ctx.taps?.keep('dilated_stack', z);
      return z;
    });
  }
}
