// Gradient kernels for the TensorFlow.js wasm backend (4.22.0), built from operations it runs fast.
//
// What the wasm backend lacks or gets wrong for the model's backward pass (found by running tf.grad
// of every op the model uses on wasm):
// - missing: Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter/Input, UnsortedSegmentSum
//   (the gradient of gather);
// - wrong: ResizeBilinearGrad ignores halfPixelCenters (the cpu kernel too): the gradient of
//   PyTorch-style resizing (alignCorners false, halfPixelCenters true) came out off by up to ~0.9
//   on an 8->3 resize; fixed below for every backend as a gradient, two small matmuls;
// - slow: Conv2DBackpropInput is a plain loop (~2.4 GFLOP/s against ~20-25 for a forward conv), and
//   BatchMatMul reaches XNNPACK's speed only for one untransposed 2-D product: with transposeA or
//   transposeB (every matmul gradient) or with batch dimensions it drops 10-50x.
// And two gradients tfjs-core lacks on every backend: StridedSlice, and Conv2D with dilation > 1.
// The kernels are registered for wasm only; the gradients (backend-neutral ops) for every backend.
//
// Each kernel here is a tf.tidy over tfjs ops, which the engine dispatches to wasm: XNNPACK matmuls
// and convolutions carry the arithmetic; reshapes, transposes and a few slices move data (wasm's
// slices cost ~5 ns an element, its strided slices ~30x that, so they are kept out of hot paths).
// Nothing loops over tensor elements in JS.
import { tf } from './tf.js';

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
/**
 * Gradients registered for every backend: StridedSlice has none in tfjs-core; Conv2D's refuses
 * dilation > 1; ResizeBilinear's kernel (cpu and wasm alike) ignores halfPixelCenters.
 */
export const ADDED_GRADIENTS: readonly string[] = ['StridedSlice', 'Conv2D', 'ResizeBilinear'];

type ConvInfo = tf.backend_util.Conv2DInfo;
type Edges = Array<[number, number]>;

/** Batched products with at least this many multiply-adds per matrix run faster one XNNPACK call each. */
const LOOP_MIN_MACS = 1 << 21;
/**
 * Many small products (window attention: 49x32 by 32x49, thousands of them) run 2-3x faster as one
 * depthwise convolution (XNNPACK) than in wasm's batched loop, transposes included; from this batch.
 */
const DEPTHWISE_MIN_BATCH = 16;
/** Largest one-hot matrix (elements) UnsortedSegmentSum builds at once; 64 MB of float32. */
const MAX_ONE_HOT = 1 << 24;

// ---------------------------------------------------------------------------------------------
// Small tensor helpers

/** Pads (positive) or crops (negative) each axis by [before, after]. */
function padCrop(x: tf.Tensor, edges: Edges): tf.Tensor {
  const begin = edges.map(([b]) => Math.max(0, -b));
  const size = x.shape.map((d, i) => d - begin[i] - Math.max(0, -edges[i][1]));
  const cropped = size.some((s, i) => s !== x.shape[i]) ? tf.slice(x, begin, size) : x;
  const pads = edges.map(([b, a]): [number, number] => [Math.max(0, b), Math.max(0, a)]);
  return pads.some(([b, a]) => b > 0 || a > 0) ? tf.pad(cropped, pads) : cropped;
}

/** Spreads an axis `step` apart, zeros between: [.., L, ..] -> [.., (L-1)*step+1, ..]. */
function spreadAxis(x: tf.Tensor, axis: number, step: number): tf.Tensor {
  if (step === 1) return x;
  const shape = x.shape;
  const len = shape[axis];
  const split = [...shape.slice(0, axis + 1), 1, ...shape.slice(axis + 1)];
  const pads = split.map((_, i): [number, number] => (i === axis + 1 ? [0, step - 1] : [0, 0]));
  const merged = [...shape.slice(0, axis), len * step, ...shape.slice(axis + 1)];
  const spread = tf.reshape(tf.pad(tf.reshape(x, split), pads), merged);
  const size = merged.map((d, i) => (i === axis ? (len - 1) * step + 1 : d));
  return tf.slice(spread, merged.map(() => 0), size);
}

/** Reverses both spatial axes of a [kh, kw, a, b] filter (the kit's Reverse: whole a*b runs copied). */
function flipTaps(f: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw] = f.shape;
  if (kh * kw === 1) return f;
  return tf.reverse(f, [0, 1]);
}

/** The [n, oh, ow, c] window of x (already padded) that filter tap (i, j) reads. */
function tapWindow(x: tf.Tensor4D, c: ConvInfo, i: number, j: number): tf.Tensor4D {
  const { outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = c;
  const [n, , , ch] = x.shape;
  const r = i * c.dilationHeight;
  const q = j * c.dilationWidth;
  if (sh === 1 && sw === 1) return tf.slice(x, [0, r, q, 0], [n, oh, ow, ch]);
  return tf.stridedSlice(x, [0, r, q, 0], [n, r + (oh - 1) * sh + 1, q + (ow - 1) * sw + 1, ch], [1, sh, sw, 1]) as tf.Tensor4D;
}

/** x padded (or cropped) to exactly the rows and columns the convolution reads. */
function paddedInput(x: tf.Tensor4D, c: ConvInfo): tf.Tensor4D {
  const needH = (c.outHeight - 1) * c.strideHeight + c.effectiveFilterHeight;
  const needW = (c.outWidth - 1) * c.strideWidth + c.effectiveFilterWidth;
  const { top, left } = c.padInfo;
  return padCrop(x, [[0, 0], [top, needH - top - c.inHeight], [left, needW - left - c.inWidth], [0, 0]]) as tf.Tensor4D;
}

/**
 * Pads of dy for the stride-1 correlation with the flipped filter that gives dx; `outH`/`outW` are
 * dy's spatial size after zero insertion. Negative entries are crops.
 */
function transposedPads(c: ConvInfo, outH: number, outW: number): Edges {
  const { top, left } = c.padInfo;
  return [
    [0, 0],
    [c.effectiveFilterHeight - 1 - top, c.inHeight - outH + top],
    [c.effectiveFilterWidth - 1 - left, c.inWidth - outW + left],
    [0, 0],
  ];
}

/** Crops the negative pads away; returns the tensor and the remaining explicit padding. */
function splitPads(x: tf.Tensor4D, edges: Edges): [tf.Tensor4D, tf.backend_util.ExplicitPadding] {
  const crops = edges.map(([b, a]): [number, number] => [Math.min(0, b), Math.min(0, a)]);
  const cropped = padCrop(x, crops) as tf.Tensor4D;
  const pads = edges.map(([b, a]) => [Math.max(0, b), Math.max(0, a)]) as tf.backend_util.ExplicitPadding;
  return [cropped, pads];
}

function isNhwc(dataFormat: string | undefined): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC';
}

function refuseNchw(kernel: string, dataFormat: string | undefined): void {
  if (!isNhwc(dataFormat)) {
    throw new Error(`${kernel} on wasm: only NHWC is supported (got ${dataFormat}); the kit computes in NHWC`);
  }
}

// ---------------------------------------------------------------------------------------------
// Conv2D gradients (NHWC)

/**
 * dW of a conv2d. Stride 1: one matmul per filter tap. Strided: a convolution of x (batch and
 * channels swapped) with dy as the filter, as wasm's strided slices are ~30x slower than its convs.
 * 1x1 and non-overlapping filters (patch embedding): a single matmul.
 */
function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, c: ConvInfo): tf.Tensor4D {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = c;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = c;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = c;
  const { top, left } = c.padInfo;
  const m = n * oh * ow;
  const dy2 = tf.reshape(dy, [m, co]);

  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && oh === h && ow === w) {
    return tf.reshape(tf.matMul(tf.transpose(tf.reshape(x, [m, ci])), dy2), [1, 1, ci, co]);
  }
  if (kh === sh && kw === sw && dh === 1 && dw === 1 && top === 0 && left === 0) {
    // Each input pixel feeds exactly one output: the patches are a reshape, [m, kh*kw*ci].
    const used = oh * kh === h && ow * kw === w ? x : tf.slice(x, [0, 0, 0, 0], [n, oh * kh, ow * kw, ci]);
    const rows = tf.transpose(tf.reshape(used, [n * oh, kh, ow, kw * ci]), [0, 2, 1, 3]);
    const patches = tf.transpose(tf.reshape(rows, [m, kh * kw * ci]));
    return tf.reshape(tf.matMul(patches, dy2), [kh, kw, ci, co]);
  }
  if (sh > 1 || sw > 1) {
    // dW[i, j, a, b] = sum over n, p, q of x[n, p*s + i - top, q*s + j - left, a] dy[n, p, q, b]: a conv
    // over x as [ci, h, w, n] with filter dy as [oh, ow, n, co], dilated by the stride (d is 1 here).
    const needH = (oh - 1) * sh + kh;
    const needW = (ow - 1) * sw + kw;
    const edges: Edges = [[0, 0], [top, needH - top - h], [left, needW - left - w], [0, 0]];
    const [xt, pads] = splitPads(tf.transpose(x, [3, 1, 2, 0]), edges);
    const filter = tf.transpose(dy, [1, 2, 0, 3]);
    return tf.transpose(tf.conv2d(xt, filter, 1, pads, 'NHWC', [sh, sw]), [1, 2, 0, 3]);
  }
  // Channels first, each tap's window is a contiguous [ci, m] matrix: no im2col buffer, and matmuls
  // without transposes (the only fast kind on wasm).
  const xcf = tf.transpose(paddedInput(x, c), [3, 0, 1, 2]) as tf.Tensor4D;
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const win = tf.slice(xcf, [0, 0, i * dh, j * dw], [ci, n, oh, ow]);
      taps.push(tf.matMul(tf.reshape(win, [ci, m]), dy2));
    }
  }
  return tf.reshape(tf.stack(taps), [kh, kw, ci, co]);
}

/**
 * dx of a stride-1 conv2d (any dilation). Large images: a forward conv of dy with the flipped,
 * transposed filter (XNNPACK). Few pixels and many channels (where repacking that big filter costs
 * more than the product): one matmul to per-tap columns, then shifted adds (col2im).
 */
function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, c: ConvInfo): tf.Tensor4D {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outChannels: co } = c;
  const { outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = c;
  const { dilationHeight: dh, dilationWidth: dw } = c;
  const { top, left } = c.padInfo;
  if (c.strideHeight !== 1 || c.strideWidth !== 1) throw new Error('conv2dInputGrad: stride 1 only');
  const m = n * oh * ow;
  const dy2 = tf.reshape(dy, [m, co]);

  if (kh === 1 && kw === 1 && top === 0 && left === 0 && oh === h && ow === w) {
    const wt = tf.transpose(tf.reshape(filter, [ci, co]));
    return tf.reshape(tf.matMul(dy2, wt), [n, h, w, ci]);
  }
  if (co <= m) {
    const flipped = flipTaps(tf.transpose(filter, [0, 1, 3, 2]));
    const [dyc, pads] = splitPads(dy, transposedPads(c, oh, ow));
    return tf.conv2d(dyc, flipped, 1, pads, 'NHWC', [dh, dw]);
  }
  const cols = tf.matMul(tf.reshape(filter, [kh * kw * ci, co]), tf.transpose(dy2)); // [taps*ci, m]
  const hp = oh + (kh - 1) * dh;
  const wp = ow + (kw - 1) * dw;
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const slab = tf.reshape(tf.slice(cols, [(i * kw + j) * ci, 0], [ci, m]), [ci, n, oh, ow]);
      parts.push(tf.pad(slab, [[0, 0], [0, 0], [i * dh, hp - oh - i * dh], [j * dw, wp - ow - j * dw]]));
    }
  }
  const grid = parts.length === 1 ? parts[0] : tf.addN(parts);
  // Row q of the padded grid is input row q - top.
  const dxcf = padCrop(grid, [[0, 0], [0, 0], [-top, h + top - hp], [-left, w + left - wp]]);
  return tf.transpose(dxcf, [1, 2, 3, 0]) as tf.Tensor4D;
}

function conv2dInfo(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: { strides: number | [number, number]; pad: tf.Conv2DAttrs['pad']; dimRoundingMode?: 'floor' | 'round' | 'ceil' },
  dilations: number | [number, number],
  depthwise: boolean,
): ConvInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape, filterShape, attrs.strides, dilations, attrs.pad, attrs.dimRoundingMode, depthwise, 'channelsLast');
}

// ---------------------------------------------------------------------------------------------
// Depthwise conv gradients (NHWC). The model has none; elementwise per tap is plenty.

function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, c: ConvInfo, mult: number): tf.Tensor4D {
  const { batchSize: n, inChannels: ci, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw } = c;
  const xp = paddedInput(x, c);
  const dy5 = mult === 1 ? dy : tf.reshape(dy, [n, oh, ow, ci, mult]);
  const taps: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const win = tapWindow(xp, c, i, j);
      const prod = mult === 1 ? tf.mul(win, dy5) : tf.mul(tf.expandDims(win, 4), dy5);
      taps.push(tf.sum(prod, [0, 1, 2]));
    }
  }
  return tf.reshape(tf.stack(taps), [kh, kw, ci, mult]);
}

function depthwiseInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, c: ConvInfo): tf.Tensor4D {
  const [kh, kw, ci, mult] = filter.shape;
  const { batchSize: n, inHeight: h, inWidth: w, strideHeight: sh, strideWidth: sw } = c;
  // Zero insertion turns a strided conv's transpose into a stride-1 correlation.
  const up = spreadAxis(spreadAxis(dy, 1, sh), 2, sw) as tf.Tensor4D;
  const flipped = tf.reshape(flipTaps(filter), [kh, kw, ci * mult, 1]) as tf.Tensor4D;
  const [dyc, pads] = splitPads(up, transposedPads(c, up.shape[1], up.shape[2]));
  const dx = tf.depthwiseConv2d(dyc, flipped, 1, pads, 'NHWC', [c.dilationHeight, c.dilationWidth]);
  return mult === 1 ? dx : tf.sum(tf.reshape(dx, [n, h, w, ci, mult]), 4);
}

// ---------------------------------------------------------------------------------------------
// Resize gradient: the exact adjoint of the forward resize, as two small matmuls

/**
 * The [inSize, outSize] transpose of the interpolation matrix, with the cpu forward kernel's
 * formulas (which the wasm kernel matches): source = ratio * (o + 0.5) - 0.5 with half-pixel centers.
 */
function interpolationT(outSize: number, inSize: number, alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor2D {
  const aligned = alignCorners && outSize > 1;
  const ratio = aligned ? (inSize - 1) / (outSize - 1) : inSize / outSize;
  const at = new Float32Array(inSize * outSize);
  for (let o = 0; o < outSize; o++) {
    const src = halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o;
    const lo = Math.max(0, Math.floor(src));
    const hi = Math.min(inSize - 1, Math.ceil(src));
    const frac = src - lo;
    at[lo * outSize + o] += 1 - frac;
    at[hi * outSize + o] += frac;
  }
  return tf.tensor2d(at, [inSize, outSize]);
}

function resizeBilinearGrad(images: tf.Tensor, dy: tf.Tensor, alignCorners: boolean, halfPixelCenters: boolean): tf.Tensor4D {
  const [n, h, w, c] = images.shape;
  const [, oh, ow] = dy.shape;
  const ahT = interpolationT(oh, h, alignCorners, halfPixelCenters);
  const awT = interpolationT(ow, w, alignCorners, halfPixelCenters);
  // Rows: [oh, n*ow*c] -> [h, n*ow*c]; then columns: [ow, h*n*c] -> [w, h*n*c].
  const rows = tf.matMul(ahT, tf.reshape(tf.transpose(dy, [1, 0, 2, 3]), [oh, n * ow * c]));
  const colsIn = tf.reshape(tf.transpose(tf.reshape(rows, [h, n, ow, c]), [2, 0, 1, 3]), [ow, h * n * c]);
  const cols = tf.matMul(awT, colsIn);
  return tf.transpose(tf.reshape(cols, [w, h, n, c]), [2, 1, 0, 3]);
}

// ---------------------------------------------------------------------------------------------
// UnsortedSegmentSum (gather's gradient): a one-hot [segments, n] matrix times the rows

function unsortedSegmentSum(x: tf.Tensor, segmentIds: tf.Tensor, numSegments: number): tf.Tensor {
  const n = segmentIds.size;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.rank)];
  if (n === 0 || numSegments === 0) return tf.zeros(outShape, x.dtype);
  const rest = x.size / n;
  const rows = tf.reshape(x.dtype === 'float32' ? x : tf.cast(x, 'float32'), [n, rest]);
  const ids = tf.reshape(tf.cast(segmentIds, 'int32'), [n]);
  const chunk = Math.max(1, Math.floor(MAX_ONE_HOT / numSegments));
  let sum: tf.Tensor | undefined;
  for (let start = 0; start < n; start += chunk) {
    const len = Math.min(chunk, n - start);
    // oneHot (native on wasm) leaves ids outside [0, numSegments) out, as UnsortedSegmentSum drops
    // them; a broadcast equal() would do the same ~40x slower.
    const oneHot = tf.transpose(tf.cast(tf.oneHot(tf.slice(ids, [start], [len]), numSegments), 'float32'));
    const part = tf.matMul(oneHot, tf.slice(rows, [start, 0], [len, rest]));
    sum = sum === undefined ? part : tf.add(sum, part);
  }
  const out = tf.reshape(sum as tf.Tensor, outShape);
  return x.dtype === 'float32' ? out : tf.cast(tf.round(out), x.dtype);
}

// ---------------------------------------------------------------------------------------------
// StridedSlice gradient: dy spread back to the sliced positions of a zero tensor

function stridedSliceGrad(dy: tf.Tensor, xShape: number[], a: tf.StridedSliceAttrs): tf.Tensor {
  const info = tf.slice_util.sliceInfo(
    xShape, a.begin, a.end, a.strides, a.beginMask, a.endMask, a.ellipsisMask, a.newAxisMask, a.shrinkAxisMask);
  // Per input axis, how many elements the slice took (the op's shape before shrinking and new axes).
  const sizes = xShape.map((_, i) => {
    const s = info.strides[i];
    const len = info.end[i] - info.begin[i];
    if (len === 0 || len < 0 !== s < 0) return 0;
    return Math.trunc(len / s) + (len % s !== 0 ? 1 : 0);
  });
  if (sizes.some((s) => s === 0)) return tf.zeros(xShape, dy.dtype);
  let g = tf.reshape(dy, sizes);
  const reversed = sizes.map((_, i) => i).filter((i) => info.strides[i] < 0);
  if (reversed.length > 0) g = tf.reverse(g, reversed);
  const edges: Edges = [];
  for (let i = 0; i < xShape.length; i++) {
    const s = info.strides[i];
    const step = Math.abs(s);
    const first = s > 0 ? info.begin[i] : info.begin[i] + (sizes[i] - 1) * s;
    g = spreadAxis(g, i, step);
    edges.push([first, xShape[i] - first - ((sizes[i] - 1) * step + 1)]);
  }
  return tf.pad(g, edges);
}

// ---------------------------------------------------------------------------------------------
// Kernel plumbing

function isTensor(info: tf.TensorInfo): info is tf.Tensor {
  return info instanceof tf.Tensor;
}

/**
 * Runs `body` on a kernel's inputs in a tidy and hands the engine the result Tensor, which it
 * adopts as the kernel output (a Tensor, unlike a bare TensorInfo, is used as is), so every
 * intermediate is freed and nothing is counted twice.
 */
function runOps(
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

function attrsOf<T>(attrs: tf.NamedAttrMap | undefined): T {
  return (attrs ?? {}) as unknown as T;
}

function stockKernel(name: string): tf.KernelConfig {
  const config = tf.getKernel(name, 'wasm');
  if (config === undefined) {
    throw new Error(`registerWasmGradKernels: the wasm backend's ${name} kernel is missing; import @tensorflow/tfjs-backend-wasm first`);
  }
  return config;
}

function conv2DBackpropFilterConfig(): tf.KernelConfig {
  return {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrsOf<tf.Conv2DBackpropFilterAttrs>(attrs);
      refuseNchw('Conv2DBackpropFilter', a.dataFormat);
      return runOps('Conv2DBackpropFilter', inputs, ({ x, dy }) => {
        const c = conv2dInfo(x.shape as [number, number, number, number], a.filterShape, a, 1, false);
        return conv2dFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, c);
      });
    },
  };
}

function conv2DBackpropInputConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const a = attrsOf<tf.Conv2DBackpropInputAttrs>(args.attrs);
      const strides = typeof a.strides === 'number' ? [a.strides, a.strides] : a.strides;
      // Strided transposes and NCHW stay with the stock loop (the model's dx are all stride 1).
      if (!isNhwc(a.dataFormat) || strides[0] !== 1 || strides[1] !== 1) return stock.kernelFunc(args);
      return runOps('Conv2DBackpropInput', args.inputs, ({ dy, filter }) => {
        const c = conv2dInfo(a.inputShape, filter.shape as [number, number, number, number], a, 1, false);
        return conv2dInputGrad(dy as tf.Tensor4D, filter as tf.Tensor4D, c);
      });
    },
  };
}

function depthwiseFilterConfig(): tf.KernelConfig {
  return {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrsOf<tf.DepthwiseConv2dNativeBackpropFilterAttrs>(attrs);
      return runOps('DepthwiseConv2dNativeBackpropFilter', inputs, ({ x, dy }) => {
        const c = conv2dInfo(x.shape as [number, number, number, number], a.filterShape, a, a.dilations, true);
        return depthwiseFilterGrad(x as tf.Tensor4D, dy as tf.Tensor4D, c, a.filterShape[3]);
      });
    },
  };
}

function depthwiseInputConfig(): tf.KernelConfig {
  return {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const a = attrsOf<tf.DepthwiseConv2dNativeBackpropInputAttrs>(attrs);
      return runOps('DepthwiseConv2dNativeBackpropInput', inputs, ({ dy, filter }) => {
        const c = conv2dInfo(a.inputShape, filter.shape as [number, number, number, number], a, a.dilations, true);
        return depthwiseInputGrad(dy as tf.Tensor4D, filter as tf.Tensor4D, c);
      });
    },
  };
}

function unsortedSegmentSumConfig(): tf.KernelConfig {
  return {
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { numSegments } = attrsOf<tf.UnsortedSegmentSumAttrs>(attrs);
      return runOps('UnsortedSegmentSum', inputs, ({ x, segmentIds }) => unsortedSegmentSum(x, segmentIds, numSegments));
    },
  };
}

/** Identity as the cpu backend does it: the same data, one more reference (no kernel writes in place). */
function identityConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x;
      if (x === undefined || x.dtype === 'string') return stock.kernelFunc(args);
      (args.backend as tf.KernelBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  };
}

/** The wasm backend's own helpers that its JavaScript kernels use (not in tfjs-core's KernelBackend type). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Contiguous runs shorter than this are copied element by element. */
const SHORT_RUN = 64;

/**
 * Copies the box [begin, begin + size) of a row-major array: trailing axes taken whole join the
 * innermost contiguous run, so most slices are a few long copies.
 */
function copyBox(src: Float32Array | Int32Array | Uint8Array, shape: number[], begin: number[], size: number[], dst: Float32Array | Int32Array | Uint8Array): void {
  const rank = shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  let axis = rank - 1;
  let run = 1;
  while (axis >= 0 && begin[axis] === 0 && size[axis] === shape[axis]) run *= shape[axis--];
  if (axis < 0) {
    dst.set(src.subarray(0, run));
    return;
  }
  run *= size[axis];
  const base = begin[axis] * strides[axis];
  const index = new Array<number>(axis).fill(0);
  const count = size.slice(0, axis).reduce((p, d) => p * d, 1);
  for (let n = 0, out = 0; n < count; n++, out += run) {
    let offset = base;
    for (let a = 0; a < axis; a++) offset += (begin[a] + index[a]) * strides[a];
    if (run >= SHORT_RUN) dst.set(src.subarray(offset, offset + run), out);
    else for (let e = 0; e < run; e++) dst[out + e] = src[offset + e]; // a subarray object per run costs more
    for (let a = axis - 1; a >= 0 && ++index[a] === size[a]; a--) index[a] = 0;
  }
}

/** The box [begin, begin + size) of x as a new tensor, read in place on the heap. */
function sliceOnHeap(backend: WasmHeapBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  if (size.every((d) => d > 0)) {
    // views taken after makeOutput: its allocation may grow the heap and detach older views
    copyBox(backend.typedArrayFromHeap(x), x.shape, begin, size, backend.typedArrayFromHeap(out));
  }
  return out;
}

function sliceConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Slice',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x;
      if (x === undefined || x.dtype === 'string') return stock.kernelFunc(args);
      const a = attrsOf<tf.SliceAttrs>(args.attrs);
      const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, a.begin, a.size);
      return sliceOnHeap(args.backend as unknown as WasmHeapBackend, x, begin, size);
    },
  };
}

/** SplitV (the gradient of concat, e.g. of the shifted windows' roll) with the in-place slice. */
function splitVConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'SplitV',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x;
      if (x === undefined || x.dtype === 'string') return stock.kernelFunc(args);
      const a = attrsOf<tf.SplitVAttrs>(args.attrs);
      const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x, a.numOrSizeSplits, axis);
      const begin = x.shape.map(() => 0);
      return sizes.map((s) => {
        const size = x.shape.map((d, i) => (i === axis ? s : d));
        const piece = sliceOnHeap(args.backend as unknown as WasmHeapBackend, x, begin, size);
        begin[axis] += s;
        return piece;
      });
    },
  };
}

/**
 * Sum over leading axes (bias and LayerNorm-scale gradients: [N, C] -> [C]) as N times an average
 * pool over the N rows (XNNPACK, one pass), where wasm's Sum transposes the input first (~10x
 * slower); a ones-vector matmul would be no better, XNNPACK packing x as its weights. Other sums: stock.
 */
function sumConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Sum',
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x;
      if (x === undefined || x.dtype !== 'float32') return stock.kernelFunc(args);
      const { axis, keepDims } = attrsOf<tf.SumAttrs>(args.attrs);
      const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
      const lead = axes.length;
      const rows = x.shape.slice(0, lead).reduce((p, d) => p * d, 1);
      if (lead === 0 || lead === x.shape.length || rows === 1 || !axes.every((a, i) => a === i)) return stock.kernelFunc(args);
      return runOps('Sum', args.inputs, ({ x: t }) => {
        const rest = t.shape.slice(lead);
        const cols = rest.reduce((p, d) => p * d, 1);
        const mean = tf.avgPool(tf.reshape(t, [1, rows, 1, cols]) as tf.Tensor4D, [rows, 1], 1, 'valid');
        return tf.reshape(tf.mul(mean, rows), keepDims ? [...axes.map(() => 1), ...rest] : rest);
      });
    },
  };
}

/**
 * Tile that only repeats size-1 axes (a broadcast: BatchNorm's gradient tiles its [1, 1, 1, C]
 * statistics) as x * ones: wasm's Tile costs ~60 ns an element, a broadcasting multiply ~1.
 */
function tileConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Tile',
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x;
      const { reps } = attrsOf<tf.TileAttrs>(args.attrs);
      if (x === undefined || x.dtype !== 'float32' || !reps.every((r, i) => r === 1 || x.shape[i] === 1)) return stock.kernelFunc(args);
      return runOps('Tile', args.inputs, ({ x: t }) => tf.mul(t, tf.fill(t.shape.map((d, i) => d * reps[i]), 1)));
    },
  };
}

/**
 * Reverse (the training step's horizontal flip) as runs copied on the heap: wasm's costs ~30 ns an
 * element, this ~1. The axes after the last reversed one form each run, copied whole.
 */
function reverseConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Reverse',
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const x = args.inputs.x;
      if (x === undefined || x.dtype === 'string' || x.shape.length === 0) return stock.kernelFunc(args);
      const { dims } = attrsOf<tf.ReverseAttrs>(args.attrs);
      const flip = new Set(tf.util.parseAxisParam(dims, x.shape));
      const backend = args.backend as unknown as WasmHeapBackend;
      const out = backend.makeOutput([...x.shape], x.dtype);
      if (x.shape.some((d) => d === 0)) return out;
      reverseRuns(backend.typedArrayFromHeap(x), x.shape, flip, backend.typedArrayFromHeap(out));
      return out;
    },
  };
}

function reverseRuns(src: Float32Array | Int32Array | Uint8Array, shape: number[], flip: Set<number>, dst: Float32Array | Int32Array | Uint8Array): void {
  const rank = shape.length;
  let last = rank - 1;
  while (last >= 0 && !flip.has(last)) last--;
  if (last < 0) {
    dst.set(src);
    return;
  }
  const run = shape.slice(last + 1).reduce((p, d) => p * d, 1);
  const strides = new Array<number>(last + 1).fill(run);
  for (let a = last - 1; a >= 0; a--) strides[a] = strides[a + 1] * shape[a + 1];
  // an odometer over the axes before `last`; along `last` (reversed) a tight loop of runs
  const index = new Array<number>(last).fill(0);
  const count = shape.slice(0, last).reduce((p, d) => p * d, 1);
  const len = shape[last];
  for (let n = 0, out = 0; n < count; n++) {
    let base = 0;
    for (let a = 0; a < last; a++) base += (flip.has(a) ? shape[a] - 1 - index[a] : index[a]) * strides[a];
    for (let i = len - 1; i >= 0; i--, out += run) {
      const offset = base + i * run;
      if (run >= SHORT_RUN) dst.set(src.subarray(offset, offset + run), out);
      else for (let e = 0; e < run; e++) dst[out + e] = src[offset + e];
    }
    for (let a = last - 1; a >= 0 && ++index[a] === shape[a]; a--) index[a] = 0;
  }
}

type MatMulPlan = 'stock' | 'transpose' | 'fold' | 'loop' | 'depthwise';

/** How to run a BatchMatMul so that XNNPACK does it: the wasm kernel is fast only for plain 2-D. */
function planMatMul(a: number[], b: number[], transposeA: boolean, transposeB: boolean): MatMulPlan {
  const outerA = a.slice(0, -2);
  const outerB = b.slice(0, -2);
  const batchA = outerA.reduce((p, d) => p * d, 1);
  const batchB = outerB.reduce((p, d) => p * d, 1);
  if (batchA === 1 && batchB === 1) return transposeA || transposeB ? 'transpose' : 'stock';
  if (batchB === 1 && !transposeA) return 'fold';
  const rowsA = transposeA ? a[a.length - 1] : a[a.length - 2];
  const inner = transposeA ? a[a.length - 2] : a[a.length - 1];
  const colsB = transposeB ? b[b.length - 2] : b[b.length - 1];
  const sameBatch = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
  if (sameBatch && rowsA * inner * colsB >= LOOP_MIN_MACS) return 'loop';
  if (sameBatch && batchA >= DEPTHWISE_MIN_BATCH) return 'depthwise';
  return 'stock';
}

function matMul2d(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const a2 = tf.reshape(a, a.shape.slice(-2));
  const b2 = tf.reshape(b, b.shape.slice(-2));
  // (aᵀ b)ᵀ = bᵀ a: for a weight gradient xᵀ dy, transpose the narrower of x and dy (wasm's transpose
  // slows with the row length: ~3 ns an element at 16 columns, ~7 at 128), and bᵀ aᵀ = (a b)ᵀ.
  const [, colsA] = a2.shape as [number, number];
  const [, colsB] = b2.shape as [number, number];
  if (transposeA && (transposeB || colsB < colsA)) {
    return tf.transpose(tf.matMul(transposeB ? b2 : tf.transpose(b2), a2));
  }
  return tf.matMul(transposeA ? tf.transpose(a2) : a2, transposeB ? tf.transpose(b2) : b2);
}

/**
 * out[i] = a[i] b[i] for a batch of small matrices, as a depthwise convolution: the batch is the
 * channel axis, a's rows the image rows, its columns a 1 x K filter's taps, b's columns the channel
 * multiplier: x[0, m, k, i] = a[i, m, k], filter[0, k, i, n] = b[i, k, n], y[0, m, 0, i*N + n].
 */
function depthwiseBatchMatMul(a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean): tf.Tensor {
  const [ra, ca] = a.shape.slice(-2);
  const [rb, cb] = b.shape.slice(-2);
  const a3 = tf.reshape(a, [-1, ra, ca]);
  const b3 = tf.reshape(b, [-1, rb, cb]);
  const batch = a3.shape[0];
  const [m, k] = transposeA ? [ca, ra] : [ra, ca];
  const n = transposeB ? rb : cb;
  const x = tf.reshape(tf.transpose(a3, transposeA ? [2, 1, 0] : [1, 2, 0]), [1, m, k, batch]) as tf.Tensor4D;
  const filter = tf.reshape(tf.transpose(b3, transposeB ? [2, 0, 1] : [1, 0, 2]), [1, k, batch, n]) as tf.Tensor4D;
  const y = tf.depthwiseConv2d(x, filter, 1, 'valid');
  return tf.transpose(tf.reshape(y, [m, batch, n]), [1, 0, 2]);
}

function batchMatMulConfig(stock: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    setupFunc: stock.setupFunc,
    disposeFunc: stock.disposeFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs;
      const { transposeA, transposeB } = attrsOf<tf.BatchMatMulAttrs>(args.attrs);
      if (a === undefined || b === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') {
        return stock.kernelFunc(args);
      }
      const plan = planMatMul(a.shape, b.shape, transposeA, transposeB);
      if (plan === 'stock') return stock.kernelFunc(args);
      return runOps('BatchMatMul', args.inputs, ({ a: ta, b: tb }) => {
        const outer = tf.backend_util.assertAndGetBroadcastShape(ta.shape.slice(0, -2), tb.shape.slice(0, -2));
        const rows = transposeA ? ta.shape[ta.rank - 1] : ta.shape[ta.rank - 2];
        const cols = transposeB ? tb.shape[tb.rank - 2] : tb.shape[tb.rank - 1];
        let out: tf.Tensor;
        if (plan === 'transpose') {
          out = matMul2d(ta, tb, transposeA, transposeB);
        } else if (plan === 'fold') {
          // One right matrix for the whole batch: stack the left matrices' rows, one 2-D product.
          const b2 = tf.reshape(tb, tb.shape.slice(-2));
          out = tf.matMul(tf.reshape(ta, [-1, ta.shape[ta.rank - 1]]), transposeB ? tf.transpose(b2) : b2);
        } else if (plan === 'depthwise') {
          out = depthwiseBatchMatMul(ta, tb, transposeA, transposeB);
        } else {
          const as = tf.unstack(tf.reshape(ta, [-1, ...ta.shape.slice(-2)]));
          const bs = tf.unstack(tf.reshape(tb, [-1, ...tb.shape.slice(-2)]));
          out = tf.stack(as.map((ai, i) => matMul2d(ai, bs[i], transposeA, transposeB)));
        }
        return tf.reshape(out, [...outer, rows, cols]);
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Gradients (every backend)

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

let registered = false;

/**
 * Registers the WASM_GRAD_KERNELS for the wasm backend, and the ADDED_GRADIENTS for all backends.
 * Call after importing @tensorflow/tfjs-backend-wasm; idempotent.
 */
export function registerWasmGradKernels(): void {
  if (registered) return;
  const configs = [
    conv2DBackpropFilterConfig(),
    depthwiseFilterConfig(),
    depthwiseInputConfig(),
    unsortedSegmentSumConfig(),
    conv2DBackpropInputConfig(stockKernel('Conv2DBackpropInput')),
    batchMatMulConfig(stockKernel('BatchMatMul')),
    identityConfig(stockKernel('Identity')),
    sliceConfig(stockKernel('Slice')),
    splitVConfig(stockKernel('SplitV')),
    sumConfig(stockKernel('Sum')),
    tileConfig(stockKernel('Tile')),
    reverseConfig(stockKernel('Reverse')),
  ];
  for (const config of configs) {
    // registerKernel warns and keeps going on a duplicate; unregister first to replace quietly.
    if (tf.getKernel(config.kernelName, 'wasm') !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
  registerGradientFixes();
  registered = true;
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
