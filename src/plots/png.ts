// A minimal PNG encoder (8-bit grey, RGB or RGBA, no filtering) so that galleries can embed images
// and depth maps that exist only as pixel arrays, without a round trip through an image library.
import { deflateSync } from 'node:zlib';

export interface PixelImage {
  width: number;
  height: number;
  /** 1 grey, 3 RGB, 4 RGBA (an RgbImage from src/data fits). */
  channels: 1 | 3 | 4;
  /** width * height * channels bytes, row-major from the top-left corner. */
  data: Uint8Array;
}

const COLOR_TYPE = { 1: 0, 3: 2, 4: 6 } as const;

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/** PNG file bytes of the image. */
export function encodePng(img: PixelImage): Buffer {
  const { width, height, channels, data } = img;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`encodePng: bad size ${width}x${height}`);
  }
  if (!(channels in COLOR_TYPE)) throw new Error(`encodePng: channels must be 1, 3 or 4, got ${String(channels)}`);
  const stride = width * channels;
  if (data.length !== stride * height) {
    throw new Error(`encodePng: ${width}x${height}x${channels} needs ${stride * height} bytes, got ${data.length}`);
  }
  // Each scanline starts with its filter type (0: none).
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = COLOR_TYPE[channels];
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** The image as base64 PNG, ready for imageGridFigure. */
export function pngBase64(img: PixelImage): string {
  return encodePng(img).toString('base64');
}

/**
 * A single-channel map (a depth map, row-major) as a grey base64 PNG, scaled by its own min and
 * max to 0..255 (the kit's depth convention); a constant map becomes black.
 */
export function grayPngBase64(values: ArrayLike<number>, width: number, height: number): string {
  if (values.length !== width * height) throw new Error(`grayPngBase64: ${width}x${height} needs ${width * height} values, got ${values.length}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new Error(`grayPngBase64: value ${i} is ${String(v)}, not a finite number`);
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi - lo;
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = span > 0 ? Math.round((255 * (values[i]! - lo)) / span) : 0;
  return pngBase64({ width, height, channels: 1, data });
}
