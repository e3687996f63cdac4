// A small ONNX graph builder: named values, weights as initializers, one method per operator the
// DGIQA export uses (opset 17). Shapes with -1 or 0 keep the batch dimension symbolic.
import { AttributeValue, DataType, ModelSpec, NodeSpec, TensorSpec, ValueSpec, encodeModel } from './proto.js';

/** ONNX opset: 17 is the first with LayerNormalization; ONNX Runtime 1.21 runs up to 22. */
export const OPSET = 17;

export const int = (value: number): AttributeValue => ({ kind: 'int', value });
export const float = (value: number): AttributeValue => ({ kind: 'float', value });
export const ints = (value: readonly number[]): AttributeValue => ({ kind: 'ints', value });
export const str = (value: string): AttributeValue => ({ kind: 'string', value });

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export class OnnxGraph {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: TensorSpec[] = [];
  readonly inputs: ValueSpec[] = [];
  readonly outputs: ValueSpec[] = [];
  private count = 0;
  /** int64 constants by value: every Reshape to one shape shares one initializer */
  private readonly intConsts = new Map<string, string>();
  private readonly onesRows = new Set<number>();

  private fresh(hint: string): string {
    return `${hint}:${this.count++}`;
  }

  input(name: string, dims: (number | string)[]): string {
    this.inputs.push({ name, type: DataType.FLOAT, dims });
    return name;
  }

  output(value: string, name: string, dims: (number | string)[]): void {
    this.op('Identity', [value], {}, name);
    this.outputs.push({ name, type: DataType.FLOAT, dims });
  }

  /** a float32 initializer; data is referenced, not copied */
  weight(name: string, data: Float32Array, dims: readonly number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`ONNX export: ${name} has ${data.length} values for shape [${dims.join(', ')}]`);
    this.initializers.push({ name, dims, type: DataType.FLOAT, raw: bytesOf(data) });
    return name;
  }

  /** a [1, n] float32 row of ones, one initializer per length */
  onesRow(n: number): string {
    const name = `ones:${n}`;
    if (!this.onesRows.has(n)) this.weight(name, new Float32Array(n).fill(1), [1, n]);
    this.onesRows.add(n);
    return name;
  }

  scalar(value: number): string {
    return this.weight(this.fresh('const'), Float32Array.of(value), []);
  }

  int64s(values: readonly number[]): string {
    const key = values.join(',');
    const known = this.intConsts.get(key);
    if (known) return known;
    const name = `shape:${key}`;
    this.initializers.push({ name, dims: [values.length], type: DataType.INT64, raw: bytesOf(BigInt64Array.from(values.map(BigInt))) });
    this.intConsts.set(key, name);
    return name;
  }

  op(type: string, inputs: readonly string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    const out = output ?? this.fresh(type);
    this.nodes.push({ op: type, inputs, outputs: [out], name: `${type}_${this.nodes.length}`, attributes });
    return out;
  }

  /** a node with several outputs (Split) */
  opMulti(type: string, inputs: readonly string[], attributes: Record<string, AttributeValue>, count: number): string[] {
    const outs = Array.from({ length: count }, () => this.fresh(type));
    this.nodes.push({ op: type, inputs, outputs: outs, name: `${type}_${this.nodes.length}`, attributes });
    return outs;
  }

  // --- operators ------------------------------------------------------------------------------

  add(a: string, b: string): string { return this.op('Add', [a, b]); }
  mul(a: string, b: string): string { return this.op('Mul', [a, b]); }
  matMul(a: string, b: string): string { return this.op('MatMul', [a, b]); }
  relu(x: string): string { return this.op('Relu', [x]); }
  sigmoid(x: string): string { return this.op('Sigmoid', [x]); }
  softmax(x: string): string { return this.op('Softmax', [x], { axis: int(-1) }); }
  reshape(x: string, shape: readonly number[]): string { return this.op('Reshape', [x, this.int64s(shape)]); }
  transpose(x: string, perm: readonly number[]): string { return this.op('Transpose', [x], { perm: ints(perm) }); }
  concat(xs: readonly string[], axis: number): string { return xs.length === 1 ? xs[0] : this.op('Concat', xs, { axis: int(axis) }); }
  /** a scalar index along an axis, which drops that axis */
  pick(x: string, axis: number, index: number): string {
    const i = this.fresh('index');
    this.initializers.push({ name: i, dims: [], type: DataType.INT64, raw: bytesOf(BigInt64Array.of(BigInt(index))) });
    return this.op('Gather', [x, i], { axis: int(axis) });
  }
  slice(x: string, axis: number, start: number, end: number): string {
    return this.op('Slice', [x, this.int64s([start]), this.int64s([end]), this.int64s([axis])]);
  }
  layerNorm(x: string, scale: string, bias: string, epsilon: number): string {
    return this.op('LayerNormalization', [x, scale, bias], { axis: int(-1), epsilon: float(epsilon) });
  }
  /** NCHW convolution; weight [out, in, kh, kw] */
  conv(x: string, weight: string, bias: string, o: { kernel: number; stride?: number; padding?: number; dilation?: number }): string {
    const p = o.padding ?? 0;
    const d = o.dilation ?? 1;
    const s = o.stride ?? 1;
    return this.op('Conv', [x, weight, bias], { kernel_shape: ints([o.kernel, o.kernel]), pads: ints([p, p, p, p]), strides: ints([s, s]), dilations: ints([d, d]) });
  }
  batchNorm(x: string, scale: string, bias: string, mean: string, variance: string, epsilon: number): string {
    return this.op('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: float(epsilon) });
  }
  /** NCHW bilinear resize by per-axis scales, PyTorch's align_corners=False sampling */
  resizeBilinear(x: string, scales: readonly number[]): string {
    const s = this.weight(this.fresh('scales'), Float32Array.from(scales), [scales.length]);
    return this.op('Resize', [x, '', s], { mode: str('linear'), coordinate_transformation_mode: str('half_pixel') });
  }
  reduceMean(x: string, axes: readonly number[]): string {
    return this.op('ReduceMean', [x], { axes: ints(axes), keepdims: int(0) });
  }

  encode(o: Omit<ModelSpec, 'nodes' | 'initializers' | 'inputs' | 'outputs' | 'opset'>): Uint8Array {
    return encodeModel({ ...o, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs, opset: OPSET });
  }
}
