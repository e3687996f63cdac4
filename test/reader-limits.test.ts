// Declared sizes beyond the file: a header that claims terabytes must be refused from the header
// alone, before anything of that size is allocated. Each case checks the refusal's message, that
// it comes back at once, and that memory (array buffers, JS heap, resident set) does not jump.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

import { decodeBmp } from '../src/data/bmp.js';
import { decodeImageBytes } from '../src/data/image.js';
import { parseMat } from '../src/data/mat.js';
import { encodeSafetensors, parsePth, parseSafetensors } from '../src/weights/formats.js';
import { encodeBmp, encodeMat, pattern } from './support/dataFixtures.js';
import { concat, findAll } from './support/mutate.js';
import { PickleWriter, zipPth } from './support/pickle.js';

const MB = 1 << 20;

/** Runs `fn`, which must throw a one-line error for `label` matching `re`, quickly and without a memory jump. */
async function refusedCheaply(label: string, re: RegExp, fn: () => unknown): Promise<void> {
  const before = process.memoryUsage();
  const t0 = performance.now();
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  assert.ok(caught instanceof Error, `${label}: not refused`);
  assert.ok(caught.message.startsWith(`${label}: `), caught.message);
  assert.ok(!/[\r\n]/.test(caught.message), `one line: ${caught.message}`);
  assert.match(caught.message, re);
  // not a speed test: a refusal that read or allocated the declared size would take minutes (or die)
  assert.ok(ms < 5000, `${label}: refusal took ${ms.toFixed(0)} ms`);
  const grew = after.arrayBuffers + after.heapUsed - (before.arrayBuffers + before.heapUsed);
  assert.ok(grew < 32 * MB, `${label}: heap and buffers grew by ${grew} bytes`);
  assert.ok(after.rss - before.rss < 128 * MB, `${label}: resident set grew by ${after.rss - before.rss} bytes`);
}

function smallSafetensors(): Uint8Array {
  return encodeSafetensors(new Map([['w', { dtype: 'F32' as const, shape: [2, 2], data: new Float32Array(4) }]]));
}

describe('declared sizes beyond the file are refused before allocation', () => {
  it('safetensors: a header length of 2^40 bytes, and of 2^64 - 1', async () => {
    for (const len of [1n << 40n, (1n << 64n) - 1n]) {
      const bytes = smallSafetensors();
      new DataView(bytes.buffer).setBigUint64(0, len, true);
      await refusedCheaply('big.safetensors', /header length \d+ bytes points past the end of the file/, () => parseSafetensors(bytes, 'big.safetensors'));
    }
  });

  it('safetensors: a tensor of 4 TB in a file of a few hundred bytes', async () => {
    const header = JSON.stringify({ w: { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 4 * 2 ** 40] } });
    const text = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + text.byteLength + 16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(text.byteLength), true);
    bytes.set(text, 8);
    await refusedCheaply('tb.safetensors', /truncated: header says 4\.4 TB \(4398046511104 bytes\) of tensor data, file has 16 bytes/, () =>
      parseSafetensors(bytes, 'tb.safetensors'),
    );
  });

  it('pth: a deflated zip entry declaring 4 GB uncompressed', async () => {
    const pkl = new PickleWriter().proto(2).emptyDict().stop().bytes();
    const bytes = zipPth(pkl, {}, true);
    // The central-directory record of data.pkl (the first entry): uncompressed size at +24.
    const central = findAll(bytes, [0x50, 0x4b, 0x01, 0x02])[0]!;
    new DataView(bytes.buffer).setUint32(central + 24, 0xffffffff, true);
    await refusedCheaply('bomb.pth', /corrupt zip entry "archive\/data\.pkl": declares 4\.3 GB \(4294967295 bytes\) uncompressed from \d+ bytes, more than deflate can produce/, () =>
      parsePth(bytes, 'bomb.pth'),
    );
  });

  it('pth: a storage of 2^40 elements, and a broadcast view of 2^40 elements over 24', async () => {
    const storage = new Uint8Array(96);
    const huge = new PickleWriter().proto(2).emptyDict().str('w').tensor('FloatStorage', '0', 2 ** 40, 0, [2 ** 20, 2 ** 20], [2 ** 20, 1]).setitem().stop();
    await refusedCheaply('storage.pth', /storage "0" has 96 bytes, expected 4398046511104 \(1099511627776 x F32\)/, () =>
      parsePth(zipPth(huge.bytes(), { '0': storage }), 'storage.pth'),
    );
    const broadcast = new PickleWriter().proto(2).emptyDict().str('w').tensor('FloatStorage', '0', 24, 0, [1 << 20, 1 << 20], [0, 0]).setitem().stop();
    await refusedCheaply('expand.pth', /view of 1099511627776 elements .* is larger than its storage "0" of 24/, () =>
      parsePth(zipPth(broadcast.bytes(), { '0': storage }), 'expand.pth'),
    );
  });

  it('pth: pickle strings and bytes declaring 2^40 bytes', async () => {
    const long = (op: number): Uint8Array => {
      const b = new Uint8Array(9);
      b[0] = op;
      new DataView(b.buffer).setBigUint64(1, 1n << 40n, true);
      return concat(new Uint8Array([0x80, 4]), b, new Uint8Array([0x2e]));
    };
    for (const op of [0x8d, 0x8e, 0x96]) {
      await refusedCheaply('str.pth', /truncated pickle/, () => parsePth(zipPth(long(op), {}), 'str.pth'));
    }
  });

  it('MAT: a numeric array of 2^30 x 2^30, a char array of 2^31 - 1 rows, a zip bomb nested in a zip bomb', async () => {
    const plain = new Uint8Array(encodeMat({ x: { kind: 'double', data: [1, 2] }, c: { kind: 'char', text: 'ab' } }));
    const dims = findAll(plain, [5, 0, 0, 0, 8, 0, 0, 0]);
    const numeric = plain.slice();
    new DataView(numeric.buffer).setInt32(dims[0]! + 8, 2 ** 30, true);
    new DataView(numeric.buffer).setInt32(dims[0]! + 12, 2 ** 30, true);
    await refusedCheaply('big.mat', /variable "x": dimensions 1073741824x1073741824 do not fit in its \d+ bytes/, () => parseMat(numeric, 'big.mat'));
    const chars = plain.slice();
    new DataView(chars.buffer).setInt32(dims[1]! + 8, 0x7fffffff, true);
    new DataView(chars.buffer).setInt32(dims[1]! + 12, 0, true);
    await refusedCheaply('rows.mat', /variable "c": dimensions 2147483647x0 do not fit/, () => parseMat(chars, 'rows.mat'));
    // miCOMPRESSED holding miCOMPRESSED: MATLAB never writes it, a bomb would.
    const element = (payload: Uint8Array): Uint8Array => {
      const tag = new Uint8Array(8);
      new DataView(tag.buffer).setUint32(0, 15, true);
      new DataView(tag.buffer).setUint32(4, payload.byteLength, true);
      return concat(tag, payload);
    };
    const inner = element(new Uint8Array(deflateSync(new Uint8Array(4 * MB))));
    const nested = concat(plain.subarray(0, 128), element(new Uint8Array(deflateSync(inner))));
    await refusedCheaply('nested.mat', /compressed element inside a compressed element/, () => parseMat(nested, 'nested.mat'));
  });

  it('BMP: 16000 x 16000 and 30000 x 30000 headers on a 70-byte file', async () => {
    const cases: [number, RegExp][] = [
      [16000, /truncated BMP \(pixel data needs 768000054 bytes, file has 70\)/],
      [30000, /BMP too large \(30000x30000\)/],
    ];
    for (const [side, re] of cases) {
      const bmp = new Uint8Array(encodeBmp(pattern(2, 2, 0), { bpp: 24 }));
      new DataView(bmp.buffer).setInt32(18, side, true);
      new DataView(bmp.buffer).setInt32(22, side, true);
      await refusedCheaply('big.bmp', re, () => decodeBmp(bmp, 'big.bmp'));
    }
  });

  it('PNG: headers of 16000 x 16000, 60000 x 60000 and 16777232 x 12 (with valid checksums) on a tiny file', async () => {
    const png = new Uint8Array(await sharp({ create: { width: 16, height: 12, channels: 3, background: '#808080' } }).png().toBuffer());
    // 16000 x 16000 and 60000 x 60000; 16777232 x 12 is a bit flip of the width that the decoder
    // used to work through for 1.7 s: a tiny file may not declare more than 4 million pixels.
    for (const [w, h] of [[16000, 16000], [60000, 60000], [16777232, 12]] as const) {
      const bytes = png.slice();
      const view = new DataView(bytes.buffer);
      view.setUint32(16, w);
      view.setUint32(20, h);
      view.setUint32(29, crc32(bytes.subarray(12, 29)));
      await refusedCheaply('big.png', /unreadable image \(Input image exceeds pixel limit\)/, () => decodeImageBytes(bytes, 'big.png'));
    }
  });
});
