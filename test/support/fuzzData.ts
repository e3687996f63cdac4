// Fuzz inputs for the label-file and image readers: MAT v5 files, CSV tables, XLSX workbooks, and
// BMP / PNG / JPEG images, each built small and valid here, then mutated blindly (bit flips,
// truncation, ...) and with knowledge of the format (MAT dimensions and classes, XLSX sheet XML,
// PNG and JPEG image sizes with their checksums kept valid so the decoder gets past them).
import { deflateSync } from 'node:zlib';
import { crc32 } from 'node:zlib';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import sharp from 'sharp';
import * as XLSX from 'xlsx';
import { cellOfStrings, encodeBmp, encodeMat, pattern, type MatIn } from './dataFixtures.js';
import type { FuzzInput } from './fuzz.js';
import { INTERESTING_U32, Mutator, concat, findAll } from './mutate.js';

// --- MAT ------------------------------------------------------------------------------------

const MAT_VARS: Record<string, MatIn> = {
  dmos: { kind: 'double', data: [12.5, -1, 99.75, 0, 1e-3] },
  orgs: { kind: 'double', data: [0, 1, 0, 1, 1], storeAs: 'uint8' },
  grid: { kind: 'double', dims: [2, 3], data: [1, 2, 3, 4, 5, 6] },
  name: { kind: 'char', text: 'bikes.bmp' },
  u8: { kind: 'char', text: 'café', utf8: true },
  rows: { kind: 'charRows', rows: ['abc', 'de '] },
  refnames_all: cellOfStrings(['bikes.bmp', 'caps.bmp', 'parrots.bmp']),
  nested: { kind: 'cell', cells: [{ kind: 'cell', cells: [{ kind: 'char', text: 'n.bmp' }] }] },
  s: { kind: 'struct', fields: { a: { kind: 'double', data: [7] }, label: { kind: 'char', text: 'hi' } } },
};

export interface MatBases {
  plain: Uint8Array;
  compressed: Uint8Array;
  /** Offsets of every 8-byte-aligned tag word in the plain file. */
  hot: number[];
  /** Offsets of dimension values (the two int32s after an miINT32 tag of 8 bytes). */
  dims: number[];
  /** Offsets of array-flags words (class id in the low byte). */
  flags: number[];
}

export function matBases(): MatBases {
  const plain = new Uint8Array(encodeMat(MAT_VARS));
  const hot: number[] = [124, 126];
  for (let k = 128; k < plain.byteLength; k += 4) hot.push(k);
  return {
    plain,
    compressed: new Uint8Array(encodeMat(MAT_VARS, true)),
    hot,
    dims: findAll(plain, [5, 0, 0, 0, 8, 0, 0, 0]).flatMap((at) => [at + 8, at + 12]),
    flags: findAll(plain, [6, 0, 0, 0, 8, 0, 0, 0]).map((at) => at + 8),
  };
}

/** The body of a plain MAT-file as one miCOMPRESSED element (how MATLAB -v7 stores variables). */
function compressBody(file: Uint8Array): Uint8Array {
  const z = new Uint8Array(deflateSync(file.subarray(128)));
  const tag = new Uint8Array(8);
  const view = new DataView(tag.buffer);
  view.setUint32(0, 15, true);
  view.setUint32(4, z.byteLength, true);
  return concat(file.subarray(0, 128), tag, z);
}

const HUGE_DIMS = [0x7fffffff, -1, -0x80000000, 0x40000000, 65536, 1 << 20, 0, 3];

export function matCase(b: MatBases, m: Mutator, i: number): FuzzInput {
  const label = `fuzz-${i}.mat`;
  const r = m.int(100);
  if (r < 40) {
    const { bytes, ops } = m.mutate(b.plain, b.hot);
    return { label, bytes, ops };
  }
  if (r < 55) {
    const { bytes, ops } = m.mutate(b.compressed, [128, 132]);
    return { label, bytes, ops: `compressed ${ops}` };
  }
  if (r < 75) {
    const { bytes, ops } = m.mutate(b.plain, b.hot);
    return { label, bytes: compressBody(bytes), ops: `inside miCOMPRESSED ${ops}` };
  }
  // Dimensions and classes: arrays of billions of elements, negative sizes, wrong classes.
  const bytes = b.plain.slice();
  const view = new DataView(bytes.buffer);
  const ops: string[] = [];
  for (let k = 1 + m.int(2); k > 0; k--) {
    if (m.chance(0.7)) {
      const at = m.pick(b.dims);
      const v = m.pick(HUGE_DIMS);
      view.setInt32(at, v, true);
      ops.push(`dim@${at}=${v}`);
    } else {
      const at = m.pick(b.flags);
      const cls = m.int(20);
      bytes[at] = cls;
      ops.push(`class@${at}=${cls}`);
    }
  }
  const compressed = m.chance(0.3);
  return { label, bytes: compressed ? compressBody(bytes) : bytes, ops: `${compressed ? 'compressed ' : ''}${ops.join(' ')}` };
}

// --- CSV ------------------------------------------------------------------------------------

export function csvBase(): Uint8Array {
  const lines = ['image_name,MOS,SD,MOS_zscore'];
  for (let k = 0; k < 20; k++) lines.push(`${k === 3 ? '"10, copy.jpg"' : `${826373 + k}.jpg`},${(1 + k * 0.17).toFixed(2)},0.${k + 1},${50 + k}`);
  return new TextEncoder().encode(`${lines.join('\r\n')}\r\n`);
}

const CSV_TOKENS = ['"', ',', '\r', '\n', '\r\n', '\uFEFF', '\0', '""', 'NaN', '1e999', '-', ' ', '"a\nb"', 'MOS'];

export function csvCase(base: Uint8Array, m: Mutator, i: number): FuzzInput {
  const label = `fuzz-${i}.csv`;
  if (m.chance(0.5)) {
    const { bytes, ops } = m.mutate(base, findAll(base, [0x2c]));
    return { label, bytes, ops };
  }
  let bytes = base;
  const ops: string[] = [];
  for (let k = 1 + m.int(4); k > 0; k--) {
    const at = m.int(bytes.byteLength + 1);
    const token = m.chance(0.1) ? '\xff\xfe' : m.pick(CSV_TOKENS);
    const ins = token === '\xff\xfe' ? new Uint8Array([0xff, 0xfe]) : new TextEncoder().encode(token);
    bytes = concat(bytes.subarray(0, at), ins, bytes.subarray(at));
    ops.push(`insert@${at}=${JSON.stringify(token)}`);
  }
  return { label, bytes, ops: ops.join(' ') };
}

// --- XLSX -----------------------------------------------------------------------------------

/** A CSIQ-style workbook: a readme sheet, and all_by_image starting at B2. */
export function xlsxBase(): Uint8Array {
  const header = ['image', 'dst_idx', 'dst_type', 'dst_lev', 'dmos_std', 'dmos'];
  const rows = Array.from({ length: 12 }, (_, k) => ['', k % 2 === 0 ? 1600 : 'boston', 1 + (k % 6), 'blur', 1 + (k % 2), 0.01, 0.05 + 0.03 * k]);
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([['notes']]), 'readme');
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([[], ['', ...header], ...rows]), 'all_by_image');
  return new Uint8Array(XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer);
}

/** Edits of sheet XML that a corrupt or hostile workbook could carry. */
const XML_EDITS: readonly [string, RegExp, string][] = [
  ['huge dimension', /<dimension ref="[^"]*"/, '<dimension ref="A1:XFD1048576"'],
  ['far cell', /r="C3"/, 'r="XFD1048576"'],
  ['bad cell ref', /r="D4"/, 'r="?!"'],
  ['shared string out of range', /<c r="B3"[^>]*>.*?<\/c>/, '<c r="B3" t="s"><v>99999</v></c>'],
  ['huge number', /<v>[^<]*<\/v>/, '<v>1e99999</v>'],
  ['formula', /<c r="G5"[^>]*>/, '<c r="G5"><f>HYPERLINK("http://x","y")</f>'],
  ['unclosed', /<\/sheetData>/, ''],
  ['entity', /<sheetData>/, '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><sheetData>'],
  ['proto key', /<sheetPr[^>]*\/>|<sheetData>/, '<sheetData><c r="__proto__"><v>1</v></c>'],
];

export function xlsxCase(base: Uint8Array, m: Mutator, i: number): FuzzInput {
  const label = `fuzz-${i}.xlsx`;
  if (m.chance(0.3)) {
    const { bytes, ops } = m.mutate(base, findAll(base, [0x50, 0x4b]));
    return { label, bytes, ops: `zip ${ops}` };
  }
  const files = unzipSync(base);
  const names = Object.keys(files);
  const sheet = names.find((n) => /worksheets\/sheet2\.xml$/.test(n)) ?? names[0]!;
  const target = m.chance(0.7) ? sheet : m.pick(names);
  let ops: string;
  if (target === sheet && m.chance(0.5)) {
    const [what, re, by] = m.pick(XML_EDITS);
    files[target] = new TextEncoder().encode(new TextDecoder().decode(files[target]).replace(re, by));
    ops = `${target}: ${what}`;
  } else {
    const mutated = m.mutate(files[target]!, findAll(files[target]!, [0x22]));
    files[target] = mutated.bytes;
    ops = `${target}: ${mutated.ops}`;
  }
  const zippable: Zippable = {};
  for (const [k, v] of Object.entries(files)) zippable[k] = v;
  return { label, bytes: zipSync(zippable), ops };
}

// --- images ---------------------------------------------------------------------------------

export interface ImageBases {
  bmp: Uint8Array[];
  png: Uint8Array;
  jpeg: Uint8Array;
}

export async function imageBases(): Promise<ImageBases> {
  const img = pattern(16, 12, 3);
  const small = pattern(5, 3, 1);
  const bmp = [
    new Uint8Array(encodeBmp(small, { bpp: 8 })),
    new Uint8Array(encodeBmp(small, { bpp: 24 })),
    new Uint8Array(encodeBmp(small, { bpp: 32, topDown: true })),
  ];
  const raw = sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 3 } });
  return {
    bmp,
    png: new Uint8Array(await raw.clone().png().toBuffer()),
    jpeg: new Uint8Array(await raw.clone().jpeg().toBuffer()),
  };
}

export function bmpCase(bases: ImageBases, m: Mutator, i: number): FuzzInput {
  const base = m.pick(bases.bmp);
  const hot: number[] = [];
  for (let k = 2; k < 70; k += 2) hot.push(k);
  const { bytes, ops } = m.mutate(base, hot);
  return { label: `fuzz-${i}.bmp`, bytes, ops };
}

/** Recomputes the CRC of every chunk whose length still fits the file; false when none did. */
function fixPngCrcs(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let fixed = false;
  while (at + 12 <= bytes.byteLength) {
    const len = view.getUint32(at);
    if (at + 12 + len > bytes.byteLength) break;
    view.setUint32(at + 8 + len, crc32(bytes.subarray(at + 4, at + 8 + len)));
    fixed = true;
    at += 12 + len;
  }
  return fixed;
}

/** PNG cases; half of the IHDR edits get a fresh CRC so that the size itself is what the decoder sees. */
export function pngCase(bases: ImageBases, m: Mutator, i: number): FuzzInput {
  const label = `fuzz-${i}.png`;
  if (m.chance(0.6)) {
    const { bytes, ops } = m.mutate(bases.png, [8, 12, 16, 20, 24, 29, 33, ...findAll(bases.png, [0x49, 0x44, 0x41, 0x54])]);
    // Half get their checksums redone, so the mutation reaches the decoder instead of the CRC check.
    const fixed = m.chance(0.5) && fixPngCrcs(bytes);
    return { label, bytes, ops: `${ops}${fixed ? ' (CRCs fixed)' : ''}` };
  }
  const bytes = bases.png.slice();
  const view = new DataView(bytes.buffer);
  const w = m.chance(0.5) ? m.pick(INTERESTING_U32) : 1 + m.int(70000);
  const h = m.chance(0.5) ? m.pick(INTERESTING_U32) : 1 + m.int(70000);
  view.setUint32(16, w);
  view.setUint32(20, h);
  if (m.chance(0.3)) bytes[24] = m.pick([1, 2, 4, 8, 16, 3, 0]); // bit depth
  if (m.chance(0.3)) bytes[25] = m.pick([0, 2, 3, 4, 6, 7]); // colour type
  view.setUint32(29, crc32(bytes.subarray(12, 29)));
  return { label, bytes, ops: `IHDR ${w}x${h} depth ${bytes[24]} colour ${bytes[25]}` };
}

export function jpegCase(bases: ImageBases, m: Mutator, i: number): FuzzInput {
  const label = `fuzz-${i}.jpg`;
  const sof = findAll(bases.jpeg, [0xff, 0xc0]).concat(findAll(bases.jpeg, [0xff, 0xc2]));
  if (m.chance(0.6)) {
    const markers = findAll(bases.jpeg, [0xff]).filter((k) => bases.jpeg[k + 1]! >= 0xc0);
    const { bytes, ops } = m.mutate(bases.jpeg, [...markers, ...sof.map((k) => k + 5)]);
    return { label, bytes, ops };
  }
  const bytes = bases.jpeg.slice();
  const view = new DataView(bytes.buffer);
  const at = sof[0]!;
  const h = m.pick([0, 1, 65535, 65500, 30000, 8]);
  const w = m.pick([0, 1, 65535, 65500, 30000, 8]);
  view.setUint16(at + 5, h);
  view.setUint16(at + 7, w);
  if (m.chance(0.3)) bytes[at + 9] = m.pick([0, 1, 2, 4, 255]); // component count
  return { label, bytes, ops: `SOF ${w}x${h} components ${bytes[at + 9]}` };
}
