// Decoding the two inputs of a sample: the RGB image (through the kit's decodeImage: sharp for
// JPEG/PNG/TIFF/WebP, its own decoder for BMP) and the depth map (one channel at its own bit depth,
// so a 16-bit depth PNG keeps its 16 bits until the per-map min-max scaling).
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { decodeBmp, isBmp } from '../bmp.js';
import { decodeImage } from '../image.js';
import type { Plane } from './planes.js';

/** The image as an 8-bit RGB plane; errors are one line naming the file. */
export async function decodeRgb(path: string): Promise<Plane> {
  const img = await decodeImage(path);
  return { width: img.width, height: img.height, channels: 3, data: img.data };
}

/**
 * The depth map's first channel, 8- or 16-bit samples as stored (an RGB depth PNG, as Depth
 * Anything's grey map repeated to 3 channels, gives its first channel). Any scale is fine: the
 * pipeline min-max scales each map. Errors are one line naming the image and the depth file.
 */
export async function decodeDepth(path: string, imagePath: string): Promise<Plane> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'missing' : `unreadable (${oneLine(err)})`;
    throw new Error(`${imagePath}: depth map ${path} ${what}`);
  }
  try {
    if (isBmp(bytes)) {
      const rgb = decodeBmp(bytes, path);
      return firstChannel(rgb.data, 3, rgb.width, rgb.height, false);
    }
    const meta = pngHeader(bytes) ?? (await sharp(bytes).metadata());
    const bands = meta.channels ?? 1;
    if (meta.depth === 'ushort') {
      // rgb16/grey16 keep the 16-bit values; without them sharp would reduce to 8 bits.
      const space = bands >= 3 ? 'rgb16' : 'grey16';
      const { data, info } = await sharp(bytes).toColourspace(space).raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
      const u16 = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
      return firstChannel(u16, info.channels, info.width, info.height, true);
    }
    if (meta.depth !== 'uchar') {
      throw new Error(`unsupported sample format '${meta.depth}' (use an 8- or 16-bit PNG)`);
    }
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    return firstChannel(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.channels, info.width, info.height, false);
  } catch (err) {
    const msg = oneLine(err);
    throw new Error(msg.startsWith(path) ? `${imagePath}: depth map ${msg}` : `${imagePath}: depth map ${path} unreadable (${msg})`);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Bit depth and channel count from a PNG's IHDR (saves sharp a metadata pass); undefined if not a PNG. */
function pngHeader(bytes: Uint8Array): { depth: 'uchar' | 'ushort'; channels: number } | undefined {
  if (bytes.length < 33 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) return undefined;
  if (String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!) !== 'IHDR') return undefined;
  const bits = bytes[24]!;
  const colourType = bytes[25]!;
  const channels = ({ 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 } as Record<number, number>)[colourType];
  if (channels === undefined) return undefined;
  return { depth: bits === 16 ? 'ushort' : 'uchar', channels };
}

function firstChannel(data: Uint8Array | Uint16Array, stride: number, width: number, height: number, sixteen: boolean): Plane {
  if (stride === 1) return { width, height, channels: 1, data };
  const n = width * height;
  const out = sixteen ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = data[i * stride]!;
  return { width, height, channels: 1, data: out };
}

/** The first line of an error's message. */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();
}
