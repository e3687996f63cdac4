// Registration of the kit's wasm kernels, after the start-up check of the backend's version and
// internals, and of the gradient fixes for every backend.
//
// What the wasm backend (4.22.0) lacks or gets wrong for the model's backward pass (found by running
// tf.grad of every op the model uses on wasm): missing Conv2DBackpropFilter, the depthwise
// backprops and UnsortedSegmentSum (the gradient of gather); slow Conv2DBackpropInput and
// BatchMatMul (10-50x off XNNPACK's speed), and forward kernels that copy more than they need.
// Each replacement is either a tf.tidy over tfjs ops, which the engine dispatches to wasm (XNNPACK
// carries the arithmetic), or a copy in place on the wasm heap; nothing loops over tensor elements
// in JS but those heap copies.
import { tf } from '../tf.js';
import { conv2DBackpropFilterKernel, conv2DBackpropInputKernel, depthwiseFilterKernel, depthwiseInputKernel, unsortedSegmentSumKernel } from './gradKernels.js';
import { registerGradientFixes } from './gradients.js';
import { identityKernel, reverseKernel, sliceKernel, splitVKernel } from './heapKernels.js';
import { checkWasmInternals, installedWasmVersion } from './internals.js';
import { batchMatMulKernel } from './matmul.js';
import { sumKernel, tileKernel } from './opKernels.js';

/** Kernels the wasm backend does not have. */
export const WASM_MISSING_KERNELS: readonly string[] = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
];
/**
 * Kernels the wasm backend has, replaced here: Conv2DBackpropInput and BatchMatMul because they are
 * 10-50x slower than matmul-based ones; Identity because wasm's copies the data, and the engine clones
 * every tensor it saves for the backward pass (thousands a training step: time, and twice the memory);
 * Slice because wasm's copies its whole input out of the heap first (readSync) on every call, so
 * its cost grows with the input, not the slice (7 ms for 5,000 floats of a 1.7M-float vector), and
 * SplitV, which does that once per piece; Sum over leading axes (it transposes first), broadcasting
 * Tile and Reverse, 10-60x slower than their replacements.
 */
export const WASM_REPLACED_KERNELS: readonly string[] = ['Conv2DBackpropInput', 'BatchMatMul', 'Identity', 'Slice', 'SplitV', 'Sum', 'Tile', 'Reverse'];
/** Every kernel registerWasmGradKernels() registers for the wasm backend. */
export const WASM_GRAD_KERNELS: readonly string[] = [...WASM_MISSING_KERNELS, ...WASM_REPLACED_KERNELS];

let registered = false;

/**
 * Registers the WASM_GRAD_KERNELS for the wasm backend, and the ADDED_GRADIENTS for all backends.
 * Call after tf.setBackend('wasm'); throws before registering anything when the installed backend
 * is not the version the kernels were written against, or lacks an internal they use. Idempotent.
 */
export function registerWasmGradKernels(): void {
  if (registered) return;
  checkWasmInternals(installedWasmVersion(), tf.findBackend('wasm'));
  const configs = [
    conv2DBackpropFilterKernel(),
    depthwiseFilterKernel(),
    depthwiseInputKernel(),
    unsortedSegmentSumKernel(),
    conv2DBackpropInputKernel(),
    batchMatMulKernel(),
    identityKernel(),
    sliceKernel(),
    splitVKernel(),
    sumKernel(),
    tileKernel(),
    reverseKernel(),
  ];
  for (const config of configs) {
    // registerKernel warns and keeps going on a duplicate; unregister first to replace quietly.
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  registerGradientFixes();
  registered = true;
}
