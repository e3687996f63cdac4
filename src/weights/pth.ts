/**
 * PyTorch checkpoints written by torch.save (the zip format, PyTorch >= 1.6): a zip archive
 * `<prefix>/data.pkl` (the pickled object), `<prefix>/data/<key>` (raw storage bytes),
 * `<prefix>/byteorder` (optional) and `<prefix>/version`. Tensors appear in the pickle as
 * `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` where `storage` is a
 * persistent id `('storage', torch.FloatStorage, key, location, numel)`; the restricted
 * unpickler (pickle.ts) turns those into references, and this file reads the storages and
 * applies offset and strides. Nothing in the file is executed.
 */
import {
  type DType,
  DTYPE_ITEMSIZE,
  type RawTensor,
  type TensorData,
  type TensorFile,
  decodeElements,
  numelOf,
  rawTensor,
} from './dtypes.js';
import { CheckpointFormatError, clip } from './errors.js';
import { readFileBytes } from './io.js';
import {
  type GlobalHandler,
  PickleObject,
  type PickleValue,
  PyDict,
  PyGlobal,
  PyTuple,
  pyTypeName,
  unpickle,
} from './pickle.js';
import { ZipArchive, looksLikeZip } from './zip.js';
import type { ZipEntry } from './zip.js';

/** The storage classes a state dict may name, and the element type each holds. */
const STORAGE_DTYPES: ReadonlyMap<string, DType> = new Map<string, DType>([
  ['torch.FloatStorage', 'F32'],
  ['torch.HalfStorage', 'F16'],
  ['torch.BFloat16Storage', 'BF16'],
  ['torch.DoubleStorage', 'F64'],
  ['torch.LongStorage', 'I64'],
  ['torch.IntStorage', 'I32'],
  ['torch.ShortStorage', 'I16'],
  ['torch.CharStorage', 'I8'],
  ['torch.ByteStorage', 'U8'],
  ['torch.BoolStorage', 'BOOL'],
  // Untyped storages count bytes.
  ['torch.UntypedStorage', 'U8'],
  ['torch.storage.UntypedStorage', 'U8'],
]);

/** A storage in the archive, as a persistent id names it; its bytes are read on demand. */
class StorageRef extends PickleObject {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
  ) {
    super();
  }
}

/** A tensor as a view of a storage: read after the state dict is chosen, so unused ones cost nothing. */
class TensorRef extends PickleObject {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {
    super();
  }
}

function asIndex(v: PickleValue | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new Error(`${what} is ${v === undefined ? 'missing' : pyTypeName(v)} ${String(v)}, expected a non-negative integer`);
  }
  return v;
}

function asIndexTuple(v: PickleValue | undefined, what: string): number[] {
  if (!(v instanceof PyTuple)) throw new Error(`${what} is ${v === undefined ? 'missing' : `a ${pyTypeName(v)}`}, expected a tuple`);
  return v.items.map((x, i) => asIndex(x, `${what}[${i}]`));
}

/** `_rebuild_tensor(_v2)(storage, storage_offset, size, stride, ...)`: a strided view. */
function rebuildTensor(args: readonly PickleValue[]): TensorRef {
  const storage = args[0];
  if (!(storage instanceof StorageRef)) throw new Error(`storage is ${storage === undefined ? 'missing' : `a ${pyTypeName(storage)}`}`);
  const offset = asIndex(args[1], 'storage_offset');
  const shape = asIndexTuple(args[2], 'size');
  const stride = asIndexTuple(args[3], 'stride');
  if (stride.length !== shape.length) throw new Error(`size has ${shape.length} dimensions but stride has ${stride.length}`);
  const n = numelOf(shape);
  if (!Number.isSafeInteger(n)) throw new Error(`size [${shape.join(', ')}] is too large`);
  // A view that repeats elements (stride 0: expand()) would be copied out at its full size, which
  // nothing in the file bounds; a state dict's tensors never need it.
  if (n > storage.numel) {
    throw new Error(
      `view of ${n} elements (size [${shape.join(', ')}], stride [${stride.join(', ')}]) is larger than its storage ` +
        `"${clip(storage.key)}" of ${storage.numel}; save the tensor with .contiguous() or .clone()`,
    );
  }
  if (n > 0) {
    let last = offset;
    for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * stride[d]!;
    if (last >= storage.numel) {
      throw new Error(
        `view (offset ${offset}, size [${shape.join(', ')}], stride [${stride.join(', ')}]) reaches element ${last} ` +
          `of storage "${clip(storage.key)}", which has ${storage.numel}`,
      );
    }
  }
  return new TensorRef(storage, offset, shape, stride);
}

function asTensor(v: PickleValue | undefined): TensorRef {
  if (!(v instanceof TensorRef)) throw new Error(`expected a tensor, got ${v === undefined ? 'nothing' : pyTypeName(v)}`);
  return v;
}

/**
 * The state-dict allow-list: what each permitted global builds. Names with a `null` handler
 * may only appear as type tags (storage classes in persistent ids, tensor types).
 */
const STATE_DICT_GLOBALS: ReadonlyMap<string, GlobalHandler> = new Map<string, GlobalHandler>([
  [
    'collections.OrderedDict',
    (args) => {
      const d = new PyDict();
      // OrderedDict(iterable of pairs), rare in pickles but harmless.
      const items = args[0];
      if (Array.isArray(items)) {
        for (const pair of items) {
          if (!(pair instanceof PyTuple) || pair.items.length !== 2) throw new Error('expected (key, value) pairs');
          d.entries.set(pair.items[0]!, pair.items[1]!);
        }
      }
      return d;
    },
  ],
  ['torch._utils._rebuild_tensor', rebuildTensor],
  ['torch._utils._rebuild_tensor_v2', rebuildTensor],
  // nn.Parameter(data, requires_grad, backward_hooks[, state]): the values are `data`.
  ['torch._utils._rebuild_parameter', (args) => asTensor(args[0])],
  ['torch._utils._rebuild_parameter_with_state', (args) => asTensor(args[0])],
  [
    // Tensor subclasses: _rebuild_from_type_v2(func, type, args, state) = func(*args) as `type`.
    'torch._utils._rebuild_from_type_v2',
    (args) => {
      const [func, , inner] = args;
      if (!(func instanceof PyGlobal) || !(inner instanceof PyTuple)) throw new Error('expected (function, type, args, state)');
      const handler = STATE_DICT_GLOBALS.get(func.qualifiedName);
      if (handler === undefined || handler === null || !func.qualifiedName.startsWith('torch._utils._rebuild_')) {
        throw new Error(`"${clip(func.qualifiedName)}" is not a tensor rebuild function`);
      }
      return asTensor(handler(inner.items));
    },
  ],
  ['torch.Tensor', null],
  ['torch.nn.parameter.Parameter', null],
  ...[...STORAGE_DTYPES.keys()].map((k): [string, GlobalHandler] => [k, null]),
]);

const LEGACY_ADVICE =
  'legacy (non-zip) torch.save format is not supported; ' +
  're-save with torch.save(obj, path, _use_new_zipfile_serialization=True) in PyTorch >= 1.6';

function hexPrefix(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function isTar(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 262 && new TextDecoder('latin1').decode(bytes.subarray(257, 262)) === 'ustar';
}

function countTensors(d: PyDict): number {
  let n = 0;
  for (const v of d.entries.values()) if (v instanceof TensorRef) n += 1;
  return n;
}

function keyList(d: PyDict): string {
  const keys = [...d.entries.keys()].map((k) => (typeof k === 'string' ? JSON.stringify(clip(k)) : pyTypeName(k)));
  return keys.length > 12 ? `${keys.slice(0, 12).join(', ')}, ... (${keys.length} keys)` : keys.join(', ') || '(none)';
}

/** Dict keys that conventionally hold the state dict inside a training checkpoint. */
const STATE_DICT_KEYS = ['state_dict', 'model_state_dict', 'model', 'params', 'net', 'module'];

/**
 * The state dict in a loaded object: the object itself if it maps names to tensors, else the
 * one dict-valued entry that does (a training checkpoint `{model: ..., epoch: ...}`).
 */
function selectStateDict(root: PickleValue, fail: (problem: string) => never): { dict: PyDict; key?: string } {
  if (root instanceof TensorRef) fail('the file holds a single tensor, not a state dict');
  if (!(root instanceof PyDict)) fail(`top-level object is a ${pyTypeName(root)}, expected a state dict (a dict of tensors)`);
  if (countTensors(root) > 0) return { dict: root };
  const candidates: [string, PyDict][] = [];
  for (const [k, v] of root.entries) {
    if (typeof k === 'string' && v instanceof PyDict && countTensors(v) > 0) candidates.push([k, v]);
  }
  if (candidates.length === 1) return { dict: candidates[0]![1], key: candidates[0]![0] };
  const preferred = STATE_DICT_KEYS.find((k) => candidates.some(([c]) => c === k));
  if (preferred !== undefined) return { dict: candidates.find(([c]) => c === preferred)![1], key: preferred };
  if (candidates.length > 1) {
    fail(`several dicts of tensors at the top level (${candidates.map(([k]) => JSON.stringify(clip(k))).join(', ')}); cannot tell which is the state dict`);
  }
  return fail(
    `no state dict found: top-level keys are ${keyList(root)}; expected a dict of tensors, ` +
      `or a dict-valued key such as "state_dict" or "model" holding one`,
  );
}

interface Indexable<E> {
  [i: number]: E;
  readonly length: number;
}

/** Whether a view with these sizes and strides is the row-major layout (size-1 dims ignored). */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

/** Copies a strided view into row-major order: innermost dimension in a loop, the rest as an odometer. */
function gather<E>(src: Indexable<E>, dst: Indexable<E>, offset: number, shape: readonly number[], stride: readonly number[]): void {
  const rank = shape.length;
  if (rank === 0) {
    dst[0] = src[offset]!;
    return;
  }
  const inner = shape[rank - 1]!;
  const innerStride = stride[rank - 1]!;
  const index = new Array<number>(rank - 1).fill(0);
  let base = offset;
  for (let out = 0; out < dst.length; ) {
    for (let j = 0, p = base; j < inner; j++, p += innerStride) dst[out++] = src[p]!;
    for (let d = rank - 2; d >= 0; d--) {
      base += stride[d]!;
      if (++index[d]! < shape[d]!) break;
      base -= stride[d]! * shape[d]!;
      index[d] = 0;
    }
  }
}

function materialize(t: TensorRef, storage: TensorData): TensorData {
  const n = numelOf(t.shape);
  // Row-major views share the storage's array (itself a view of the file for aligned F32).
  if (isContiguous(t.shape, t.stride)) return storage.subarray(t.offset, t.offset + n);
  const out = new (storage.constructor as new (length: number) => TensorData)(n);
  gather<number | bigint>(storage, out, t.offset, t.shape, t.stride);
  return out;
}

export interface ParseOptions {
  /**
   * Decode (and inflate) a tensor's storage only when its `data` is first read (issue 20: a 9 MB
   * file held 2.3 GB of deflated storages the model never uses). Declared sizes are still checked
   * at parse time; a corrupt storage then fails, naming the file, where its data is read.
   */
  lazy?: boolean;
}

/** A tensor whose data is read on first use, then kept. */
function lazyTensor(dtype: RawTensor['dtype'], shape: number[], load: () => TensorData): RawTensor {
  let data: TensorData | undefined;
  return {
    dtype,
    shape,
    get data(): TensorData {
      return (data ??= load());
    },
  } as RawTensor;
}

/**
 * Parses a torch.save checkpoint held in memory into its state dict's tensors (dict order).
 * `name` labels errors. Non-tensor entries of the state dict are ignored. Metadata records
 * `source`, the archive folder (`archive`) and, when the state dict was nested inside a
 * training checkpoint, the key it was found under (`state_dict_key`).
 */
export function parsePth(bytes: Uint8Array, name: string, options: ParseOptions = {}): TensorFile {
  const fail: (problem: string) => never = (problem) => {
    throw new CheckpointFormatError(name, problem);
  };
  if (bytes.byteLength === 0) fail('empty file');
  if ((bytes[0] === 0x80 && bytes.byteLength > 1 && bytes[1]! <= 5) || isTar(bytes)) fail(LEGACY_ADVICE);
  if (!looksLikeZip(bytes)) {
    fail(`not a PyTorch checkpoint: expected a zip archive (torch.save since PyTorch 1.6), file starts with ${hexPrefix(bytes)}`);
  }
  const zip = new ZipArchive(bytes, name);

  const pickles = [...zip.entries.keys()].filter((k) => /^([^/]+\/)?data\.pkl$/.test(k));
  if (pickles.length === 0) {
    fail(`zip archive has no data.pkl: not a torch.save checkpoint (entries: ${[...zip.entries.keys()].slice(0, 8).map((k) => clip(k)).join(', ') || 'none'})`);
  }
  if (pickles.length > 1) fail(`zip archive has several data.pkl entries (${pickles.slice(0, 4).map((k) => clip(k)).join(', ')})`);
  const pklName = pickles[0]!;
  const prefix = pklName.slice(0, pklName.length - 'data.pkl'.length);
  if ([...zip.entries.keys()].some((k) => k.startsWith(`${prefix}code/`))) {
    fail('this is a TorchScript archive (torch.jit.save), not a state dict; save one with torch.save(model.state_dict(), path)');
  }

  let littleEndian = true;
  const order = zip.entries.get(`${prefix}byteorder`);
  if (order !== undefined) {
    const text = new TextDecoder().decode(zip.read(order)).trim();
    if (text !== 'little' && text !== 'big') fail(`byteorder entry says "${clip(text)}", expected "little" or "big"`);
    littleEndian = text === 'little';
  }

  const storages = new Map<string, StorageRef>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length < 5) {
      throw new Error(`unsupported persistent id (a ${pyTypeName(pid)}), expected ('storage', type, key, location, numel)`);
    }
    const [, type, key, , numelValue] = pid.items;
    const dtype = type instanceof PyGlobal ? STORAGE_DTYPES.get(type.qualifiedName) : undefined;
    if (dtype === undefined) throw new Error(`persistent id names storage type ${type === undefined ? '?' : pyTypeName(type)}, not a storage class`);
    if (typeof key !== 'string' || !/^[\w.-]+$/.test(key)) throw new Error(`bad storage key ${clip(String(key))}`);
    const numel = asIndex(numelValue, `numel of storage "${clip(key)}"`);
    const seen = storages.get(key);
    if (seen !== undefined) {
      if (seen.dtype !== dtype || seen.numel !== numel) throw new Error(`storage "${clip(key)}" is named twice with different types or sizes`);
      return seen;
    }
    const ref = new StorageRef(key, dtype, numel);
    storages.set(key, ref);
    return ref;
  };

  const root = unpickle(zip.read(zip.entries.get(pklName)!), {
    file: name,
    globals: STATE_DICT_GLOBALS,
    allowListName: 'state-dict',
    persistentLoad,
  });
  const { dict, key: stateDictKey } = selectStateDict(root, fail);

  const decoded = new Map<string, TensorData>();
  // the entry and its declared size, checked before any byte of it is inflated
  const entryOf = (ref: StorageRef): ZipEntry => {
    const entryName = `${prefix}data/${ref.key}`;
    const entry = zip.entries.get(entryName);
    if (entry === undefined) fail(`storage "${clip(ref.key)}" is missing from the archive (no entry ${clip(entryName)})`);
    const want = ref.numel * DTYPE_ITEMSIZE[ref.dtype];
    if (entry.size !== want) fail(`storage "${clip(ref.key)}" has ${entry.size} bytes, expected ${want} (${ref.numel} x ${ref.dtype})`);
    return entry;
  };
  const storageData = (ref: StorageRef): TensorData => {
    const cached = decoded.get(ref.key);
    if (cached !== undefined) return cached;
    const raw = zip.read(entryOf(ref));
    const want = ref.numel * DTYPE_ITEMSIZE[ref.dtype];
    if (raw.byteLength !== want) {
      fail(`storage "${clip(ref.key)}" has ${raw.byteLength} bytes, expected ${want} (${ref.numel} x ${ref.dtype})`);
    }
    const data = decodeElements(raw, ref.dtype, littleEndian);
    decoded.set(ref.key, data);
    return data;
  };

  const tensors = new Map<string, RawTensor>();
  for (const [k, v] of dict.entries) {
    if (!(v instanceof TensorRef)) continue;
    const tensorName = typeof k === 'string' ? k : typeof k === 'number' || typeof k === 'bigint' ? String(k) : undefined;
    if (tensorName === undefined) fail(`state dict has a ${pyTypeName(k)} key; expected strings`);
    entryOf(v.storage);
    const load = (): TensorData => materialize(v, storageData(v.storage));
    tensors.set(tensorName, options.lazy ? lazyTensor(v.storage.dtype, v.shape, load) : rawTensor(v.storage.dtype, v.shape, load()));
  }

  const metadata: Record<string, string> = { source: 'torch.save', archive: prefix.replace(/\/$/, '') };
  if (stateDictKey !== undefined) metadata.state_dict_key = stateDictKey;
  return { format: 'pth', tensors, metadata };
}

/** Reads and parses a torch.save checkpoint (.pth / .pt); errors name `path`. */
export async function readPth(path: string): Promise<TensorFile> {
  return parsePth(await readFileBytes(path), path);
}
