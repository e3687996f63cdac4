// TensorFlow.js kernels as ONNX operators (opset 17), one function a kernel: what turns a traced
// training step (trace.ts) into a graph ONNX Runtime runs. Layouts stay the kit's (NHWC); the
// convolutions, which ONNX defines on NCHW, are wrapped in transposes that ONNX Runtime's layout
// optimiser removes where it can. Semantics follow tfjs-core's kernel definitions; a kernel or an
// attribute not written here is refused by name, so a graph is never built from a guess.
import { tf } from '../backend/index.js';
import type { OnnxGraph } from './graph.js';
import { float, int, ints, str } from './graph.js';
import type { KernelCall } from './trace.js';

/** What a translation sees: the graph, and the ONNX name of each input of the call. */
export interface Emit {
  g: OnnxGraph;
  call: KernelCall;
  /** ONNX names of the call's inputs, in order */
  x: string[];
}

type Translate = (e: Emit) => string[];

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** tfjs filters [kh, kw, in, out] to ONNX's [out, in, kh, kw] */
const HWIO_TO_OIHW = [3, 2, 0, 1];
const ONNX_FLOAT = 1;
const ONNX_INT32 = 6;
const ONNX_BOOL = 9;

function attr<T>(call: KernelCall, name: string): T {
  return call.attrs[name] as T;
}

function normAxes(axis: number | number[] | null | undefined, rank: number): number[] {
  if (axis === null || axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  return (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
}

const unary = (op: string): Translate => ({ g, x }) => [g.op(op, [x[0]])];
const binary = (op: string): Translate => ({ g, x }) => [g.op(op, [x[0], x[1]])];

function activation(g: OnnxGraph, y: string, call: KernelCall, prelu: string | undefined): string {
  const act = attr<string | undefined>(call, 'activation') ?? 'linear';
  if (act === 'linear') return y;
  if (act === 'relu') return g.op('Relu', [y]);
  if (act === 'sigmoid') return g.op('Sigmoid', [y]);
  if (act === 'elu') return g.op('Elu', [y], { alpha: float(1) });
  if (act === 'relu6') return g.op('Clip', [y, g.scalar(0), g.scalar(6)]);
  if (act === 'leakyrelu') return g.op('LeakyRelu', [y], { alpha: float(attr<number>(call, 'leakyreluAlpha')) });
  if (act === 'prelu' && prelu) return g.op('PRelu', [y, prelu]);
  throw new Error(`ONNX training graph: ${call.name} with activation "${act}" is not supported`);
}

/** NHWC Conv2D (plain or fused) as an NCHW Conv between transposes. */
function conv2d(e: Emit, fused: boolean): string[] {
  const { g, call, x } = e;
  const [input, filter] = call.inputs;
  if (attr<string>(call, 'dataFormat') === 'NCHW') throw new Error(`ONNX training graph: ${call.name} in NCHW is not supported`);
  const info = tf.backend_util.computeConv2DInfo(
    input.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attr(call, 'strides'), attr(call, 'dilations') ?? 1, attr(call, 'pad'), attr(call, 'dimRoundingMode'),
  );
  const p = info.padInfo;
  const bias = fused && call.inputNames.includes('bias') ? x[call.inputNames.indexOf('bias')] : undefined;
  const biasShape = bias ? call.inputs[call.inputNames.indexOf('bias')].shape : [];
  const inputs = [g.transpose(x[0], NHWC_TO_NCHW), g.transpose(x[1], HWIO_TO_OIHW)];
  // a bias of one value a channel goes into Conv; anything else is added afterwards, as tfjs broadcasts it
  const biasInConv = bias !== undefined && biasShape.length === 1 && biasShape[0] === info.outChannels;
  if (biasInConv) inputs.push(bias);
  const y = g.op('Conv', inputs, {
    kernel_shape: ints([info.filterHeight, info.filterWidth]),
    pads: ints([p.top, p.left, p.bottom, p.right]),
    strides: ints([info.strideHeight, info.strideWidth]),
    dilations: ints([info.dilationHeight, info.dilationWidth]),
  });
  let out = g.transpose(y, NCHW_TO_NHWC);
  if (bias && !biasInConv) out = g.add(out, bias);
  const prelu = call.inputNames.includes('preluActivationWeights') ? x[call.inputNames.indexOf('preluActivationWeights')] : undefined;
  return [fused ? activation(g, out, call, prelu) : out];
}

/** dx of an NHWC convolution: ONNX's ConvTranspose takes the forward filter as it is. */
function conv2dBackpropInput({ g, call, x }: Emit): string[] {
  const [dy, filter] = call.inputs;
  const inputShape = attr<[number, number, number, number]>(call, 'inputShape');
  const info = tf.backend_util.computeConv2DInfo(inputShape, filter.shape as [number, number, number, number], attr(call, 'strides'), 1, attr(call, 'pad'), attr(call, 'dimRoundingMode'));
  const p = info.padInfo;
  // ConvTranspose's natural size; output_padding makes up what the forward's floor division dropped
  const natural = (n: number, s: number, k: number, a: number, b: number): number => s * (n - 1) + k - a - b;
  const extraH = inputShape[1] - natural(dy.shape[1], info.strideHeight, info.filterHeight, p.top, p.bottom);
  const extraW = inputShape[2] - natural(dy.shape[2], info.strideWidth, info.filterWidth, p.left, p.right);
  if (extraH < 0 || extraW < 0) throw new Error(`ONNX training graph: Conv2DBackpropInput to ${inputShape.join('x')} from ${dy.shape.join('x')} has no ConvTranspose form`);
  const y = g.op('ConvTranspose', [g.transpose(x[0], NHWC_TO_NCHW), g.transpose(x[1], HWIO_TO_OIHW)], {
    kernel_shape: ints([info.filterHeight, info.filterWidth]),
    pads: ints([p.top, p.left, p.bottom, p.right]),
    strides: ints([info.strideHeight, info.strideWidth]),
    output_padding: ints([extraH, extraW]),
  });
  return [g.transpose(y, NCHW_TO_NHWC)];
}

/**
 * dW of an NHWC convolution as one Conv: dW[ky, kx, ci, co] = sum over n, oy, ox of
 * x[n, oy*s + ky - pad, ox*s + kx - pad, ci] dy[n, oy, ox, co], which is a correlation of x with the
 * input channels as the batch and the images as channels, by dy as the filter, dilated by the stride.
 */
function conv2dBackpropFilter({ g, call, x }: Emit): string[] {
  const [input, dy] = call.inputs;
  const filterShape = attr<[number, number, number, number]>(call, 'filterShape');
  const info = tf.backend_util.computeConv2DInfo(input.shape as [number, number, number, number], filterShape, attr(call, 'strides'), 1, attr(call, 'pad'), attr(call, 'dimRoundingMode'));
  const p = info.padInfo;
  const xs = g.transpose(x[0], [3, 0, 1, 2]); // [Ci, N, H, W]
  const ws = g.transpose(x[1], [3, 0, 1, 2]); // [Co, N, Ho, Wo]
  let y = g.op('Conv', [xs, ws], {
    kernel_shape: ints([dy.shape[1], dy.shape[2]]),
    pads: ints([p.top, p.left, p.bottom, p.right]),
    strides: ints([1, 1]),
    dilations: ints([info.strideHeight, info.strideWidth]),
  }); // [Ci, Co, >= kh, >= kw]: rows past the last the forward reached are dropped
  const [kh, kw] = filterShape;
  const outH = input.shape[1] + p.top + p.bottom - (dy.shape[1] - 1) * info.strideHeight;
  const outW = input.shape[2] + p.left + p.right - (dy.shape[2] - 1) * info.strideWidth;
  if (outH < kh || outW < kw) throw new Error(`ONNX training graph: Conv2DBackpropFilter of ${filterShape.join('x')} has no Conv form`);
  if (outH !== kh || outW !== kw) y = g.op('Slice', [y, g.int64s([0, 0]), g.int64s([kh, kw]), g.int64s([2, 3])]);
  return [g.transpose(y, [2, 3, 0, 1])];
}

function depthwiseConv2d({ g, call, x }: Emit): string[] {
  const [input, filter] = call.inputs;
  const [kh, kw, channels, mult] = filter.shape;
  const info = tf.backend_util.computeConv2DInfo(
    input.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attr(call, 'strides'), attr(call, 'dilations') ?? 1, attr(call, 'pad'), attr(call, 'dimRoundingMode'), true,
  );
  const p = info.padInfo;
  const w = g.reshape(g.transpose(x[1], [2, 3, 0, 1]), [channels * mult, 1, kh, kw]);
  const y = g.op('Conv', [g.transpose(x[0], NHWC_TO_NCHW), w], {
    kernel_shape: ints([kh, kw]), pads: ints([p.top, p.left, p.bottom, p.right]),
    strides: ints([info.strideHeight, info.strideWidth]), dilations: ints([info.dilationHeight, info.dilationWidth]), group: int(channels),
  });
  return [g.transpose(y, NCHW_TO_NHWC)];
}

function swapLast(g: OnnxGraph, name: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return g.transpose(name, perm);
}

function matMul(e: Emit, fused: boolean): string[] {
  const { g, call, x } = e;
  const [a, b] = call.inputs;
  const left = attr<boolean>(call, 'transposeA') ? swapLast(g, x[0], a.shape.length) : x[0];
  const right = attr<boolean>(call, 'transposeB') ? swapLast(g, x[1], b.shape.length) : x[1];
  let y = g.matMul(left, right);
  if (!fused) return [y];
  const bias = call.inputNames.indexOf('bias');
  if (bias >= 0) y = g.add(y, x[bias]);
  const prelu = call.inputNames.indexOf('preluActivationWeights');
  return [activation(g, y, call, prelu >= 0 ? x[prelu] : undefined)];
}

function leadingAxes(axes: readonly number[]): boolean {
  return axes.every((a, i) => a === i);
}

/**
 * A sum over the first k axes (a bias's gradient: over the batch and every position) as ones[1, R] x
 * X[R, C]: ONNX Runtime's ReduceSum takes 3.7 ms for [16384, 16] over axis 0 on this project's
 * machine, a sixth of the demo training step in all (measured with its profiler), where the matrix
 * product streams the same megabyte once. The summation order differs from tfjs's; the engine's
 * first-step check bounds the difference.
 */
function leadingSum(g: OnnxGraph, x: string, shape: readonly number[], k: number, keepDims: boolean): string {
  const rows = shape.slice(0, k).reduce((a, b) => a * b, 1);
  const rest = shape.slice(k);
  const cols = rest.reduce((a, b) => a * b, 1);
  const sum = g.matMul(g.onesRow(rows), g.reshape(x, [rows, cols]));
  return g.reshape(sum, keepDims ? [...shape.slice(0, k).map(() => 1), ...rest] : rest);
}

function reduce(op: string, axisAttr = 'axis'): Translate {
  return ({ g, call, x }) => {
    const axes = normAxes(attr(call, axisAttr), call.inputs[0].shape.length);
    const keepdims = int(attr<boolean>(call, 'keepDims') ? 1 : 0);
    if (axes.length === 0) return [g.op('Identity', [x[0]])];
    if (op === 'ReduceSum') {
      const shape = call.inputs[0].shape;
      if (leadingAxes(axes) && axes.length < shape.length) return [leadingSum(g, x[0], shape, axes.length, attr<boolean>(call, 'keepDims') === true)];
      // opset 17: ReduceSum takes its axes as an input, the others as an attribute
      return [g.op(op, [x[0], g.int64s(axes)], { keepdims })];
    }
    return [g.op(op, [x[0]], { axes: ints(axes), keepdims })];
  };
}

function cast({ g, call, x }: Emit): string[] {
  const to = attr<string>(call, 'dtype');
  if (to === call.inputs[0].dtype) return [x[0]];
  const code = to === 'float32' ? ONNX_FLOAT : to === 'int32' ? ONNX_INT32 : to === 'bool' ? ONNX_BOOL : undefined;
  if (code === undefined) throw new Error(`ONNX training graph: Cast to ${to} is not supported`);
  return [g.op('Cast', [x[0]], { to: int(code) })];
}

function slice({ g, call, x }: Emit): string[] {
  const begin = attr<number[]>(call, 'begin');
  const out = call.outputs[0].shape;
  const axes = begin.map((_, i) => i);
  return [g.op('Slice', [x[0], g.int64s(begin), g.int64s(begin.map((b, i) => b + out[i])), g.int64s(axes)])];
}

function reverse({ g, call, x }: Emit): string[] {
  const rank = call.inputs[0].shape.length;
  const dims = normAxes(attr(call, 'dims'), rank);
  if (dims.length === 0) return [x[0]];
  const big = -(2 ** 31);
  return [g.op('Slice', [x[0], g.int64s(dims.map(() => -1)), g.int64s(dims.map(() => big)), g.int64s(dims), g.int64s(dims.map(() => -1))])];
}

function pad({ g, call, x }: Emit): string[] {
  const paddings = attr<Array<[number, number]>>(call, 'paddings');
  const pads = [...paddings.map((p) => p[0]), ...paddings.map((p) => p[1])];
  return [g.op('Pad', [x[0], g.int64s(pads), g.scalar(attr<number>(call, 'constantValue') ?? 0)], { mode: str('constant') })];
}

function concat({ g, call, x }: Emit): string[] {
  const rank = call.inputs[0].shape.length;
  const axis = normAxes(attr(call, 'axis'), rank)[0];
  return [g.concat(x, axis)];
}

function pack({ g, call, x }: Emit): string[] {
  const rank = call.inputs[0].shape.length + 1;
  const axis = normAxes(attr(call, 'axis'), rank)[0];
  return [g.concat(call.inputs.map((t, i) => g.reshape(x[i], [...t.shape.slice(0, axis), 1, ...t.shape.slice(axis)])), axis)];
}

function unpack({ g, call, x }: Emit): string[] {
  const rank = call.inputs[0].shape.length;
  const axis = normAxes(attr(call, 'axis'), rank)[0];
  const n = call.outputs.length;
  const parts = g.opMulti('Split', [x[0], g.int64s(call.outputs.map(() => 1))], { axis: int(axis) }, n);
  return parts.map((p, i) => g.reshape(p, call.outputs[i].shape));
}

function split({ g, call, x }: Emit): string[] {
  const rank = call.inputs[0].shape.length;
  const axis = normAxes(attr(call, 'axis'), rank)[0];
  const sizes = call.outputs.map((o) => o.shape[axis]);
  return g.opMulti('Split', [x[0], g.int64s(sizes)], { axis: int(axis) }, sizes.length);
}

function resizeBilinear({ g, call, x }: Emit): string[] {
  const [n, , , c] = call.inputs[0].shape;
  const [h, w] = attr<[number, number]>(call, 'size');
  const mode = attr<boolean>(call, 'alignCorners') ? 'align_corners' : attr<boolean>(call, 'halfPixelCenters') ? 'half_pixel' : 'asymmetric';
  const y = g.op('Resize', [g.transpose(x[0], NHWC_TO_NCHW), '', '', g.int64s([n, c, h, w])], { mode: str('linear'), coordinate_transformation_mode: str(mode) });
  return [g.transpose(y, NCHW_TO_NHWC)];
}

function step({ g, call, x }: Emit): string[] {
  // tfjs: 1 where x > 0, alpha elsewhere
  return [g.op('Where', [g.op('Greater', [x[0], g.scalar(0)]), g.scalar(1), g.scalar(attr<number>(call, 'alpha') ?? 0)])];
}

/** tfjs batchNorm: (x - mean) / sqrt(variance + eps) * scale + offset, scale and offset optional */
function batchNorm({ g, call, x }: Emit): string[] {
  const input = (name: string): string | undefined => (call.inputNames.includes(name) ? x[call.inputNames.indexOf(name)] : undefined);
  const inv = g.op('Reciprocal', [g.op('Sqrt', [g.add(input('variance') as string, g.scalar(attr<number>(call, 'varianceEpsilon') ?? 0.001))])]);
  let y = g.mul(g.op('Sub', [input('x') as string, input('mean') as string]), inv);
  const scale = input('scale');
  const offset = input('offset');
  if (scale) y = g.mul(y, scale);
  if (offset) y = g.add(y, offset);
  return [y];
}

export const KERNELS: Readonly<Record<string, Translate>> = {
  Identity: ({ x }) => [x[0]],
  Reshape: ({ g, call, x }) => [g.reshape(x[0], call.outputs[0].shape)],
  Cast: cast,
  Add: binary('Add'),
  Sub: binary('Sub'),
  Multiply: binary('Mul'),
  RealDiv: binary('Div'),
  Pow: binary('Pow'),
  Maximum: binary('Max'),
  Minimum: binary('Min'),
  SquaredDifference: ({ g, x }) => {
    const d = g.op('Sub', [x[0], x[1]]);
    return [g.mul(d, d)];
  },
  Square: ({ g, x }) => [g.mul(x[0], x[0])],
  Rsqrt: ({ g, x }) => [g.op('Reciprocal', [g.op('Sqrt', [x[0]])])],
  Neg: unary('Neg'),
  Sqrt: unary('Sqrt'),
  Exp: unary('Exp'),
  Log: unary('Log'),
  Abs: unary('Abs'),
  Tanh: unary('Tanh'),
  Reciprocal: unary('Reciprocal'),
  Sigmoid: unary('Sigmoid'),
  Erf: unary('Erf'),
  Relu: unary('Relu'),
  Step: step,
  Softmax: ({ g, call, x }) => [g.op('Softmax', [x[0]], { axis: int(normAxes(attr(call, 'dim'), call.inputs[0].shape.length)[0]) })],
  Transpose: ({ g, call, x }) => [g.transpose(x[0], attr<number[]>(call, 'perm'))],
  Slice: slice,
  Reverse: reverse,
  PadV2: pad,
  Concat: concat,
  Pack: pack,
  Unpack: unpack,
  SplitV: split,
  Tile: ({ g, call, x }) => [g.op('Tile', [x[0], g.int64s(attr<number[]>(call, 'reps'))])],
  Sum: reduce('ReduceSum'),
  Mean: reduce('ReduceMean'),
  Max: reduce('ReduceMax', 'reductionIndices'),
  Min: reduce('ReduceMin', 'reductionIndices'),
  BatchMatMul: (e) => matMul(e, false),
  _FusedMatMul: (e) => matMul(e, true),
  Conv2D: (e) => conv2d(e, false),
  FusedConv2D: (e) => conv2d(e, true),
  Conv2DBackpropInput: conv2dBackpropInput,
  Conv2DBackpropFilter: conv2dBackpropFilter,
  DepthwiseConv2dNative: depthwiseConv2d,
  ResizeBilinear: resizeBilinear,
  FusedBatchNorm: batchNorm,
};

/** The ONNX names of a call's outputs; refuses a kernel this file does not translate, by name. */
export function translate(e: Emit): string[] {
  const t = KERNELS[e.call.name];
  if (!t) throw new Error(`ONNX training graph: the kernel ${e.call.name} has no ONNX translation (src/onnx/kernels.ts)`);
  const out = t(e);
  if (out.length !== e.call.outputs.length) throw new Error(`ONNX training graph: ${e.call.name} gave ${out.length} outputs for ${e.call.outputs.length}`);
  return out;
}
