// Kernel plumbing: the kit's wasm kernels as configs (newKernel for kernels wasm lacks, replaceKernel
// for ones it has), and runOps, which runs a kernel as tfjs ops in a tidy.
import { tf } from '../tf.js';

function isTensor(info: tf.TensorInfo): info is tf.Tensor {
  return info instanceof tf.Tensor;
}

/**
 * Runs `body` on a kernel's inputs in a tidy and hands the engine the result Tensor, which it
 * adopts as the kernel output (a Tensor, unlike a bare TensorInfo, is used as is), so every
 * intermediate is freed and nothing is counted twice.
 */
export function runOps(
  kernel: string,
  inputs: tf.NamedTensorInfoMap,
  body: (t: Record<string, tf.Tensor>) => tf.Tensor,
): tf.TensorInfo {
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, info] of Object.entries(inputs)) {
    if (info === undefined) continue;
    if (!isTensor(info)) throw new Error(`${kernel} (kit wasm kernel): input "${name}" is not an engine Tensor`);
    tensors[name] = info;
  }
  const out = tf.tidy(() => body(tensors));
  // An input handed back unchanged would be freed twice; give the engine its own reference.
  return Object.values(tensors).includes(out) ? out.clone() : out;
}

export function attrsOf<T>(attrs: tf.NamedAttrMap | undefined): T {
  return (attrs ?? {}) as unknown as T;
}

/** A kernel the wasm backend does not have. */
export function newKernel(kernelName: string, kernelFunc: tf.KernelFunc): tf.KernelConfig {
  return { kernelName, backendName: 'wasm', kernelFunc };
}

/**
 * The wasm backend's `kernelName`, replaced: `build` gets the stock kernel function, for the cases the
 * replacement leaves to it. The stock setup and dispose stay, as they bind the wasm functions that
 * the stock kernel function calls.
 */
export function replaceKernel(kernelName: string, build: (stock: tf.KernelFunc) => tf.KernelFunc): tf.KernelConfig {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (stock === undefined) {
    throw new Error(`registerWasmGradKernels: the wasm backend's ${kernelName} kernel is missing; import @tensorflow/tfjs-backend-wasm first`);
  }
  return { kernelName, backendName: 'wasm', setupFunc: stock.setupFunc, disposeFunc: stock.disposeFunc, kernelFunc: build(stock.kernelFunc) };
}
