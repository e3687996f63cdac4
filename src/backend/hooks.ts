// Every kernel of the active backend wrapped for the length of one call, then restored: what the
// kernel profiler (profile.ts) and the training-step tracer (src/onnx/trace.ts) are built on.
import { tf } from './tf.js';

/**
 * Runs `fn` with each kernel's function replaced by `wrap(name, original)`; the originals come back
 * afterwards, also when `fn` throws. The registry hands out its own config objects, so swapping
 * `kernelFunc` on them is what the engine calls.
 */
export function withKernelsWrapped<T>(wrap: (kernelName: string, original: tf.KernelFunc) => tf.KernelFunc, fn: () => T): T {
  const saved: Array<[tf.KernelConfig, tf.KernelFunc]> = [];
  for (const k of tf.getKernelsForBackend(tf.getBackend())) {
    saved.push([k, k.kernelFunc]);
    (k as { kernelFunc: tf.KernelFunc }).kernelFunc = wrap(k.kernelName, k.kernelFunc);
  }
  const restore = (): void => {
    for (const [k, original] of saved) (k as { kernelFunc: tf.KernelFunc }).kernelFunc = original;
  };
  let result: T;
  try {
    result = fn();
  } catch (err) {
    restore();
    throw err;
  }
  // a promise keeps the kernels wrapped until it settles
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
