// Decoding an image file to 8-bit RGB pixels: sharp (libvips) for JPEG, PNG, TIFF and WebP; the
// kit's own decoder for BMP, which the prebuilt sharp cannot read (LIVE, TID2013 and part of LIVE
// Challenge ship BMP).
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { decodeBmp, isBmp } from './bmp.js';
import type { RgbImage } from './bmp.js';

export type { RgbImage } from './bmp.js';

/**
 * Decodes `path` to RGB. Alpha is dropped, grey is repeated to three channels, 16-bit samples are
 * reduced to 8 bits. EXIF orientation is NOT applied, as PIL's `Image.open(...).convert('RGB')` in
 * the PyTorch IQA code does not apply it either: labels were collected on the stored pixels.
 * Errors are one line naming the file.
 */
export async function decodeImage(path: string): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'image missing' : `unreadable (${(err as Error).message})`}`);
  }
  return decodeImageBytes(bytes, path);
}

/** sharp's own default ceiling (0x3FFF squared pixels). */
const MAX_PIXELS = 0x3fff * 0x3fff;
/** Any image up to 2048 x 2048 may decode, whatever its file size. */
const FREE_PIXELS = 1 << 22;

/**
 * The most pixels a file of `bytes` may declare. A header is free to claim 16 million columns, and
 * the decoder then works through rows the file cannot hold (a 500-byte PNG kept it busy for 1.7 s).
 * Real photographs hold far more than a byte per 1024 pixels, so this bound only refuses headers
 * their files cannot back.
 */
function pixelLimit(bytes: number): number {
  return Math.min(MAX_PIXELS, Math.max(FREE_PIXELS, bytes * 1024));
}

/** Decodes image bytes already in memory; `label` (the file's path) starts every error message. */
export async function decodeImageBytes(bytes: Uint8Array, label: string): Promise<RgbImage> {
  // Dispatch on the content, not the name: a `.bmp` that is really a PNG still decodes.
  if (isBmp(bytes)) return decodeBmp(bytes, label);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: pixelLimit(bytes.byteLength) })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, channels: 3, data: toRgb(data, info.channels) };
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new Error(`${label}: unreadable image (${reason})`);
  }
}

/** Converts 1- or 3-channel interleaved bytes to RGB (sharp returns 3 after `srgb`, but be sure). */
function toRgb(data: Uint8Array, channels: number): Uint8Array {
  if (channels === 3) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (channels === 1) {
    const out = new Uint8Array(data.length * 3);
    for (let i = 0; i < data.length; i++) out.fill(data[i]!, 3 * i, 3 * i + 3);
    return out;
  }
  throw new Error(`unexpected ${channels}-channel output from sharp`);
}
