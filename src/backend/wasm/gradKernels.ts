// Backward-pass kernels for wasm: the four it lacks (Conv2DBackpropFilter, the depthwise pair,
// UnsortedSegmentSum) and Conv2DBackpropInput, whose stock plain loop runs at ~2.4 GFLOP/s against
// ~20-25 for a forward convolution.
import { tf } from '../tf.js';
import { conv2dFilterGrad, conv2dInputGrad, depthwiseFilterGrad, depthwiseInputGrad } from './convGrads.js';
import { attrsOf, newKernel, replaceKernel, runOps } from './kernels.js';
import { unsortedSegmentSum } from './segmentSum.js';
import { conv2dInfo, isNhwc, refuseNchw } from './tensorOps.js';

type Shape4 = [number, number, number, number];

export function conv2DBackpropFilterKernel(): tf.KernelConfig {
  return newKernel('Conv2DBackpropFilter', ({ inputs, attrs }) => {
    const a = attrsOf<tf.Conv2DBackpropFilterAttrs>(attrs);
    refuseNchw('Conv2DBackpropFilter', a.dataFormat);
    return runOps('Conv2DBackpropFilter', inputs, ({ x, dy }) => {
      const c = conv2dInfo(x.shape as Shape4, a.filterShape, a, 1, false);
      return conv2dFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, c);
    });
  });
}

export function conv2DBackpropInputKernel(): tf.KernelConfig {
  return replaceKernel('Conv2DBackpropInput', (stock) => (args) => {
    const a = attrsOf<tf.Conv2DBackpropInputAttrs>(args.attrs);
    const strides = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
    // Strided transposes and NCHW stay with the stock loop (the model's dx are all stride 1).
    if (!isNhwc(a.dataFormat) || strides[0] !== 1 || strides[1] !== 1) return stock(args);
    return runOps('Conv2DBackpropInput', args.inputs, ({ dy, filter }) => {
      const c = conv2dInfo(a.inputShape, filter.shape as Shape4, a, 1, false);
      return conv2dInputGrad(dy as tf.Tensor4D, filter as tf.Tensor4D, c);
    });
  });
}

export function depthwiseFilterKernel(): tf.KernelConfig {
  return newKernel('DepthwiseConv2dNativeBackpropFilter', ({ inputs, attrs }) => {
    const a = attrsOf<tf.DepthwiseConv2dNativeBackpropFilterAttrs>(attrs);
    return runOps('DepthwiseConv2dNativeBackpropFilter', inputs, ({ x, dy }) => {
      const c = conv2dInfo(x.shape as Shape4, a.filterShape, a, a.dilations, true);
      return depthwiseFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, c, a.filterShape[3]);
    });
  });
}

export function depthwiseInputKernel(): tf.KernelConfig {
  return newKernel('DepthwiseConv2dNativeBackpropInput', ({ inputs, attrs }) => {
    const a = attrsOf<tf.DepthwiseConv2dNativeBackpropInputAttrs>(attrs);
    return runOps('DepthwiseConv2dNativeBackpropInput', inputs, ({ dy, filter }) => {
      const c = conv2dInfo(a.inputShape, filter.shape as Shape4, a, a.dilations, true);
      return depthwiseInputGrad(dy as tf.Tensor4D, filter as tf.Tensor4D, c);
    });
  });
}

export function unsortedSegmentSumKernel(): tf.KernelConfig {
  return newKernel('UnsortedSegmentSum', ({ inputs, attrs }) => {
    const { numSegments } = attrsOf<tf.UnsortedSegmentSumAttrs>(attrs);
    return runOps('UnsortedSegmentSum', inputs, ({ x, segmentIds }) => unsortedSegmentSum(x, segmentIds, numSegments));
  });
}
