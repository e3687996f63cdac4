// A pickle assembler for the tests: opcode by opcode (byte codes from CPython's pickletools), and a
// torch.save-style zip around it. It records where each opcode and length field starts, so the
// fuzzer can aim at them.
import { type Zippable, zipSync } from 'fflate';

export class PickleWriter {
  private readonly out: number[] = [];
  /** Offsets of opcodes and of their length / value arguments. */
  readonly hot: number[] = [];

  raw(...bytes: number[]): this {
    this.hot.push(this.out.length);
    for (const b of bytes) this.out.push(b);
    return this;
  }
  proto(n = 2): this {
    return this.raw(0x80, n);
  }
  mark(): this {
    return this.raw(0x28);
  }
  stop(): this {
    return this.raw(0x2e);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  emptyList(): this {
    return this.raw(0x5d);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  tuple(): this {
    return this.raw(0x74);
  }
  tuple1(): this {
    return this.raw(0x85);
  }
  tuple2(): this {
    return this.raw(0x86);
  }
  setitem(): this {
    return this.raw(0x73);
  }
  setitems(): this {
    return this.raw(0x75);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  build(): this {
    return this.raw(0x62);
  }
  newobj(): this {
    return this.raw(0x81);
  }
  binpersid(): this {
    return this.raw(0x51);
  }
  newFalse(): this {
    return this.raw(0x89);
  }
  binput(i: number): this {
    return this.raw(0x71, i);
  }
  binget(i: number): this {
    return this.raw(0x68, i);
  }
  /** BINUNICODE: 4-byte length, UTF-8. */
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.raw(0x58, ...le(b.length, 4), ...b);
  }
  /** SHORT_BINUNICODE: 1-byte length. */
  shortStr(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.raw(0x8c, b.length, ...b);
  }
  /** SHORT_BINBYTES. */
  shortBytes(b: Uint8Array): this {
    return this.raw(0x43, b.length, ...b);
  }
  /** BININT1 / BININT2 / BININT as the value needs, LONG1 beyond 32 bits. */
  int(n: number): this {
    if (n >= 0 && n < 256) return this.raw(0x4b, n);
    if (n >= 0 && n < 65536) return this.raw(0x4d, ...le(n, 2));
    if (n >= -(2 ** 31) && n < 2 ** 31) return this.raw(0x4a, ...le(n >>> 0, 4));
    // Two's complement, little-endian, with room for the sign bit.
    let v = BigInt(n);
    const bytes: number[] = [];
    for (let k = 0; k < 9; k++, v >>= 8n) bytes.push(Number(v & 0xffn));
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  /** LONG1 of any size: little-endian two's complement, as short as the value allows. */
  long1(v: bigint): this {
    const bytes: number[] = [];
    let x = v;
    do {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    } while (!(x === 0n && (bytes[bytes.length - 1]! & 0x80) === 0) && !(x === -1n && (bytes[bytes.length - 1]! & 0x80) !== 0));
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  /** GLOBAL (protocol 0-2): `module\nname\n`. */
  global(module: string, name: string): this {
    return this.raw(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  /** STACK_GLOBAL (protocol 4): module and name pushed as strings first. */
  stackGlobal(module: string, name: string): this {
    return this.shortStr(module).shortStr(name).raw(0x93);
  }
  /** INST (protocol 0): module and name lines, arguments since the last MARK. */
  inst(module: string, name: string): this {
    return this.raw(0x69, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  /** A tuple of small ints, as torch writes sizes and strides. */
  ints(values: readonly number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }
  /** `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, size, stride, False, OrderedDict())`. */
  tensor(storageType: string, key: string, numel: number, offset: number, size: readonly number[], stride: readonly number[]): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark();
    this.mark().str('storage').global('torch', storageType).str(key).str('cpu').int(numel).tuple().binpersid();
    this.int(offset).ints(size).ints(stride).newFalse();
    this.global('collections', 'OrderedDict').emptyTuple().reduce();
    return this.tuple().reduce();
  }
  bytes(): Uint8Array {
    return new Uint8Array(this.out);
  }
}

function le(n: number, width: number): number[] {
  return Array.from({ length: width }, (_, i) => Math.floor(n / 256 ** i) % 256);
}

/** Row-major strides of a shape. */
export function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) stride[d] = stride[d + 1]! * shape[d + 1]!;
  return stride;
}

/** A torch.save-style zip: `<prefix>/data.pkl`, `<prefix>/data/<key>`, `<prefix>/version`. */
export function zipPth(pkl: Uint8Array, storages: Readonly<Record<string, Uint8Array>>, deflate = false, prefix = 'archive'): Uint8Array {
  const level = deflate ? 6 : 0;
  const files: Zippable = { [`${prefix}/data.pkl`]: [pkl, { level }] };
  for (const [key, data] of Object.entries(storages)) files[`${prefix}/data/${key}`] = [data, { level }];
  files[`${prefix}/version`] = [new TextEncoder().encode('3\n'), { level: 0 }];
  return zipSync(files);
}

/**
 * The same archive in zip64 form, as torch writes files over 4 GB: every central-directory size
 * and offset is 0xFFFFFFFF with the real values in a 0x0001 extra field, and a zip64
 * end-of-central-directory record and locator precede the classic end record.
 */
export function toZip64(zip: Uint8Array): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = zip.byteLength - 22;
  while (view.getUint32(end, true) !== 0x06054b50) end--;
  const count = view.getUint16(end + 10, true);
  const cdOffset = view.getUint32(end + 16, true);
  const entries: Uint8Array[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    const head = zip.slice(at, at + 46 + nameLen);
    const h = new DataView(head.buffer);
    const extra = new Uint8Array(4 + 24);
    const x = new DataView(extra.buffer);
    x.setUint16(0, 0x0001, true);
    x.setUint16(2, 24, true);
    // Order fixed by the zip specification: uncompressed size, compressed size, local header offset.
    x.setBigUint64(4, BigInt(h.getUint32(24, true)), true);
    x.setBigUint64(12, BigInt(h.getUint32(20, true)), true);
    x.setBigUint64(20, BigInt(h.getUint32(42, true)), true);
    h.setUint32(20, 0xffffffff, true);
    h.setUint32(24, 0xffffffff, true);
    h.setUint32(42, 0xffffffff, true);
    h.setUint16(30, extra.byteLength, true);
    h.setUint16(32, 0, true);
    entries.push(head, extra);
    at += 46 + nameLen + extraLen + commentLen;
  }
  const cd = entries.reduce((n, e) => n + e.byteLength, 0);
  const out = new Uint8Array(cdOffset + cd + 56 + 20 + 22);
  out.set(zip.subarray(0, cdOffset));
  let o = cdOffset;
  for (const e of entries) {
    out.set(e, o);
    o += e.byteLength;
  }
  const v = new DataView(out.buffer);
  const end64 = o;
  v.setUint32(o, 0x06064b50, true);
  v.setBigUint64(o + 4, 44n, true);
  v.setUint16(o + 12, 45, true);
  v.setUint16(o + 14, 45, true);
  v.setBigUint64(o + 24, BigInt(count), true);
  v.setBigUint64(o + 32, BigInt(count), true);
  v.setBigUint64(o + 40, BigInt(cd), true);
  v.setBigUint64(o + 48, BigInt(cdOffset), true);
  o += 56;
  v.setUint32(o, 0x07064b50, true);
  v.setBigUint64(o + 8, BigInt(end64), true);
  v.setUint32(o + 16, 1, true);
  o += 20;
  v.setUint32(o, 0x06054b50, true);
  v.setUint16(o + 8, 0xffff, true);
  v.setUint16(o + 10, 0xffff, true);
  v.setUint32(o + 12, 0xffffffff, true);
  v.setUint32(o + 16, 0xffffffff, true);
  return out;
}
