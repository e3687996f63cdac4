// A BMP (Windows bitmap) decoder: the prebuilt sharp has no BMP loader, and LIVE, TID2013 and LIVE
// Challenge ship BMP files. Reads uncompressed 24- and 32-bit files (BI_RGB, and 32-bit
// BI_BITFIELDS), 1/4/8-bit paletted files, bottom-up and top-down rows, any header from the OS/2
// 12-byte core header to BITMAPV5HEADER. RLE, JPEG/PNG-in-BMP and 16-bit files are refused with a
// message that says so.

/** Interleaved 8-bit RGB pixels, row-major from the top-left corner. */
export interface RgbImage {
  width: number;
  height: number;
  channels: 3;
  /** width * height * 3 bytes: R, G, B of pixel (x, y) at 3 * (y * width + x). */
  data: Uint8Array;
}

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_JPEG = 4;
const BI_PNG = 5;
const BI_ALPHABITFIELDS = 6;

const FILE_HEADER_BYTES = 14;
/** A guard against absurd headers (a corrupt height would otherwise allocate gigabytes). */
const MAX_PIXELS = 1 << 28;

/** True when `bytes` starts like a BMP file ("BM"). */
export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

/** Decodes a BMP file's bytes to RGB; `label` (the file's path) starts every error message. */
export function decodeBmp(bytes: Uint8Array, label = 'BMP'): RgbImage {
  const fail = (problem: string): never => {
    throw new Error(`${label}: ${problem}`);
  };
  if (!isBmp(bytes)) fail('not a BMP file (no "BM" signature)');
  if (bytes.length < FILE_HEADER_BYTES + 12) fail(`truncated BMP (${bytes.length} bytes, header incomplete)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (![12, 40, 52, 56, 64, 108, 124].includes(headerSize)) fail(`unsupported BMP header size ${headerSize}`);
  if (bytes.length < FILE_HEADER_BYTES + headerSize) fail(`truncated BMP (header of ${headerSize} bytes incomplete)`);

  const core = headerSize === 12;
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
  const rawHeight = core ? view.getInt16(20, true) : view.getInt32(22, true);
  const bpp = core ? view.getUint16(24, true) : view.getUint16(28, true);
  const compression = core ? BI_RGB : view.getUint32(30, true);
  const colorsUsed = core ? 0 : view.getUint32(46, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);

  if (width <= 0 || height === 0) fail(`invalid BMP size ${width}x${rawHeight}`);
  if (width * height > MAX_PIXELS) fail(`BMP too large (${width}x${height})`);
  if (compression === BI_RLE8 || compression === BI_RLE4) fail('RLE-compressed BMP not supported');
  if (compression === BI_JPEG || compression === BI_PNG) fail('BMP with embedded JPEG/PNG not supported');

  let masks: [number, number, number] | undefined;
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    if (bpp !== 32) fail(`${bpp}-bit BI_BITFIELDS BMP not supported (only 32-bit)`);
    // The masks follow a 40-byte header; larger headers hold them at the same offset.
    if (bytes.length < FILE_HEADER_BYTES + 52) fail('truncated BMP (colour masks missing)');
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true)];
  } else if (compression !== BI_RGB) {
    fail(`unknown BMP compression ${compression}`);
  }
  if (![1, 4, 8, 24, 32].includes(bpp)) fail(`${bpp}-bit BMP not supported (1, 4, 8, 24 or 32 bits)`);

  let palette: Uint8Array | undefined;
  if (bpp <= 8) {
    const entryBytes = core ? 3 : 4;
    const count = colorsUsed > 0 ? Math.min(colorsUsed, 1 << bpp) : 1 << bpp;
    const start = FILE_HEADER_BYTES + headerSize;
    if (start + count * entryBytes > bytes.length) fail('truncated BMP (colour table incomplete)');
    // Black for indices past the table: some writers store a short table.
    palette = new Uint8Array(3 * (1 << bpp));
    for (let i = 0; i < count; i++) {
      const o = start + i * entryBytes;
      palette[3 * i] = bytes[o + 2]!;
      palette[3 * i + 1] = bytes[o + 1]!;
      palette[3 * i + 2] = bytes[o]!;
    }
  }

  // Rows are padded to a multiple of 4 bytes.
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  const needed = pixelOffset + stride * height;
  if (pixelOffset < FILE_HEADER_BYTES + headerSize) fail(`bad pixel data offset ${pixelOffset}`);
  if (needed > bytes.length) {
    fail(`truncated BMP (pixel data needs ${needed} bytes, file has ${bytes.length})`);
  }

  const out = new Uint8Array(width * height * 3);
  const shifts = masks?.map(maskShift);
  for (let y = 0; y < height; y++) {
    const srcRow = pixelOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      if (palette) {
        const bit = x * bpp;
        const byte = bytes[srcRow + (bit >> 3)]!;
        const index = bpp === 8 ? byte : (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        out[o] = palette[3 * index]!;
        out[o + 1] = palette[3 * index + 1]!;
        out[o + 2] = palette[3 * index + 2]!;
      } else if (masks && shifts) {
        const v = view.getUint32(srcRow + 4 * x, true);
        for (let c = 0; c < 3; c++) out[o + c] = extract(v, masks[c]!, shifts[c]!);
      } else {
        // BI_RGB stores B, G, R (and an unused byte at 32 bits).
        const p = srcRow + x * (bpp >> 3);
        out[o] = bytes[p + 2]!;
        out[o + 1] = bytes[p + 1]!;
        out[o + 2] = bytes[p]!;
      }
    }
  }
  return { width, height, channels: 3, data: out };
}

function maskShift(mask: number): number {
  if (mask === 0) return 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return shift;
}

/** A colour field of a bitfields pixel, rescaled to 0..255 whatever its width. */
function extract(pixel: number, mask: number, shift: number): number {
  if (mask === 0) return 0;
  const max = mask >>> shift;
  return Math.round((((pixel & mask) >>> shift) * 255) / max);
}
