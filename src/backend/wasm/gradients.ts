// Gradients registered for every backend: StridedSlice has none in tfjs-core; Conv2D's refuses
// dilation > 1; ResizeBilinear's kernel (cpu and wasm alike) ignores halfPixelCenters, so the
// gradient of PyTorch-style resizing came out off by up to ~0.9 on an 8->3 resize.
import { tf } from '../tf.js';
import { conv2dFilterGrad, conv2dInputGrad } from './convGrads.js';
import { attrsOf } from './kernels.js';
import { resizeBilinearGrad } from './resizeGrad.js';
import { stridedSliceGrad } from './stridedSliceGrad.js';
import { conv2dInfo, isNhwc } from './tensorOps.js';

/** The gradients registerGradientFixes() adds or replaces. */
export const ADDED_GRADIENTS: readonly string[] = ['StridedSlice', 'Conv2D', 'ResizeBilinear'];

function stridedSliceGradConfig(): tf.GradConfig {
  return {
    kernelName: 'StridedSlice',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const a = attrsOf<tf.StridedSliceAttrs>(attrs);
      return { x: () => stridedSliceGrad(dy as tf.Tensor, x.shape, a) };
    },
  };
}

/** tfjs-core's Conv2D gradient for dilation 1; the kit's for dilation > 1, which core refuses. */
function conv2dGradConfig(stock: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const a = attrsOf<tf.Conv2DAttrs>(attrs);
      if (tf.backend_util.tupleValuesAreOne(a.dilations)) return stock.gradFunc(dy, saved, attrs);
      if (!isNhwc(a.dataFormat)) throw new Error(`gradient of a dilated conv2d: only NHWC is supported (got ${a.dataFormat})`);
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const c = conv2dInfo(x.shape, filter.shape, a, a.dilations, false);
      const g = dy as tf.Tensor4D;
      return { x: () => conv2dInputGrad(g, filter, c), filter: () => conv2dFilterGrad(x, g, c) };
    },
  };
}

/** The exact adjoint for halfPixelCenters (PyTorch's alignCorners false); tfjs-core's otherwise. */
function resizeBilinearGradConfig(stock: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: 'ResizeBilinear',
    inputsToSave: ['images'],
    gradFunc: (dy, saved, attrs) => {
      const a = attrsOf<tf.ResizeBilinearAttrs>(attrs);
      if (!a.halfPixelCenters) return stock.gradFunc(dy, saved, attrs);
      const [images] = saved;
      return { images: () => resizeBilinearGrad(images, dy as tf.Tensor, a.alignCorners, a.halfPixelCenters) };
    },
  };
}

let gradientsRegistered = false;

/**
 * The ADDED_GRADIENTS alone: backend-neutral ops, right for every backend (cpu's resize gradient has
 * the same halfPixelCenters bug as wasm's). Needs tfjs-core's gradients registered; idempotent.
 */
export function registerGradientFixes(): void {
  if (gradientsRegistered) return;
  if (tf.getGradient('StridedSlice') === undefined) tf.registerGradient(stridedSliceGradConfig());
  const conv = tf.getGradient('Conv2D');
  const resize = tf.getGradient('ResizeBilinear');
  if (conv === undefined || resize === undefined) {
    throw new Error('registerGradientFixes: tfjs-core gradients are not registered (import src/backend/tf.js)');
  }
  tf.registerGradient(conv2dGradConfig(conv));
  tf.registerGradient(resizeBilinearGradConfig(resize));
  gradientsRegistered = true;
}
