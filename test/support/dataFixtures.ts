// Writers for the data tests: tiny BMP and MAT-files in the official formats (written here so that
// the loaders are tested against bytes laid out as MATLAB and Windows lay them out), PNG/JPEG through
// sharp, and small copies of each dataset's official layout.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import * as XLSX from 'xlsx';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `dgiqa-${prefix}-`));
}

export function writeFile(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

// ---------------------------------------------------------------------------------------------
// BMP

export interface Rgb {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A deterministic test pattern: every pixel differs from its neighbours. */
export function pattern(width: number, height: number, seed = 0): Rgb {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 3 * (y * width + x);
      data[o] = (x * 40 + seed * 7) & 255;
      data[o + 1] = (y * 60 + seed * 13) & 255;
      data[o + 2] = (x * y * 17 + seed) & 255;
    }
  }
  return { width, height, data };
}

/** A BMP with a BITMAPINFOHEADER: 24 or 32-bit BI_RGB, or 8-bit with a palette of the image's colours. */
export function encodeBmp(img: Rgb, options: { bpp: 8 | 24 | 32; topDown?: boolean }): Buffer {
  const { width, height, data } = img;
  const { bpp } = options;
  const colors: number[] = [];
  const indexOf = new Map<number, number>();
  if (bpp === 8) {
    for (let i = 0; i < width * height; i++) {
      const c = (data[3 * i]! << 16) | (data[3 * i + 1]! << 8) | data[3 * i + 2]!;
      if (!indexOf.has(c)) {
        indexOf.set(c, colors.length);
        colors.push(c);
      }
    }
    if (colors.length > 256) throw new Error('too many colours for an 8-bit BMP');
  }
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const paletteBytes = bpp === 8 ? 4 * colors.length : 0;
  const offset = 14 + 40 + paletteBytes;
  const buf = Buffer.alloc(offset + stride * height);
  buf.write('BM', 0, 'latin1');
  buf.writeUInt32LE(buf.length, 2);
  buf.writeUInt32LE(offset, 10);
  buf.writeUInt32LE(40, 14);
  buf.writeInt32LE(width, 18);
  buf.writeInt32LE(options.topDown ? -height : height, 22);
  buf.writeUInt16LE(1, 26);
  buf.writeUInt16LE(bpp, 28);
  buf.writeUInt32LE(0, 30);
  buf.writeUInt32LE(stride * height, 34);
  buf.writeUInt32LE(bpp === 8 ? colors.length : 0, 46);
  colors.forEach((c, i) => {
    const o = 54 + 4 * i;
    buf[o] = c & 255;
    buf[o + 1] = (c >> 8) & 255;
    buf[o + 2] = (c >> 16) & 255;
  });
  for (let y = 0; y < height; y++) {
    const row = offset + (options.topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = 3 * (y * width + x);
      const [r, g, b] = [data[s]!, data[s + 1]!, data[s + 2]!];
      if (bpp === 8) buf[row + x] = indexOf.get((r << 16) | (g << 8) | b)!;
      else {
        const o = row + x * (bpp / 8);
        buf[o] = b;
        buf[o + 1] = g;
        buf[o + 2] = r;
        if (bpp === 32) buf[o + 3] = 0xff;
      }
    }
  }
  return buf;
}

export async function writeImage(path: string, seed: number, width = 8, height = 6): Promise<void> {
  const img = pattern(width, height, seed);
  mkdirSync(dirname(path), { recursive: true });
  const lower = path.toLowerCase();
  if (lower.endsWith('.bmp')) {
    writeFileSync(path, encodeBmp(img, { bpp: 24 }));
    return;
  }
  const s = sharp(Buffer.from(img.data), { raw: { width, height, channels: 3 } });
  await (lower.endsWith('.png') ? s.png() : s.jpeg()).toFile(path);
}

// ---------------------------------------------------------------------------------------------
// MAT v5

export type MatIn =
  | { kind: 'double'; dims?: number[]; data: number[]; storeAs?: 'double' | 'uint8' }
  | { kind: 'char'; text: string; utf8?: boolean }
  | { kind: 'charRows'; rows: string[] }
  | { kind: 'cell'; dims?: number[]; cells: MatIn[] }
  | { kind: 'struct'; fields: Record<string, MatIn> };

const miINT8 = 1;
const miUINT8 = 2;
const miUINT16 = 4;
const miINT32 = 5;
const miUINT32 = 6;
const miDOUBLE = 9;
const miMATRIX = 14;
const miCOMPRESSED = 15;
const miUTF8 = 16;

/** A data element; up to 4 bytes use the small-element form, as MATLAB writes them. */
function element(type: number, payload: Buffer): Buffer {
  if (payload.length <= 4 && type !== miMATRIX) {
    const out = Buffer.alloc(8);
    out.writeUInt16LE(type, 0);
    out.writeUInt16LE(payload.length, 2);
    payload.copy(out, 4);
    return out;
  }
  const padded = Math.ceil(payload.length / 8) * 8;
  const out = Buffer.alloc(8 + padded);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(payload.length, 4);
  payload.copy(out, 8);
  return out;
}

function int32s(values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeInt32LE(v, 4 * i));
  return b;
}

function matrix(name: string, value: MatIn): Buffer {
  const classId = { double: 6, char: 4, charRows: 4, cell: 1, struct: 2 }[value.kind];
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(classId, 0);
  let dims: number[];
  let body: Buffer[];
  if (value.kind === 'double') {
    dims = value.dims ?? [1, value.data.length];
    if (value.storeAs === 'uint8') body = [element(miUINT8, Buffer.from(value.data))];
    else {
      const b = Buffer.alloc(8 * value.data.length);
      value.data.forEach((v, i) => b.writeDoubleLE(v, 8 * i));
      body = [element(miDOUBLE, b)];
    }
  } else if (value.kind === 'char') {
    dims = [1, value.text.length];
    if (value.utf8) body = [element(miUTF8, Buffer.from(value.text, 'utf8'))];
    else {
      const b = Buffer.alloc(2 * value.text.length);
      for (let i = 0; i < value.text.length; i++) b.writeUInt16LE(value.text.charCodeAt(i), 2 * i);
      body = [element(miUINT16, b)];
    }
  } else if (value.kind === 'charRows') {
    // Column-major: the first characters of all rows, then the second ones, ...
    const cols = value.rows[0]!.length;
    dims = [value.rows.length, cols];
    const b = Buffer.alloc(2 * value.rows.length * cols);
    let o = 0;
    for (let c = 0; c < cols; c++) for (const row of value.rows) b.writeUInt16LE(row.charCodeAt(c), (o++) * 2);
    body = [element(miUINT16, b)];
  } else if (value.kind === 'struct') {
    dims = [1, 1];
    const names = Object.keys(value.fields);
    const width = 32;
    const nameBytes = Buffer.alloc(width * names.length);
    names.forEach((n, i) => nameBytes.write(n, i * width, 'latin1'));
    body = [element(miINT32, int32s([width])), element(miINT8, nameBytes), ...names.map((n) => matrix('', value.fields[n]!))];
  } else {
    dims = value.dims ?? [1, value.cells.length];
    body = value.cells.map((c) => matrix('', c));
  }
  const parts = [element(miUINT32, flags), element(miINT32, int32s(dims)), element(miINT8, Buffer.from(name, 'latin1')), ...body];
  return element(miMATRIX, Buffer.concat(parts));
}

/** A level-5 MAT-file; `compress` wraps each variable in a zlib miCOMPRESSED element, as MATLAB v7 does. */
export function encodeMat(vars: Record<string, MatIn>, compress = false): Buffer {
  const header = Buffer.alloc(128, 0x20);
  header.write('MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024', 0, 'latin1');
  header.fill(0, 116, 124);
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  const elements = Object.entries(vars).map(([name, value]) => {
    const m = matrix(name, value);
    if (!compress) return m;
    const z = deflateSync(m);
    const tag = Buffer.alloc(8);
    tag.writeUInt32LE(miCOMPRESSED, 0);
    tag.writeUInt32LE(z.length, 4);
    return Buffer.concat([tag, z]);
  });
  return Buffer.concat([header, ...elements]);
}

export function cellOfStrings(names: string[], column = false): MatIn {
  return { kind: 'cell', dims: column ? [names.length, 1] : [1, names.length], cells: names.map((text) => ({ kind: 'char', text })) };
}

// ---------------------------------------------------------------------------------------------
// Dataset layouts

export const LIVE_TEST_REFS = ['bikes.bmp', 'buildings.bmp', 'caps.bmp'];
const LIVE_FOLDERS: [string, number][] = [['jp2k', 227], ['jpeg', 233], ['wn', 174], ['gblur', 174], ['fastfading', 174]];

export interface LiveFixture {
  dmos: number[];
  orgs: number[];
  refnames: string[];
}

/**
 * LIVE release 2: 982 entries; entries with (j - 1) % 5 == 0 within a folder are reference copies;
 * entry 2 (jp2k/img2.bmp) has the lowest DMOS (-2, outside 0-100), entry 3 the highest (105).
 */
export async function buildLive(root: string, compress = false): Promise<LiveFixture> {
  const dmos: number[] = [];
  const orgs: number[] = [];
  const refnames: string[] = [];
  const bmp = encodeBmp(pattern(5, 3, 1), { bpp: 24 });
  for (const [folder, count] of LIVE_FOLDERS) {
    const info: string[] = [];
    for (let j = 1; j <= count; j++) {
      const k = dmos.length;
      const ref = LIVE_TEST_REFS[k % LIVE_TEST_REFS.length]!;
      const copy = (j - 1) % 5 === 0;
      refnames.push(ref);
      orgs.push(copy ? 1 : 0);
      dmos.push(copy ? 0 : k === 1 ? -2 : k === 2 ? 105 : 10 + ((k * 37) % 80));
      info.push(`${ref} img${j}.bmp ${(j * 0.5).toFixed(2)}`);
      writeFile(join(root, folder, `img${j}.bmp`), bmp);
    }
    // Written in reverse: the loader must map by image name, not by line.
    writeFile(join(root, folder, 'info.txt'), info.reverse().join('\r\n') + '\r\n');
  }
  for (const [i, ref] of LIVE_TEST_REFS.entries()) writeFile(join(root, 'refimgs', ref), encodeBmp(pattern(5, 3, 10 + i), { bpp: 24 }));
  writeFile(join(root, 'dmos.mat'), encodeMat({ dmos: { kind: 'double', data: dmos }, orgs: { kind: 'double', data: orgs, storeAs: 'uint8' } }, compress));
  writeFile(join(root, 'refnames_all.mat'), encodeMat({ refnames_all: cellOfStrings(refnames) }, compress));
  return { dmos, orgs, refnames };
}

export const CSIQ_TYPES: [string, string, string][] = [
  ['noise', 'awgn', 'AWGN'],
  ['jpeg', 'jpeg', 'JPEG'],
  ['jpeg 2000', 'jpeg2000', 'jpeg2000'],
  ['fnoise', 'fnoise', 'fnoise'],
  ['blur', 'blur', 'BLUR'],
  ['contrast', 'contrast', 'contrast'],
];

/** CSIQ: 2 references x 6 types x 2 levels = 24 rows; the sheet starts in column B, row 2. */
export async function buildCsiq(root: string): Promise<{ rows: (string | number)[][] }> {
  const refs: (string | number)[] = [1600, 'boston'];
  const rows: (string | number)[][] = [];
  let n = 0;
  for (const ref of refs) {
    await writeImage(join(root, 'src_imgs', `${ref}.png`), 50 + n);
    for (const [idx, [type, folder, tag]] of CSIQ_TYPES.entries()) {
      for (const lev of [1, 2]) {
        const dmos = Number((0.05 + 0.035 * n).toFixed(4));
        rows.push([ref, idx + 1, type, lev, 0.01, dmos]);
        await writeImage(join(root, 'dst_imgs', folder, `${ref}.${tag}.${lev}.png`), n);
        n++;
      }
    }
  }
  const header = ['image', 'dst_idx', 'dst_type', 'dst_lev', 'dmos_std', 'dmos'];
  const aoa = [[], ['', ...header], ...rows.map((r) => ['', ...r])];
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([['notes']]), 'readme');
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet(aoa), 'all_by_image');
  writeFile(join(root, 'csiq.DMOS.xlsx'), XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer);
  return { rows };
}

/** TID2013: 2 references x 3 types x 2 levels; names of reference 2 are upper case on disk. */
export async function buildTid2013(root: string): Promise<{ lines: [number, string][] }> {
  const lines: [number, string][] = [];
  let n = 0;
  for (const ref of [1, 2]) {
    const rr = String(ref).padStart(2, '0');
    await writeImage(join(root, 'reference_images', `I${rr}.BMP`), 90 + ref);
    for (const type of [1, 8, 10]) {
      for (const lev of [1, 2]) {
        const name = `i${rr}_${String(type).padStart(2, '0')}_${lev}.bmp`;
        const onDisk = ref === 2 ? name.toUpperCase() : name;
        lines.push([Number((6.5 - 0.4 * n).toFixed(5)), name]);
        await writeImage(join(root, 'distorted_images', onDisk), n);
        n++;
      }
    }
  }
  writeFile(join(root, 'mos_with_names.txt'), lines.map(([m, name]) => `${m} ${name}`).join('\r\n') + '\r\n');
  return { lines };
}

/** KADID-10k: 2 references x 2 types x 2 levels. */
export async function buildKadid10k(root: string): Promise<{ rows: [string, string, number, number][] }> {
  const rows: [string, string, number, number][] = [];
  let n = 0;
  for (const ref of ['I01', 'I02']) {
    await writeImage(join(root, 'images', `${ref}.png`), 70 + n);
    for (const type of ['01', '25']) {
      for (const lev of ['01', '05']) {
        const name = `${ref}_${type}_${lev}.png`;
        rows.push([name, `${ref}.png`, Number((4.6 - 0.45 * n).toFixed(2)), 0.5]);
        await writeImage(join(root, 'images', name), n);
        n++;
      }
    }
  }
  writeFile(join(root, 'dmos.csv'), ['dist_img,ref_img,dmos,var', ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return { rows };
}

/** LIVE Challenge: 7 training images then 3 test images (.bmp and .JPG), compressed .mat files. */
export async function buildLivec(root: string): Promise<{ names: string[]; mos: number[] }> {
  const names = ['t1.bmp', 't2.bmp', 't3.bmp', 't4.bmp', 't5.bmp', 't6.bmp', 't7.bmp', '10.bmp', '100.JPG', '1000.JPG'];
  const mos = [50, 51, 52, 53, 54, 55, 56, 63.5, 21.25, 88];
  for (const [i, name] of names.entries()) {
    await writeImage(join(root, 'Images', i < 7 ? 'trainingImages' : '', name), i);
  }
  writeFile(join(root, 'Data', 'AllImages_release.mat'), encodeMat({ AllImages_release: cellOfStrings(names, true) }, true));
  writeFile(join(root, 'Data', 'AllMOS_release.mat'), encodeMat({ AllMOS_release: { kind: 'double', data: mos } }, true));
  return { names, mos };
}

/** KonIQ-10k: 4 images, the csv quoted as in the release. */
export async function buildKoniq10k(root: string): Promise<{ rows: [string, number, number][] }> {
  const rows: [string, number, number][] = [
    ['10004473376.jpg', 3.82, 77.38],
    ['10007357496.jpg', 3.18, 60.1],
    ['10007903636.jpg', 1.6, 20.5],
    ['10009096245.jpg', 4.1, 83.0],
  ];
  for (const [i, [name]] of rows.entries()) await writeImage(join(root, '1024x768', name), i);
  const header = '"image_name","c1","c2","c3","c4","c5","c_total","MOS","SD","MOS_zscore"';
  const lines = rows.map(([name, mos, z]) => `"${name}",1,2,30,50,17,100,${mos},0.6,${z}`);
  writeFile(join(root, 'koniq10k_scores_and_distributions.csv'), [header, ...lines].join('\n') + '\n');
  return { rows };
}

/** LIVE-FB: 3 images below database/, names with and without a subfolder. */
export async function buildLivefb(root: string): Promise<{ rows: [string, number][] }> {
  const rows: [string, number][] = [
    ['AVA__149.jpg', 72.5],
    ['blur_dataset/motion0012.jpg', 31.2],
    ['voc_emotic_ava/2007_000027.jpg', 64.0],
  ];
  for (const [i, [name]] of rows.entries()) await writeImage(join(root, 'database', name), i);
  writeFile(join(root, 'labels_image.csv'), ['name,mos,height,width', ...rows.map(([n, m]) => `${n},${m},6,8`)].join('\n') + '\n');
  return { rows };
}
