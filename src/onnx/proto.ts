// The few ONNX protobuf messages an exported model needs (onnx/onnx.proto3, IR version 8), written
// by hand: the npm ports of the ONNX schema are generated readers for old IR versions, and a writer
// is short. Messages are kept as lists of byte parts, so a 400 MB weight tensor is copied once, into
// the final buffer, however deep it is nested.

/** A message under construction: its encoded fields, in order. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.size += bytes.length;
  }

  private key(field: number, wire: 0 | 2 | 5): void {
    this.push(varint(BigInt(field * 8 + wire)));
  }

  /** int64/int32/enum field (varint; negatives as ten-byte two's complement, as protobuf does) */
  int(field: number, value: number): this {
    this.key(field, 0);
    this.push(varint(BigInt(value)));
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.push(varint(BigInt(value.length)));
    this.push(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  /** packed repeated int64 */
  ints(field: number, values: readonly number[]): this {
    const body = values.map((v) => varint(BigInt(v)));
    this.key(field, 2);
    this.push(varint(BigInt(body.reduce((n, b) => n + b.length, 0))));
    for (const b of body) this.push(b);
    return this;
  }

  /** packed repeated float */
  floats(field: number, values: readonly number[]): this {
    return this.bytes(field, new Uint8Array(Float32Array.from(values).buffer));
  }

  message(field: number, sub: ProtoWriter): this {
    this.key(field, 2);
    this.push(varint(BigInt(sub.length)));
    for (const p of sub.parts) this.push(p);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

function varint(value: bigint): Uint8Array {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? byte : byte | 0x80);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

// --- ONNX messages (field numbers from onnx.proto3) ------------------------------------------------

/** TensorProto.DataType values used here */
export const DataType = { FLOAT: 1, INT64: 7 } as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'string'; value: string };

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name: string;
  attributes: Readonly<Record<string, AttributeValue>>;
}

export interface TensorSpec {
  name: string;
  dims: readonly number[];
  type: DataTypeCode;
  /** little-endian element bytes */
  raw: Uint8Array;
}

/** A graph input or output: element type and shape, a string dimension being symbolic (the batch). */
export interface ValueSpec {
  name: string;
  type: DataTypeCode;
  dims: readonly (number | string)[];
}

export interface ModelSpec {
  graphName: string;
  nodes: readonly NodeSpec[];
  initializers: readonly TensorSpec[];
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  opset: number;
  producer: string;
  producerVersion: string;
  docString: string;
  metadata: Readonly<Record<string, string>>;
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, ints: 7 } as const;
/** ONNX IR version 8 goes with opsets up to 18 */
const IR_VERSION = 8;

function attribute(name: string, a: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (a.kind === 'float') w.float(2, a.value);
  else if (a.kind === 'int') w.int(3, a.value);
  else if (a.kind === 'string') w.string(4, a.value);
  else w.ints(8, a.value);
  return w.int(20, ATTRIBUTE_TYPE[a.kind]);
}

function node(n: NodeSpec): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.op);
  for (const [name, a] of Object.entries(n.attributes)) w.message(5, attribute(name, a));
  return w;
}

function tensor(t: TensorSpec): ProtoWriter {
  const w = new ProtoWriter();
  if (t.dims.length) w.ints(1, t.dims);
  return w.int(2, t.type).string(8, t.name).bytes(9, t.raw);
}

function valueInfo(v: ValueSpec): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().int(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().int(1, v.type).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

/** The serialized ModelProto. */
export function encodeModel(m: ModelSpec): Uint8Array {
  const graph = new ProtoWriter();
  for (const n of m.nodes) graph.message(1, node(n));
  graph.string(2, m.graphName);
  for (const t of m.initializers) graph.message(5, tensor(t));
  for (const v of m.inputs) graph.message(11, valueInfo(v));
  for (const v of m.outputs) graph.message(12, valueInfo(v));
  const model = new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, m.producer)
    .string(3, m.producerVersion)
    .string(6, m.docString)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, m.opset));
  for (const [key, value] of Object.entries(m.metadata)) model.message(14, new ProtoWriter().string(1, key).string(2, value));
  return model.finish();
}
