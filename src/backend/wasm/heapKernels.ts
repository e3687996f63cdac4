// Forward kernels that work on the wasm heap in place, where wasm's own copy data they need not:
// Identity (wasm's copies, and the engine clones every tensor it saves for the backward pass),
// Slice and SplitV (wasm's read the whole input out of the heap first), Reverse (~30 ns an element).
import { tf } from '../tf.js';
import { copyBox, reverseRuns } from './heapCopy.js';
import { heapView, makeHeapOutput, shareData } from './internals.js';
import { attrsOf, replaceKernel } from './kernels.js';

/** Identity as the cpu backend does it: the same data, one more reference (no kernel writes in place). */
export function identityKernel(): tf.KernelConfig {
  return replaceKernel('Identity', (stock) => (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype === 'string') return stock(args);
    return shareData(args.backend, x);
  });
}

/** The box [begin, begin + size) of x as a new tensor, read in place on the heap. */
function sliceOnHeap(backend: object, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = makeHeapOutput(backend, size, x.dtype);
  if (size.every((d) => d > 0)) {
    // views taken after makeOutput: its allocation may grow the heap and detach older views
    copyBox(heapView(backend, x), x.shape, begin, size, heapView(backend, out));
  }
  return out;
}

export function sliceKernel(): tf.KernelConfig {
  return replaceKernel('Slice', (stock) => (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype === 'string') return stock(args);
    const a = attrsOf<tf.SliceAttrs>(args.attrs);
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, a.begin, a.size);
    return sliceOnHeap(args.backend, x, begin, size);
  });
}

/** SplitV (the gradient of concat, e.g. of the shifted windows' roll) with the in-place slice. */
export function splitVKernel(): tf.KernelConfig {
  return replaceKernel('SplitV', (stock) => (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype === 'string') return stock(args);
    const a = attrsOf<tf.SplitVAttrs>(args.attrs);
    const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x, a.numOrSizeSplits, axis);
    const begin = x.shape.map(() => 0);
    return sizes.map((s) => {
      const size = x.shape.map((d, i) => (i === axis ? s : d));
      const piece = sliceOnHeap(args.backend, x, begin, size);
      begin[axis] += s;
      return piece;
    });
  });
}

/**
 * Reverse (the training step's horizontal flip) as runs copied on the heap: wasm's costs ~30 ns an
 * element, this ~1. The axes after the last reversed one form each run, copied whole.
 */
export function reverseKernel(): tf.KernelConfig {
  return replaceKernel('Reverse', (stock) => (args) => {
    const x = args.inputs.x;
    if (x === undefined || x.dtype === 'string' || x.shape.length === 0) return stock(args);
    const { dims } = attrsOf<tf.ReverseAttrs>(args.attrs);
    const flip = new Set(tf.util.parseAxisParam(dims, x.shape));
    const out = makeHeapOutput(args.backend, [...x.shape], x.dtype);
    if (x.shape.some((d) => d === 0)) return out;
    reverseRuns(heapView(args.backend, x), x.shape, flip, heapView(args.backend, out));
    return out;
  });
}
