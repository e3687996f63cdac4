/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N,
 * N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`,
 * then the tensor bytes, little-endian, row-major, offsets relative to the end of the header.
 * Reading is strict (every byte accounted for exactly once), since a file that only half
 * parses would load weights silently wrong.
 */
import {
  type DType,
  DTYPE_ITEMSIZE,
  type RawTensor,
  type TensorFile,
  checkTensor,
  decodeElements,
  encodeElements,
  isDType,
  isValidShape,
  numelOf,
  rawTensor,
} from './dtypes.js';
import { CheckpointFormatError, clip, formatBytes } from './errors.js';
import { readFileBytes, writeFileAtomic } from './io.js';

/** The header key that holds string metadata instead of a tensor. */
const METADATA_KEY = '__metadata__';

/** Larger headers are refused, as the reference implementation does: no real file needs them. */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** Header bytes are padded with spaces so tensor data starts 8-byte aligned in the file. */
const DATA_ALIGNMENT = 8;

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function describeJson(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    // Nesting deep enough to exhaust JSON.stringify's stack: say what it is instead.
    s = Array.isArray(v) ? 'a deeply nested array' : 'a deeply nested object';
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function parseEntry(name: string, value: unknown, fail: (problem: string) => never): HeaderEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`header entry "${clip(name)}" is ${describeJson(value)}, expected {dtype, shape, data_offsets}`);
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string') fail(`tensor "${clip(name)}": missing or non-string dtype`);
  if (!isDType(dtype)) {
    fail(`tensor "${clip(name)}": unknown dtype "${clip(dtype)}" (supported: ${Object.keys(DTYPE_ITEMSIZE).join(', ')})`);
  }
  if (!isValidShape(shape)) fail(`tensor "${clip(name)}": invalid shape ${describeJson(shape)}`);
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o): o is number => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    fail(`tensor "${clip(name)}": invalid data_offsets ${describeJson(offsets)}, expected [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  const need = numelOf(shape) * DTYPE_ITEMSIZE[dtype];
  if (end - begin !== need) {
    fail(
      `tensor "${clip(name)}": shape [${shape.join(', ')}] of ${dtype} needs ${need} bytes, ` +
        `data_offsets [${begin}, ${end}] give ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

function parseMetadata(value: unknown, fail: (problem: string) => never): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`"${METADATA_KEY}" is ${describeJson(value)}, expected an object of strings`);
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`"${METADATA_KEY}" value for "${clip(k)}" is ${describeJson(v)}, expected a string`);
    metadata[k] = v;
  }
  return metadata;
}

/**
 * Parses a safetensors file held in memory. `name` labels errors (`<name>: <problem>`).
 * Tensors come back in file order; F32 and integer tensors are views of `bytes` where aligned.
 */
export function parseSafetensors(bytes: Uint8Array, name: string): TensorFile {
  const fail: (problem: string) => never = (problem) => {
    throw new CheckpointFormatError(name, problem);
  };
  if (bytes.byteLength < 8) {
    fail(`truncated: ${bytes.byteLength} bytes, a safetensors file starts with an 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  const available = bytes.byteLength - 8;
  if (headerLen > BigInt(available)) {
    fail(
      `header length ${headerLen} bytes points past the end of the file (${available} bytes follow it): ` +
        'truncated, or not a safetensors file',
    );
  }
  const n = Number(headerLen);
  if (n > MAX_SAFETENSORS_HEADER_BYTES) fail(`header length ${formatBytes(n)} is implausibly large (limit ${formatBytes(MAX_SAFETENSORS_HEADER_BYTES)})`);
  if (n < 2) fail(`header length ${n} is too small for a JSON object`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    return fail('header is not valid UTF-8: not a safetensors file');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    return fail(`header is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail(`header is ${describeJson(header)}, expected a JSON object`);
  }

  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [key, value] of Object.entries(header as Record<string, unknown>)) {
    if (key === METADATA_KEY) metadata = parseMetadata(value, fail);
    else entries.push(parseEntry(key, value, fail));
  }

  const dataStart = 8 + n;
  const dataLen = bytes.byteLength - dataStart;
  const dataEnd = entries.reduce((m, e) => Math.max(m, e.end), 0);
  if (dataEnd > dataLen) {
    fail(`truncated: header says ${formatBytes(dataEnd)} of tensor data, file has ${formatBytes(dataLen)}`);
  }
  // Tensors must tile the data region exactly: sorted by offset, each starts where the last
  // ended. Overlaps (aliased or corrupt entries) and holes (lost tensors) are both refused.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.begin < cursor) {
      const prev = entries[i - 1]!;
      fail(`tensor "${clip(e.name)}" data_offsets [${e.begin}, ${e.end}] overlap tensor "${clip(prev.name)}" [${prev.begin}, ${prev.end}]`);
    }
    if (e.begin > cursor) fail(`tensor "${clip(e.name)}" starts at data offset ${e.begin}, leaving a gap of ${e.begin - cursor} bytes after offset ${cursor}`);
    cursor = e.end;
  }
  if (cursor !== dataLen) {
    fail(`${formatBytes(dataLen - cursor)} of trailing data after the last tensor (header accounts for ${formatBytes(cursor)})`);
  }

  const tensors = new Map<string, RawTensor>();
  for (const e of entries) {
    const data = decodeElements(bytes.subarray(dataStart + e.begin, dataStart + e.end), e.dtype);
    tensors.set(e.name, rawTensor(e.dtype, e.shape, data));
  }
  return { format: 'safetensors', tensors, metadata };
}

/** Reads and parses a .safetensors file; errors name `path`. */
export async function readSafetensors(path: string): Promise<TensorFile> {
  return parseSafetensors(await readFileBytes(path), path);
}

/** The tensors to write: every kind of RawTensor (F16/BF16 data is float32 values, rounded on write). */
export type TensorsToWrite = ReadonlyMap<string, RawTensor>;

/**
 * Validates the tensors and lays out the file: the header bytes, then one encoder per tensor
 * (run lazily so that narrowing to F16 / BF16 holds one tensor at a time, not the whole file).
 */
function layout(
  tensors: TensorsToWrite,
  metadata: Record<string, string> | undefined,
  file: string,
): { header: Uint8Array; bodies: (() => Uint8Array)[] } {
  const parts: string[] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new CheckpointFormatError(file, `metadata value for "${clip(k)}" is not a string`);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  const bodies: (() => Uint8Array)[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY) throw new CheckpointFormatError(file, `a tensor may not be named "${METADATA_KEY}"`);
    if (!isDType(t.dtype)) throw new CheckpointFormatError(file, `tensor "${clip(name)}": unknown dtype "${String(t.dtype)}"`);
    const problem = checkTensor(t.dtype, t.shape, t.data);
    if (problem !== undefined) throw new CheckpointFormatError(file, `tensor "${clip(name)}": ${problem}`);
    const size = numelOf(t.shape) * DTYPE_ITEMSIZE[t.dtype];
    // Built by hand, not JSON.stringify(object): objects reorder integer-like keys ("0", "1").
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] })}`);
    bodies.push(() => encodeElements(t));
    offset += size;
  }
  let json = `{${parts.join(',')}}`;
  const jsonBytes = new TextEncoder().encode(json).byteLength;
  json += ' '.repeat((DATA_ALIGNMENT - ((8 + jsonBytes) % DATA_ALIGNMENT)) % DATA_ALIGNMENT);
  const text = new TextEncoder().encode(json);
  const header = new Uint8Array(8 + text.byteLength);
  new DataView(header.buffer).setBigUint64(0, BigInt(text.byteLength), true);
  header.set(text, 8);
  return { header, bodies };
}

/** The bytes of a safetensors file holding `tensors` (in map order) and `metadata`. */
export function encodeSafetensors(tensors: TensorsToWrite, metadata?: Record<string, string>): Uint8Array {
  const { header, bodies } = layout(tensors, metadata, '<memory>');
  const chunks = [header, ...bodies.map((b) => b())];
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Writes a safetensors file atomically (temporary file in the same folder, flushed, renamed),
 * so an interrupted save never leaves a truncated checkpoint behind. Tensors are validated
 * before anything is written.
 */
export async function writeSafetensors(
  path: string,
  tensors: TensorsToWrite,
  metadata?: Record<string, string>,
): Promise<void> {
  const { header, bodies } = layout(tensors, metadata, path);
  function* chunks(): Generator<Uint8Array> {
    yield header;
    for (const body of bodies) yield body();
  }
  await writeFileAtomic(path, chunks());
}
