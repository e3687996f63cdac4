// A reader for MATLAB level-5 MAT-files (MATLAB v5 to v7, what `save` wrote before v7.3): the labels
// of LIVE (dmos.mat, refnames_all.mat) and LIVE Challenge (AllMOS_release.mat, ...) come this way.
// Follows MathWorks' "MAT-File Format" document: 128-byte header, tagged data elements (with the
// small-element form for up to 4 bytes), miMATRIX arrays, zlib-compressed miCOMPRESSED elements.
// v7.3 files are HDF5 containers and are refused with a message saying how to re-save them.
import { readFile } from 'node:fs/promises';
import { inflateSync } from 'node:zlib';

/** A MATLAB value. Arrays are column-major, as MATLAB stores them; `dims` as MATLAB reports them. */
export type MatValue =
  | { kind: 'numeric'; className: string; dims: number[]; data: Float64Array; imag?: Float64Array; logical: boolean }
  | { kind: 'char'; dims: number[]; rows: string[] }
  | { kind: 'cell'; dims: number[]; cells: MatValue[] }
  | { kind: 'struct'; dims: number[]; fields: string[]; elements: Map<string, MatValue>[] }
  | { kind: 'unsupported'; className: string; dims: number[] };

export interface MatFile {
  /** The path (or label) the bytes came from; every error message starts with it. */
  file: string;
  /** The header's descriptive text ("MATLAB 5.0 MAT-file, Platform: ..."). */
  header: string;
  variables: Map<string, MatValue>;
}

// Data types of the tags (MAT-File Format, table 1-1).
const MI = {
  INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9,
  INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18,
} as const;

// Array classes (table 1-3); numeric ones map to their MATLAB names.
const MX_CELL = 1;
const MX_STRUCT = 2;
const MX_CHAR = 4;
const NUMERIC_CLASSES: Record<number, string> = {
  6: 'double', 7: 'single', 8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16',
  12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64',
};
const OTHER_CLASSES: Record<number, string> = { 3: 'object', 5: 'sparse', 16: 'function_handle', 17: 'opaque' };

const HEADER_BYTES = 128;
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const FLAG_COMPLEX = 0x08;
const FLAG_LOGICAL = 0x02;
/** Cells in cells in structs...: real label files nest two or three levels; recursion is bounded well below the stack. */
const MAX_NESTING = 64;
/** zlib's largest expansion is about 1032:1: a payload that inflates further is not a MAT-file element. */
const MAX_INFLATE_RATIO = 1032;

/** A name or text from the file, quoted for an error message: one line, bounded length. */
function quote(text: string): string {
  const s = JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
  return s.slice(1, -1);
}

interface Tag {
  type: number;
  bytes: number;
  /** Offset of the element's data. */
  data: number;
  /** Offset of the next element. */
  next: number;
}

/** Reads one buffer (the file, or an inflated miCOMPRESSED payload) in the file's byte order. */
class Reader {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
    readonly fail: (problem: string) => never,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  tag(offset: number, end: number): Tag {
    if (offset + 8 > end) this.fail(`truncated data element at byte ${offset}`);
    const first = this.view.getUint32(offset, this.le);
    if (first >>> 16 !== 0) {
      // Small data element: type and size share the first four bytes, data the next four.
      const bytes = first >>> 16;
      if (bytes > 4) this.fail(`malformed small data element at byte ${offset}`);
      return { type: first & 0xffff, bytes, data: offset + 4, next: offset + 8 };
    }
    const bytes = this.view.getUint32(offset + 4, this.le);
    const data = offset + 8;
    if (data + bytes > end) this.fail(`truncated data element at byte ${offset} (needs ${bytes} bytes)`);
    // Elements are padded to 8 bytes; a compressed element is followed directly by the next one.
    const next = first === MI.COMPRESSED ? data + bytes : data + Math.ceil(bytes / 8) * 8;
    return { type: first, bytes, data, next: Math.min(next, end) };
  }

  /** The element's values as doubles, whatever integer or float type stores them. */
  numbers(tag: Tag): Float64Array {
    const { view, le } = this;
    const size = elementSize(tag.type);
    if (size === undefined) this.fail(`numeric data stored as unexpected type ${tag.type}`);
    const n = Math.floor(tag.bytes / size!);
    const out = new Float64Array(n);
    for (let i = 0, o = tag.data; i < n; i++, o += size!) {
      switch (tag.type) {
        case MI.INT8: out[i] = view.getInt8(o); break;
        case MI.UINT8: case MI.UTF8: out[i] = view.getUint8(o); break;
        case MI.INT16: out[i] = view.getInt16(o, le); break;
        case MI.UINT16: case MI.UTF16: out[i] = view.getUint16(o, le); break;
        case MI.INT32: out[i] = view.getInt32(o, le); break;
        case MI.UINT32: case MI.UTF32: out[i] = view.getUint32(o, le); break;
        case MI.SINGLE: out[i] = view.getFloat32(o, le); break;
        case MI.DOUBLE: out[i] = view.getFloat64(o, le); break;
        case MI.INT64: out[i] = Number(view.getBigInt64(o, le)); break;
        case MI.UINT64: out[i] = Number(view.getBigUint64(o, le)); break;
      }
    }
    return out;
  }

  ascii(tag: Tag): string {
    return Buffer.from(this.bytes.subarray(tag.data, tag.data + tag.bytes)).toString('latin1');
  }
}

function elementSize(type: number): number | undefined {
  switch (type) {
    case MI.INT8: case MI.UINT8: case MI.UTF8: return 1;
    case MI.INT16: case MI.UINT16: case MI.UTF16: return 2;
    case MI.INT32: case MI.UINT32: case MI.SINGLE: case MI.UTF32: return 4;
    case MI.DOUBLE: case MI.INT64: case MI.UINT64: return 8;
    default: return undefined;
  }
}

/** Parses a MAT-file's bytes; `file` labels errors. */
export function parseMat(bytes: Uint8Array, file = 'MAT-file'): MatFile {
  const fail = (problem: string): never => {
    throw new Error(`${file}: ${problem.replace(/\s*[\r\n]+\s*/g, ' ')}`);
  };
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 116))).toString('latin1');
  const hdf5At = (o: number): boolean => HDF5_SIGNATURE.every((b, i) => bytes[o + i] === b);
  if (head.startsWith('MATLAB 7.3') || hdf5At(0) || (bytes.length > 520 && hdf5At(512))) {
    fail("MATLAB v7.3 (HDF5) MAT-file not supported; re-save it with save(file, ..., '-v7') in MATLAB or scipy.io.savemat in Python");
  }
  if (bytes.length < HEADER_BYTES || !head.startsWith('MATLAB 5.0 MAT-file')) {
    fail('not a MATLAB v5/v7 MAT-file (no "MATLAB 5.0 MAT-file" header; v4 files are not supported)');
  }
  const endian = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (endian !== 'IM' && endian !== 'MI') fail(`bad MAT-file endian indicator "${endian}"`);
  const reader = new Reader(bytes, endian === 'IM', fail);

  const variables = new Map<string, MatValue>();
  const readElements = (r: Reader, start: number, end: number, compressed: boolean): void => {
    let offset = start;
    // Trailing bytes shorter than a tag are padding.
    while (offset + 8 <= end) {
      const tag = r.tag(offset, end);
      if (tag.type === MI.COMPRESSED) {
        // MATLAB compresses each top-level variable once; nesting would only multiply a zip bomb.
        if (compressed) fail(`compressed element inside a compressed element at byte ${offset}`);
        let inflated: Buffer;
        try {
          inflated = inflateSync(r.bytes.subarray(tag.data, tag.data + tag.bytes), {
            maxOutputLength: tag.bytes * MAX_INFLATE_RATIO + 64,
          });
        } catch (err) {
          fail(`corrupt compressed element at byte ${offset} (${(err as Error).message})`);
        }
        const inner = new Reader(inflated!, r.le, fail);
        readElements(inner, 0, inflated!.length, true);
      } else if (tag.type === MI.MATRIX) {
        const { name, value } = readMatrix(r, tag, 0);
        variables.set(name, value);
      }
      // Other top-level elements (none in practice) are skipped.
      offset = tag.next;
    }
  };
  readElements(reader, HEADER_BYTES, bytes.length, false);
  return { file, header: head.replace(/[\s\0]+$/, ''), variables };
}

/** Reads one miMATRIX element: array flags, dimensions, name, then the class's data. */
function readMatrix(r: Reader, tag: Tag, depth: number): { name: string; value: MatValue } {
  const end = tag.data + tag.bytes;
  if (depth > MAX_NESTING) r.fail(`arrays nested more than ${MAX_NESTING} deep at byte ${tag.data}`);
  if (tag.bytes === 0) return { name: '', value: { kind: 'numeric', className: 'double', dims: [0, 0], data: new Float64Array(0), logical: false } };
  const flagsTag = r.tag(tag.data, end);
  if (flagsTag.type !== MI.UINT32 || flagsTag.bytes < 4) r.fail('miMATRIX without array flags');
  const flagsWord = r.view.getUint32(flagsTag.data, r.le);
  const classId = flagsWord & 0xff;
  const flags = (flagsWord >>> 8) & 0xff;
  const dimsTag = r.tag(flagsTag.next, end);
  const dims = Array.from(r.numbers(dimsTag));
  const nameTag = r.tag(dimsTag.next, end);
  const name = r.ascii(nameTag);
  if (dims.length < 2 || !dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    r.fail(`variable "${quote(name)}": bad dimensions [${dims.slice(0, 8).join(', ')}]`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  // Every element takes at least a byte of the array's element; checked before any loop or allocation.
  if (count > tag.bytes || (classId === MX_CHAR && dims[0]! > tag.bytes)) {
    r.fail(`variable "${quote(name)}": dimensions ${dims.join('x')} do not fit in its ${tag.bytes} bytes`);
  }
  let offset = nameTag.next;

  const numeric = NUMERIC_CLASSES[classId];
  if (numeric !== undefined) {
    // An empty array may come without a data element.
    if (count === 0 && offset + 8 > end) {
      return { name, value: { kind: 'numeric', className: numeric, dims, data: new Float64Array(0), logical: (flags & FLAG_LOGICAL) !== 0 } };
    }
    const realTag = r.tag(offset, end);
    const data = r.numbers(realTag);
    if (data.length !== count) r.fail(`variable "${quote(name)}": ${data.length} values for dimensions ${dims.join('x')}`);
    const value: MatValue = { kind: 'numeric', className: numeric, dims, data, logical: (flags & FLAG_LOGICAL) !== 0 };
    if (flags & FLAG_COMPLEX) {
      value.imag = r.numbers(r.tag(realTag.next, end));
      if (value.imag.length !== count) r.fail(`variable "${quote(name)}": ${value.imag.length} imaginary values for dimensions ${dims.join('x')}`);
    }
    return { name, value };
  }
  if (classId === MX_CHAR) {
    const rows = dims[0] ?? 0;
    const chars = count === 0 ? [] : decodeChars(r, r.tag(offset, end));
    if (chars.length !== count) r.fail(`variable "${quote(name)}": ${chars.length} characters for dimensions ${dims.join('x')}`);
    const text: string[] = [];
    for (let i = 0; i < rows; i++) {
      let row = '';
      for (let k = i; k < chars.length; k += rows) row += chars[k];
      text.push(row);
    }
    return { name, value: { kind: 'char', dims, rows: text } };
  }
  if (classId === MX_CELL) {
    const cells: MatValue[] = [];
    for (let i = 0; i < count; i++) {
      const cellTag = r.tag(offset, end);
      if (cellTag.type !== MI.MATRIX) r.fail(`variable "${quote(name)}": cell ${i + 1} is not an array element`);
      cells.push(readMatrix(r, cellTag, depth + 1).value);
      offset = cellTag.next;
    }
    return { name, value: { kind: 'cell', dims, cells } };
  }
  if (classId === MX_STRUCT) {
    const lenTag = r.tag(offset, end);
    const fieldLength = r.numbers(lenTag)[0] ?? 0;
    if (!Number.isSafeInteger(fieldLength) || fieldLength <= 0 || fieldLength > 1024) {
      r.fail(`variable "${quote(name)}": bad struct field-name length ${fieldLength}`);
    }
    const namesTag = r.tag(lenTag.next, end);
    const allNames = r.ascii(namesTag);
    const fields: string[] = [];
    for (let o = 0; fieldLength > 0 && o + fieldLength <= allNames.length; o += fieldLength) {
      fields.push(allNames.slice(o, o + fieldLength).replace(/\0+$/, ''));
    }
    offset = namesTag.next;
    const elements: Map<string, MatValue>[] = [];
    for (let i = 0; i < count; i++) {
      const element = new Map<string, MatValue>();
      for (const field of fields) {
        const fieldTag = r.tag(offset, end);
        if (fieldTag.type !== MI.MATRIX) r.fail(`variable "${quote(name)}": field "${quote(field)}" is not an array element`);
        element.set(field, readMatrix(r, fieldTag, depth + 1).value);
        offset = fieldTag.next;
      }
      elements.push(element);
    }
    return { name, value: { kind: 'struct', dims, fields, elements } };
  }
  // Kept as a placeholder: the error comes only if a loader asks for this variable.
  return { name, value: { kind: 'unsupported', className: OTHER_CLASSES[classId] ?? `class ${classId}`, dims } };
}

/** The characters of a char array's data element (UTF-16 code units, UTF-8 or 8-bit). */
function decodeChars(r: Reader, tag: Tag): string[] {
  if (tag.type === MI.UTF8) {
    return Array.from(Buffer.from(r.bytes.subarray(tag.data, tag.data + tag.bytes)).toString('utf8'));
  }
  return Array.from(r.numbers(tag), (code) => {
    if (!Number.isInteger(code) || code < 0 || code > 0x10ffff) r.fail(`character data holds ${code}, not a Unicode code point`);
    return String.fromCodePoint(code);
  });
}

/** Reads and parses a MAT-file from disk. */
export async function readMatFile(path: string): Promise<MatFile> {
  return parseMat(await readFile(path), path);
}

/** A variable of the file; fails naming the file and the variables it has. */
export function matVariable(mat: MatFile, name: string): MatValue {
  const value = mat.variables.get(name);
  if (value === undefined) {
    const names = [...mat.variables.keys()];
    throw new Error(`${mat.file}: variable "${name}" not found (variables: ${names.length ? names.map(quote).join(', ') : 'none'})`);
  }
  return value;
}

/** A numeric (or logical) variable's values, flattened in MATLAB's column-major order. */
export function matNumbers(mat: MatFile, name: string): Float64Array {
  const value = matVariable(mat, name);
  if (value.kind !== 'numeric') {
    throw new Error(`${mat.file}: variable "${name}" is a ${describe(value)}, expected a numeric array`);
  }
  return value.data;
}

/**
 * A variable's strings: a cell array of char arrays (each one string, nested 1x1 cells unwrapped),
 * or a char matrix (one string per row). Trailing spaces (MATLAB's char-matrix padding) are removed.
 */
export function matStrings(mat: MatFile, name: string): string[] {
  const value = matVariable(mat, name);
  const bad = (what: string): never => {
    throw new Error(`${mat.file}: variable "${name}" ${what}, expected a cell array of strings`);
  };
  if (value.kind === 'char') return value.rows.map((s) => s.trimEnd());
  if (value.kind !== 'cell') return bad(`is a ${describe(value)}`);
  return value.cells.map((cell, i) => {
    let v: MatValue = cell;
    while (v.kind === 'cell' && v.cells.length === 1) v = v.cells[0]!;
    if (v.kind !== 'char') return bad(`holds a ${describe(v)} in cell ${i + 1}`);
    return v.rows.join('').trimEnd();
  });
}

function describe(value: MatValue): string {
  const size = value.dims.join('x');
  switch (value.kind) {
    case 'numeric': return `${size} ${value.className} array`;
    case 'char': return `${size} char array`;
    case 'cell': return `${size} cell array`;
    case 'struct': return `${size} struct`;
    case 'unsupported': return `${size} ${value.className} (not supported)`;
  }
}
