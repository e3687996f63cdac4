// Fuzz inputs for the checkpoint readers: valid .pth and safetensors files (small ones built here,
// plus the committed parity fixture), mutated bytes, structure-aware mutations (pickle opcodes,
// zip fields, header JSON, wrong storage types and dtypes), and hostile pickles.
import { encodeSafetensors, numelOf, type RawTensor } from '../../src/weights/formats.js';
import type { FuzzInput } from './fuzz.js';
import { Mutator, findAll } from './mutate.js';
import { PickleWriter, contiguousStride, toZip64, zipPth } from './pickle.js';

function f32Bytes(n: number): Uint8Array {
  return new Uint8Array(Float32Array.from({ length: n }, (_, i) => i * 0.5 - 1).buffer);
}

/** The storages of the small checkpoint: key -> [storage class, numel, bytes per element]. */
const STORAGES: readonly [string, string, number, number][] = [
  ['0', 'FloatStorage', 24, 4],
  ['1', 'HalfStorage', 6, 2],
  ['2', 'BFloat16Storage', 4, 2],
  ['3', 'LongStorage', 1, 8],
];

function storageBytes(): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [key, , numel, size] of STORAGES) out[key] = key === '0' ? f32Bytes(numel) : new Uint8Array(numel * size).map((_, i) => (i * 29) & 0x3f);
  return out;
}

/** A state dict as torch writes it: conv weight and bias (views of one storage), half, bfloat16, int64. */
function stateDictPickle(p: PickleWriter, nested: boolean): PickleWriter {
  p.proto(2);
  if (nested) p.emptyDict().mark().str('epoch').int(3).str('state_dict').global('collections', 'OrderedDict').emptyTuple().reduce().binput(0);
  else p.emptyDict();
  p.mark();
  p.str('conv.weight').tensor('FloatStorage', '0', 24, 0, [2, 3, 2, 2], [12, 4, 2, 1]);
  p.str('conv.bias').tensor('FloatStorage', '0', 24, 4, [2], [1]);
  p.str('conv.t').tensor('FloatStorage', '0', 24, 0, [4, 3], [1, 4]);
  p.str('half').tensor('HalfStorage', '1', 6, 0, [2, 3], [3, 1]);
  p.str('bf16').tensor('BFloat16Storage', '2', 4, 0, [4], [1]);
  p.str('bn.num_batches_tracked').tensor('LongStorage', '3', 1, 0, [], []);
  p.setitems();
  if (nested) p.emptyDict().str('_metadata').emptyDict().setitem().build().str('lr').raw(0x47, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0).setitems();
  return p.stop();
}

export interface PthBase {
  bytes: Uint8Array;
  pickle: PickleWriter;
  deflate: boolean;
  nested: boolean;
}

export function smallPths(): PthBase[] {
  const out: PthBase[] = [];
  for (const nested of [false, true]) {
    for (const deflate of [false, true]) {
      const pickle = stateDictPickle(new PickleWriter(), nested);
      const bytes = zipPth(pickle.bytes(), storageBytes(), deflate);
      out.push({ bytes, pickle, deflate, nested }, { bytes: toZip64(bytes), pickle, deflate, nested });
    }
  }
  return out;
}

/** Offsets of zip structure: signatures and the size / offset fields of local and central headers. */
export function zipHotSpots(bytes: Uint8Array): number[] {
  const hot: number[] = [];
  for (const at of findAll(bytes, [0x50, 0x4b, 0x03, 0x04])) hot.push(at, at + 18, at + 22, at + 26, at + 28);
  for (const at of findAll(bytes, [0x50, 0x4b, 0x01, 0x02])) hot.push(at, at + 10, at + 20, at + 24, at + 28, at + 30, at + 42);
  for (const at of findAll(bytes, [0x50, 0x4b, 0x05, 0x06])) hot.push(at, at + 10, at + 12, at + 16, at + 20);
  for (const at of findAll(bytes, [0x50, 0x4b, 0x06, 0x06])) hot.push(at, at + 24, at + 32, at + 40, at + 48);
  for (const at of findAll(bytes, [0x50, 0x4b, 0x06, 0x07])) hot.push(at, at + 8);
  // zip64 extra fields (id 0x0001, 24 bytes): the 64-bit sizes and offset.
  for (const at of findAll(bytes, [0x01, 0x00, 0x18, 0x00])) hot.push(at + 4, at + 12, at + 20);
  return hot;
}

/** Where the stored data.pkl's bytes start in the archive (the first entry fflate writes). */
function pickleStart(zip: Uint8Array): number {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  return 30 + view.getUint16(26, true) + view.getUint16(28, true);
}

const STORAGE_TYPES = [
  'FloatStorage', 'HalfStorage', 'BFloat16Storage', 'DoubleStorage', 'LongStorage', 'IntStorage', 'ShortStorage',
  'CharStorage', 'ByteStorage', 'BoolStorage', 'UntypedStorage', 'ComplexFloatStorage', 'QInt8Storage', 'Tensor',
];
const INTERESTING_DIMS = [0, 1, 2, 3, 24, 255, 65535, 0x7fffffff, 0xffffffff];

/** A random, often inconsistent, tensor declaration: wrong storage types, numel, offsets, sizes, strides. */
function randomTensorPickle(m: Mutator): { pkl: Uint8Array; ops: string } {
  const type = m.pick(STORAGE_TYPES);
  const numel = m.chance(0.5) ? 24 : m.pick(INTERESTING_DIMS);
  const rank = m.int(5);
  const shape = Array.from({ length: rank }, () => (m.chance(0.6) ? 1 + m.int(4) : m.pick(INTERESTING_DIMS)));
  const stride = m.chance(0.5) ? contiguousStride(shape) : shape.map(() => (m.chance(0.3) ? 0 : m.pick(INTERESTING_DIMS)));
  const offset = m.chance(0.7) ? 0 : m.pick(INTERESTING_DIMS);
  const p = new PickleWriter().proto(2).emptyDict().str('w').tensor(type, '0', numel, offset, shape, stride).setitem().stop();
  return { pkl: p.bytes(), ops: `tensor ${type} numel=${numel} offset=${offset} size=[${shape}] stride=[${stride}]` };
}

/** Opcodes without arguments: marks, containers, calls, memo, stack shuffles. */
const BARE_OPS = [0x28, 0x29, 0x2e, 0x30, 0x31, 0x32, 0x4e, 0x5d, 0x61, 0x62, 0x64, 0x65, 0x6c, 0x73, 0x74, 0x75, 0x7d, 0x85, 0x86, 0x87, 0x88, 0x89, 0x81, 0x52, 0x93, 0x51, 0x94, 0x6f, 0x92];
/** Allowed globals, so random programs reach the handlers with random arguments. */
const ALLOWED_CALLS: readonly [string, string][] = [
  ['collections', 'OrderedDict'], ['torch._utils', '_rebuild_tensor_v2'], ['torch._utils', '_rebuild_parameter'],
  ['torch._utils', '_rebuild_from_type_v2'], ['torch', 'FloatStorage'], ['torch', 'Tensor'],
];

/** A random opcode program (no grammar): every opcode and handler meets stacks it did not expect. */
function opcodeSoup(m: Mutator): PickleWriter {
  const p = new PickleWriter().proto(m.pick([2, 4]));
  const le32 = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
  for (let k = 5 + m.int(60); k > 0; k--) {
    const r = m.int(12);
    if (r < 5) p.raw(m.pick(BARE_OPS));
    else if (r === 5) p.int(m.pick([0, 1, 2, 24, 255, 65535, 0x7fffffff, -1]));
    else if (r === 6) p.str(m.pick(['storage', '0', 'cpu', 'w', '']));
    else if (r === 7) {
      const [mod, name] = m.pick(ALLOWED_CALLS);
      p.global(mod, name);
    } else if (r === 8) p.raw(m.pick([0x71, 0x68]), m.int(4));
    else if (r === 9) p.raw(m.pick([0x72, 0x6a, 0x8b, 0x58, 0x42, 0x54]), ...le32(m.u32()));
    else if (r === 10) p.raw(m.pick([0x49, 0x4c, 0x46, 0x70, 0x67, 0x50]), ...new TextEncoder().encode(`${m.pick(['1', '-7', '01', 'x', '9'.repeat(40), '1e400', ''])}\n`));
    else p.raw(m.pick([0x8a, 0x43, 0x8c, 0x4b]), m.int(12), ...new Array<number>(m.int(12)).fill(0x41));
  }
  if (m.chance(0.8)) p.stop();
  return p;
}

/** pth cases: raw byte mutations, mutations of the pickle inside a valid zip, and random tensor declarations. */
export function pthCase(bases: readonly PthBase[], m: Mutator, i: number): FuzzInput {
  const label = `fuzz-${i}.pth`;
  const base = m.pick(bases);
  const r = m.int(100);
  if (r < 45) {
    const start = base.deflate ? 0 : pickleStart(base.bytes);
    const hot = [...zipHotSpots(base.bytes), ...(base.deflate ? [] : base.pickle.hot.map((o) => start + o))];
    const { bytes, ops } = m.mutate(base.bytes, hot);
    return { label, bytes, ops: `zip ${ops}` };
  }
  if (r < 80) {
    const { bytes: pkl, ops } = m.mutate(base.pickle.bytes(), base.pickle.hot, 4);
    return { label, bytes: zipPth(pkl, storageBytes(), base.deflate), ops: `pickle ${ops}` };
  }
  if (r < 88) {
    const soup = opcodeSoup(m);
    return { label, bytes: zipPth(soup.bytes(), storageBytes()), ops: `opcode soup ${Buffer.from(soup.bytes()).toString('hex').slice(0, 160)}` };
  }
  const { pkl, ops } = randomTensorPickle(m);
  // The storage's actual size is sometimes not what the pickle says.
  const data = m.chance(0.7) ? f32Bytes(24) : new Uint8Array(m.int(200));
  return { label, bytes: zipPth(pkl, { '0': data }, m.chance(0.3)), ops };
}

/** Cases on a big real checkpoint: mutations aimed at its zip structure and its pickle. */
export function bigPthCase(base: Uint8Array, hot: readonly number[], m: Mutator, i: number): FuzzInput {
  const { bytes, ops } = m.mutate(base, hot, 2);
  return { label: `fixture-${i}.pth`, bytes, ops };
}

// --- hostile pickles ------------------------------------------------------------------------

/** The names any RCE pickle reaches for, plus other callables a state dict never needs. */
export const HOSTILE_GLOBALS: readonly [string, string][] = [
  ['os', 'system'], ['builtins', 'eval'], ['builtins', 'exec'], ['subprocess', 'Popen'], ['posix', 'system'],
  ['nt', 'system'], ['builtins', 'getattr'], ['__builtin__', 'eval'], ['__builtin__', 'getattr'], ['builtins', '__import__'],
  ['builtins', 'compile'], ['builtins', 'open'], ['subprocess', 'check_output'], ['subprocess', 'run'], ['os', 'popen'],
  ['importlib', 'import_module'], ['pickle', 'loads'], ['torch', 'load'], ['numpy.core.multiarray', '_reconstruct'],
  ['runpy', '_run_code'], ['webbrowser', 'open'], ['shutil', 'rmtree'], ['socket', 'create_connection'],
  ['torch._utils', '_rebuild_qtensor'], ['torch.serialization', '_get_layout'], ['collections', 'defaultdict'],
];

/** The state-dict allow-list of src/weights/pth.ts, as the test sees it: random names must avoid these. */
const ALLOWED = new Set([
  'collections.OrderedDict', 'torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state', 'torch._utils._rebuild_from_type_v2', 'torch.Tensor', 'torch.nn.parameter.Parameter',
  ...['Float', 'Half', 'BFloat16', 'Double', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool', 'Untyped'].map((t) => `torch.${t}Storage`),
  'torch.storage.UntypedStorage',
]);

function identifier(m: Mutator): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz_ABCXYZ0123456789';
  const n = 1 + m.int(12);
  let s = m.pick(['', '_', '__']);
  for (let k = 0; k < n; k++) s += chars[m.int(chars.length)];
  return s;
}

function randomGlobal(m: Mutator): [string, string] {
  for (;;) {
    const module = m.chance(0.4) ? m.pick(['torch', 'torch._utils', 'collections', 'builtins', 'os', 'numpy']) : identifier(m);
    const name = m.chance(0.2) ? `${identifier(m)}.${identifier(m)}` : identifier(m);
    if (!ALLOWED.has(`${module}.${name}`)) return [module, name];
  }
}

export interface HostileCase extends FuzzInput {
  /** The substring the refusal must contain (it names the global, or the refused opcode). */
  expect: string;
}

/**
 * A pickle that names a forbidden global and calls it (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST, BUILD)
 * with a command that would create `sentinel`, alone or hidden inside a valid state dict.
 */
export function hostileCase(m: Mutator, i: number, sentinel: string): HostileCase {
  const [module, name] = m.chance(0.6) ? m.pick(HOSTILE_GLOBALS) : randomGlobal(m);
  const command = module.includes('builtin') ? `__import__('os').system('touch ${sentinel}')` : `touch ${sentinel}`;
  const p = new PickleWriter().proto(m.pick([0, 2, 3, 4, 5]));
  const embed = m.chance(0.5);
  if (embed) p.emptyDict().mark().str('w').tensor('FloatStorage', '0', 24, 0, [24], [1]).str('x');
  const naming = m.pick(['global', 'stack', 'stack-memo', 'inst', 'obj', 'ext'] as const);
  const call = m.pick(['reduce', 'newobj', 'newobj_ex', 'build', 'value'] as const);
  let expect = `refusing pickle global "${module}.${name}"`;
  if (naming === 'inst') {
    p.mark().str(command).inst(module, name);
  } else if (naming === 'obj') {
    p.mark().global(module, name).str(command).raw(0x6f);
  } else if (naming === 'ext') {
    // EXT1/2/4 name a global through the copyreg registry: refused as an opcode.
    p.raw(...m.pick([[0x82, 1], [0x83, 1, 0], [0x84, 1, 0, 0, 0]])).str(command).tuple1().reduce();
    expect = 'refusing pickle extension-registry opcode';
  } else {
    if (naming === 'global') p.global(module, name);
    else if (naming === 'stack') p.str(module).str(name).raw(0x93);
    else p.shortStr(module).binput(7).raw(0x30).shortStr(name).binput(8).raw(0x30).binget(7).binget(8).raw(0x93);
    if (call === 'reduce') p.str(command).tuple1().reduce();
    else if (call === 'newobj') p.str(command).tuple1().newobj();
    else if (call === 'newobj_ex') p.str(command).tuple1().emptyDict().raw(0x92);
    else if (call === 'build') p.emptyDict().str('__setstate__').str(command).setitem().build();
  }
  if (embed) p.setitems();
  p.stop();
  const label = `evil-${i}.pth`;
  return { label, bytes: zipPth(p.bytes(), { '0': f32Bytes(24) }), ops: `${naming}/${call} ${module}.${name}${embed ? ' in a state dict' : ''}`, expect };
}

// --- safetensors ---------------------------------------------------------------------------

export function smallSafetensors(): Uint8Array {
  const t = (dtype: RawTensor['dtype'], shape: number[]): RawTensor => {
    const n = numelOf(shape);
    switch (dtype) {
      case 'F64': return { dtype, shape, data: Float64Array.from({ length: n }, (_, i) => i / 3) };
      case 'I64': return { dtype, shape, data: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) - 2n) };
      case 'I32': return { dtype, shape, data: Int32Array.from({ length: n }, (_, i) => i * 1000) };
      case 'I16': return { dtype, shape, data: Int16Array.from({ length: n }, (_, i) => -i) };
      case 'I8': return { dtype, shape, data: Int8Array.from({ length: n }, (_, i) => i) };
      case 'U8': case 'BOOL': return { dtype, shape, data: Uint8Array.from({ length: n }, (_, i) => i & 1) };
      default: return { dtype, shape, data: Float32Array.from({ length: n }, (_, i) => i * 0.25) };
    }
  };
  const tensors = new Map<string, RawTensor>([
    ['conv.weight', t('F32', [2, 3, 2, 2])],
    ['conv.bias', t('F32', [2])],
    ['half', t('F16', [4])],
    ['bf16', t('BF16', [2, 2])],
    ['steps', t('I64', [])],
    ['ids', t('I32', [3])],
    ['s16', t('I16', [2])],
    ['s8', t('I8', [3])],
    ['mask', t('BOOL', [5])],
    ['bytes', t('U8', [0])],
    ['f64', t('F64', [2])],
  ]);
  return encodeSafetensors(tensors, { format: 'pt', note: 'fuzz' });
}

function headerOf(bytes: Uint8Array): { n: number; json: Record<string, unknown> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown> };
}

const BAD_DTYPES: readonly unknown[] = ['F8_E4M3', 'C64', 'float32', 'f32', '', 'BOOL ', 5, null, ['F32'], { F32: 1 }, 'I64', 'U8', 'F64', 'BF16'];
const BAD_NUMBERS: readonly unknown[] = [-1, 0.5, 1e300, 2 ** 53, 2 ** 40, 2 ** 31, 4 ** 20, '4', null, true, [], 1];

function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** A header edit: wrong dtypes, shapes and offsets, odd keys, deep nesting; the length field is usually refreshed. */
function headerCase(base: Uint8Array, m: Mutator): { bytes: Uint8Array; ops: string } {
  const { n, json } = headerOf(base);
  const data = base.subarray(8 + n);
  const names = Object.keys(json).filter((k) => k !== '__metadata__');
  const target = m.pick(names);
  const entry = { ...(json[target] as Record<string, unknown>) };
  const r = m.int(9);
  let ops: string;
  let raw: string | undefined;
  if (r === 0) {
    entry.dtype = m.pick(BAD_DTYPES);
    ops = `dtype ${JSON.stringify(entry.dtype)}`;
  } else if (r === 1) {
    const shape = [...(entry.shape as number[])];
    shape.splice(m.int(shape.length + 1), m.int(2), m.pick(BAD_NUMBERS) as number);
    entry.shape = m.chance(0.1) ? 'big' : shape;
    ops = `shape ${JSON.stringify(entry.shape)}`;
  } else if (r === 2) {
    const off = [...(entry.data_offsets as number[])];
    off[m.int(2)] = m.pick(BAD_NUMBERS) as number;
    entry.data_offsets = m.chance(0.1) ? off.slice(0, 1) : m.chance(0.1) ? [off[1], off[0]] : off;
    ops = `data_offsets ${JSON.stringify(entry.data_offsets)}`;
  } else if (r === 3) {
    // A tensor of terabytes that claims the whole tail of the data region.
    entry.shape = [2 ** 20, 2 ** 20];
    entry.data_offsets = [0, 4 * 2 ** 40];
    ops = 'terabyte tensor';
  } else if (r === 4) {
    json['__metadata__'] = m.pick<unknown>([{ a: 1 }, [], 'x', null, { k: { deep: 'x' } }, { 'line\nbreak': 'v' }]);
    ops = `metadata ${JSON.stringify(json['__metadata__'])}`;
  } else if (r === 5) {
    json[`evil\nname ${'x'.repeat(m.int(3000))}`] = entry;
    ops = 'odd key';
  } else if (r === 6) {
    raw = `{"t":${deepArray(1000 + m.int(200000))}}`;
    ops = 'deep nesting';
  } else if (r === 7) {
    raw = m.pick(['[]', 'null', '"x"', '{}', '{"a":{}}', '{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}']);
    ops = `header ${raw}`;
  } else {
    delete json[m.pick(names)];
    ops = 'tensor removed';
  }
  json[target] = entry;
  const text = new TextEncoder().encode(raw ?? JSON.stringify(json));
  const out = new Uint8Array(8 + text.byteLength + data.byteLength);
  const len = m.chance(0.85) ? BigInt(text.byteLength) : m.pick([0n, 1n, BigInt(text.byteLength + 1), 1n << 40n, (1n << 64n) - 1n]);
  new DataView(out.buffer).setBigUint64(0, len, true);
  out.set(text, 8);
  out.set(data, 8 + text.byteLength);
  return { bytes: out, ops: `${ops} (length ${len})` };
}

export function safetensorsCase(bases: readonly Uint8Array[], m: Mutator, i: number): FuzzInput {
  const base = m.pick(bases);
  const label = `fuzz-${i}.safetensors`;
  if (m.chance(0.5)) {
    const { bytes, ops } = headerCase(base, m);
    return { label, bytes, ops };
  }
  const { n } = headerOf(base);
  // Aim at the length field and at the header's digits, quotes and brackets.
  const hot = [0, 4];
  for (let k = 8; k < 8 + n; k++) if (/[0-9"[\]{}:,]/.test(String.fromCharCode(base[k]!))) hot.push(k);
  const { bytes, ops } = m.mutate(base, hot, 3);
  return { label, bytes, ops };
}

/** Cases on the parity fixture's safetensors: mutations aimed at its header. */
export function bigSafetensorsHot(base: Uint8Array): number[] {
  const { n } = headerOf(base);
  const hot = [0, 4];
  for (let k = 8; k < 8 + n; k += 7) hot.push(k);
  return hot;
}
