/**
 * Element types, the decoded tensor record shared by the .safetensors and .pth readers, and the
 * exact float16 / bfloat16 conversions. Plain typed arrays only: this layer knows nothing of
 * TensorFlow.js, so it can be tested and reused without a backend.
 */

/** Element types, spelled as safetensors spells them; .pth storages map onto the same names. */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element as stored in a file. */
export const DTYPE_ITEMSIZE: Readonly<Record<DType, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPE_ITEMSIZE, s);
}

/**
 * A tensor's decoded values in row-major (C) order. `dtype` is the type stored in the file;
 * F16 and BF16 are widened to float32 on read (exactly: every half and bfloat16 value is a
 * float32 value) and narrowed with round-to-nearest-even on write.
 */
export type RawTensor =
  | { dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; data: Float32Array }
  | { dtype: 'F64'; shape: number[]; data: Float64Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array }
  | { dtype: 'I16'; shape: number[]; data: Int16Array }
  | { dtype: 'I8'; shape: number[]; data: Int8Array }
  | { dtype: 'U8' | 'BOOL'; shape: number[]; data: Uint8Array };

export type TensorData = RawTensor['data'];

export type CheckpointFormat = 'safetensors' | 'pth';

/** What a checkpoint file holds: tensors by name (in file order) and string metadata. */
export interface TensorFile {
  format: CheckpointFormat;
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

/** Number of elements of a shape; the empty shape is a scalar (1 element). */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether `shape` is a list of non-negative safe integers with a safe-integer product. */
export function isValidShape(shape: unknown): shape is number[] {
  if (!Array.isArray(shape)) return false;
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return false;
    n *= d;
  }
  return Number.isSafeInteger(n);
}

/** The typed array class that holds decoded values of each dtype. */
function dataClassOf(dtype: DType): string {
  switch (dtype) {
    case 'F32':
    case 'F16':
    case 'BF16':
      return 'Float32Array';
    case 'F64':
      return 'Float64Array';
    case 'I64':
      return 'BigInt64Array';
    case 'I32':
      return 'Int32Array';
    case 'I16':
      return 'Int16Array';
    case 'I8':
      return 'Int8Array';
    case 'U8':
    case 'BOOL':
      return 'Uint8Array';
  }
}

/**
 * Pairs a dtype with its data, checking that the array class suits the dtype and that its
 * length matches the shape. Returns a problem string instead of throwing so each caller can
 * name the file and tensor.
 */
export function checkTensor(dtype: DType, shape: readonly number[], data: TensorData): string | undefined {
  const want = dataClassOf(dtype);
  // Buffer is a Uint8Array subclass; compare by the standard class, not the exact constructor.
  const ok =
    want === 'Uint8Array' ? data instanceof Uint8Array : data.constructor.name === want;
  if (!ok) return `dtype ${dtype} needs a ${want} of values, got ${data.constructor.name}`;
  if (!isValidShape(shape)) return `invalid shape ${JSON.stringify(shape)}`;
  const n = numelOf(shape);
  if (data.length !== n) return `shape [${shape.join(', ')}] has ${n} elements, data has ${data.length}`;
  return undefined;
}

/** Builds a RawTensor after `checkTensor` approved the pairing. */
export function rawTensor(dtype: DType, shape: number[], data: TensorData): RawTensor {
  return { dtype, shape, data } as RawTensor;
}

// ---------------------------------------------------------------------------------------------
// Byte order. Files are little-endian (safetensors always; .pth unless its `byteorder` says
// otherwise). Typed arrays use the host order, so decode and encode go through native views
// and swap bytes only where the orders differ.

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A copy of `bytes` with every `width`-byte group reversed. */
function swapped(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  for (let i = 0; i < bytes.byteLength; i += width) {
    for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j]!;
  }
  return out;
}

interface TypedArrayClass<T> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * A typed array over `bytes` in the file's byte order: a view when aligned (no copy, it shares
 * the file buffer), otherwise one copy.
 */
function nativeView<T>(bytes: Uint8Array, cls: TypedArrayClass<T>, littleEndian: boolean): T {
  const k = cls.BYTES_PER_ELEMENT;
  const n = bytes.byteLength / k;
  if (k > 1 && littleEndian !== HOST_LITTLE_ENDIAN) return new cls(swapped(bytes, k).buffer, 0, n);
  if (bytes.byteOffset % k === 0) return new cls(bytes.buffer, bytes.byteOffset, n);
  return new cls(new Uint8Array(bytes).buffer, 0, n);
}

/**
 * Decodes stored elements into the typed array for `dtype`. `bytes.byteLength` must be a
 * multiple of the item size (callers check it against the shape first). The result may be a
 * view of `bytes`.
 */
export function decodeElements(bytes: Uint8Array, dtype: DType, littleEndian = true): TensorData {
  switch (dtype) {
    case 'F32':
      return nativeView(bytes, Float32Array, littleEndian);
    case 'F64':
      return nativeView(bytes, Float64Array, littleEndian);
    case 'I64':
      return nativeView(bytes, BigInt64Array, littleEndian);
    case 'I32':
      return nativeView(bytes, Int32Array, littleEndian);
    case 'I16':
      return nativeView(bytes, Int16Array, littleEndian);
    case 'I8':
      return nativeView(bytes, Int8Array, littleEndian);
    case 'U8':
    case 'BOOL':
      return nativeView(bytes, Uint8Array, littleEndian);
    case 'F16': {
      const half = nativeView(bytes, Uint16Array, littleEndian);
      const table = f16Table();
      const out = new Float32Array(half.length);
      for (let i = 0; i < half.length; i++) out[i] = table[half[i]!]!;
      return out;
    }
    case 'BF16': {
      const half = nativeView(bytes, Uint16Array, littleEndian);
      const out = new Float32Array(half.length);
      const bits = new Uint32Array(out.buffer);
      // bfloat16 is the top half of a float32: widening is a shift.
      for (let i = 0; i < half.length; i++) bits[i] = half[i]! << 16;
      return out;
    }
  }
}

/**
 * The little-endian bytes of a tensor as stored in a file of its dtype: a view of the data
 * where the layout already matches (F32 and the integer types on a little-endian host),
 * otherwise a new buffer (F16 and BF16 are rounded to nearest even).
 */
export function encodeElements(t: RawTensor): Uint8Array {
  let native: Uint8Array;
  if (t.dtype === 'F16' || t.dtype === 'BF16') {
    const bits = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    const out = new Uint16Array(t.data.length);
    const narrow = t.dtype === 'F16' ? f16BitsFromF32Bits : bf16BitsFromF32Bits;
    for (let i = 0; i < out.length; i++) out[i] = narrow(bits[i]!);
    native = new Uint8Array(out.buffer);
  } else {
    native = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  const k = DTYPE_ITEMSIZE[t.dtype];
  return k > 1 && !HOST_LITTLE_ENDIAN ? swapped(native, k) : native;
}

// ---------------------------------------------------------------------------------------------
// float16 and bfloat16. Narrowing works on the float32 bit pattern so that rounding is exact
// (round to nearest, ties to even, as IEEE 754 and PyTorch's .half() / .bfloat16() do).

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

function f32Bits(x: number): number {
  scratch[0] = x;
  return scratchBits[0]!;
}

/** Rounds `m` right by `s` bits (1 <= s <= 31), ties to even. */
function shiftRoundEven(m: number, s: number): number {
  const q = m >>> s;
  const rest = m & ((1 << s) - 1);
  const half = 1 << (s - 1);
  return rest > half || (rest === half && (q & 1) === 1) ? q + 1 : q;
}

/** The float16 bit pattern nearest to the float32 with bit pattern `bits`. */
export function f16BitsFromF32Bits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13); // inf, quiet NaN
  const e = exp - 127 + 15; // float16 biased exponent
  if (e >= 31) return sign | 0x7c00; // too large even before rounding: infinity
  if (e >= 1) {
    // Normal: keep 10 of 23 mantissa bits. A carry out of the mantissa bumps the exponent,
    // and from the largest finite value into infinity, which is the correct rounding.
    return sign | shiftRoundEven((e << 23) | mant, 13);
  }
  // Subnormal half (or zero): value / 2^-24 rounded, i.e. the 24-bit significand shifted right.
  const s = 14 - e; // >= 14
  if (s > 24 || exp === 0) return sign; // below half the smallest subnormal (float32 subnormals too)
  return sign | shiftRoundEven(mant | 0x800000, s);
}

/** The bfloat16 bit pattern nearest to the float32 with bit pattern `bits`. */
export function bf16BitsFromF32Bits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff; // quiet NaN
  // Carries propagate into the exponent, so overflow to infinity comes out right.
  return shiftRoundEven(bits, 16) & 0xffff;
}

/** The float16 bit pattern nearest to `x` (first rounded to float32, as a Float32Array holds it). */
export function float32ToF16Bits(x: number): number {
  return f16BitsFromF32Bits(f32Bits(x));
}

/** The bfloat16 bit pattern nearest to `x` (first rounded to float32). */
export function float32ToBf16Bits(x: number): number {
  return bf16BitsFromF32Bits(f32Bits(x));
}

/** The exact value of a float16 bit pattern. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

/** The exact value of a bfloat16 bit pattern. */
export function bf16BitsToNumber(b: number): number {
  scratchBits[0] = (b & 0xffff) << 16;
  return scratch[0]!;
}

let f16Lookup: Float32Array | undefined;

/** All 65536 float16 values, built once: decoding is then one lookup per element. */
function f16Table(): Float32Array {
  if (f16Lookup === undefined) {
    f16Lookup = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Lookup[h] = f16BitsToNumber(h);
  }
  return f16Lookup;
}

// ---------------------------------------------------------------------------------------------

/**
 * The values of a floating-point tensor as float32: F32, F16 and BF16 as decoded (no copy),
 * F64 rounded to nearest. Integer and boolean tensors are refused, since treating e.g. an int64
 * counter as a weight is a bug, not a conversion. `name` labels the error message.
 */
export function toFloat32(t: RawTensor, name = 'tensor'): Float32Array {
  switch (t.dtype) {
    case 'F32':
    case 'F16':
    case 'BF16':
      return t.data;
    case 'F64':
      return Float32Array.from(t.data);
    default:
      throw new TypeError(`${name}: dtype ${t.dtype} is not a floating-point type; refusing to read it as float32`);
  }
}
