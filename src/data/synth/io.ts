// Reading and writing the benchmark's files. PNGs go through sharp with fixed options so the same
// pixels always give the same bytes; every file is written to a temporary name and renamed, so an
// interrupted run never leaves a truncated file that looks finished.
import sharp from 'sharp';
import { toBytes } from './image.js';
import type { RgbImage } from './types.js';
import { writeFileAtomic as writeAtomic } from '../../util/atomic.js';

/** Fixed PNG options: part of the byte-for-byte determinism contract. */
const PNG_OPTIONS = { compressionLevel: 6, adaptiveFiltering: false, palette: false } as const;

/** Atomic against a killed process; not flushed to disk (a power cut is met by regenerating). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await writeAtomic(path, data, { sync: false });
}

export async function encodeRgbPng(bytes: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(bytes, { raw: { width, height, channels: 3 } }).png(PNG_OPTIONS).toBuffer();
}

export async function writeRgbPng(path: string, img: RgbImage): Promise<void> {
  await writeFileAtomic(path, await encodeRgbPng(toBytes(img), img.width, img.height));
}

/**
 * 16-bit greyscale PNG of inverse depth: value = round(scale / depth), clipped to 1..65535. Larger is
 * nearer, as in Depth Anything's maps, so the image pipeline's min-max scaling gives the model the
 * convention it was trained with; metric depth comes back exactly as scale / value.
 */
export async function writeInverseDepthPng16(path: string, depth: Float32Array, width: number, height: number, scale: number): Promise<void> {
  const q = new Uint16Array(width * height);
  for (let i = 0; i < q.length; i++) q[i] = Math.max(1, Math.min(65535, Math.round(scale / (depth[i] as number))));
  const png = await sharp(q, { raw: { width, height, channels: 1 } }).toColourspace('grey16').png(PNG_OPTIONS).toBuffer();
  await writeFileAtomic(path, png);
}

/** 8-bit greyscale PNG (the model-facing depth maps). */
export async function writeGreyPng8(path: string, data: Uint8Array, width: number, height: number): Promise<void> {
  const png = await sharp(data, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png(PNG_OPTIONS).toBuffer();
  await writeAtomic(path, png); // flushed: Depth Anything maps of a real dataset are costly to remake
}

/** First channel of any PNG sharp reads, at its own bit depth (8 or 16). */
export async function readGrey(path: string): Promise<{ width: number; height: number; data: Uint8Array | Uint16Array; bits: 8 | 16 }> {
  let meta;
  try {
    meta = await sharp(path).metadata();
  } catch (err) {
    throw new Error(`${path}: not a readable image (${err instanceof Error ? err.message : String(err)})`);
  }
  if (meta.depth === 'ushort') {
    const { data, info } = await sharp(path).extractChannel(0).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const u16 = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
    return { width: info.width, height: info.height, data: u16, bits: 16 };
  }
  const { data, info } = await sharp(path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data), bits: 8 };
}

/** Metric depth (m) from a 16-bit inverse-depth PNG written by writeInverseDepthPng16. */
export async function readInverseDepthPng16(path: string, scale: number): Promise<{ width: number; height: number; depth: Float32Array }> {
  const g = await readGrey(path);
  if (g.bits !== 16) throw new Error(`${path}: expected a 16-bit depth PNG, found 8-bit`);
  const depth = new Float32Array(g.data.length);
  for (let i = 0; i < depth.length; i++) depth[i] = scale / Math.max(1, g.data[i] as number);
  return { width: g.width, height: g.height, depth };
}
