// The BMP decoder (LIVE, TID2013 and LIVE Challenge ship BMP) and decodeImage's dispatch.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { decodeBmp } from '../src/data/bmp.js';
import { decodeImage } from '../src/data/image.js';
import { encodeBmp, pattern, tempDir, writeFile } from './support/dataFixtures.js';

test('the 2x2 example of the BMP format description decodes as documented', () => {
  // Wikipedia "BMP file format", example 1: bottom row red, white; top row blue, green.
  const hex = [
    '424d', '46000000', '0000', '0000', '36000000', // file header
    '28000000', '02000000', '02000000', '0100', '1800', '00000000', '10000000', '130b0000', '130b0000', '00000000', '00000000',
    '0000ff', 'ffffff', '0000', 'ff0000', '00ff00', '0000', // pixel rows, bottom first, padded to 8 bytes
  ].join('');
  const bytes = Buffer.from(hex, 'hex');
  assert.equal(bytes.length, 0x46);
  const out = decodeBmp(bytes);
  assert.deepEqual([out.width, out.height], [2, 2]);
  assert.deepEqual(Array.from(out.data), [0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255]);
});

test('24-bit bottom-up BMP with row padding (odd width) decodes pixel-exact', () => {
  const img = pattern(5, 3, 2); // 15 bytes a row, padded to 16
  const bmp = encodeBmp(img, { bpp: 24 });
  assert.equal(bmp.length, 54 + 16 * 3);
  const out = decodeBmp(bmp);
  assert.equal(out.width, 5);
  assert.equal(out.height, 3);
  assert.deepEqual(Array.from(out.data), Array.from(img.data));
});

test('32-bit BI_RGB BMP decodes, the fourth byte ignored', () => {
  const img = pattern(4, 3, 3);
  const out = decodeBmp(encodeBmp(img, { bpp: 32 }));
  assert.deepEqual(Array.from(out.data), Array.from(img.data));
});

test('8-bit paletted BMP decodes through its colour table (odd width: padded rows)', () => {
  const img = pattern(3, 4, 5);
  const bmp = encodeBmp(img, { bpp: 8 });
  assert.equal(bmp[28], 8);
  const out = decodeBmp(bmp);
  assert.deepEqual(Array.from(out.data), Array.from(img.data));
});

test('top-down BMP (negative height) keeps row order', () => {
  const img = pattern(5, 4, 7);
  for (const bpp of [8, 24, 32] as const) {
    const bmp = encodeBmp(img, { bpp, topDown: true });
    assert.ok(bmp.readInt32LE(22) < 0);
    const out = decodeBmp(bmp);
    assert.equal(out.height, 4);
    assert.deepEqual(Array.from(out.data), Array.from(img.data), `${bpp}-bit top-down`);
  }
});

test('a truncated BMP is refused with a message naming the file', () => {
  const bmp = encodeBmp(pattern(5, 3), { bpp: 24 });
  assert.throws(() => decodeBmp(bmp.subarray(0, bmp.length - 5), '/x/img1.bmp'), /^Error: \/x\/img1\.bmp: truncated BMP \(pixel data needs 102 bytes, file has 97\)$/);
  assert.throws(() => decodeBmp(bmp.subarray(0, 20), 'a.bmp'), /a\.bmp: truncated BMP/);
});

test('unsupported BMP variants get a clear error', () => {
  const rle = encodeBmp(pattern(2, 2), { bpp: 8 });
  rle.writeUInt32LE(1, 30);
  assert.throws(() => decodeBmp(rle, 'r.bmp'), /r\.bmp: RLE-compressed BMP not supported/);
  const b16 = encodeBmp(pattern(2, 2), { bpp: 24 });
  b16.writeUInt16LE(16, 28);
  assert.throws(() => decodeBmp(b16, 's.bmp'), /s\.bmp: 16-bit BMP not supported/);
  assert.throws(() => decodeBmp(Buffer.from('PNG not a bitmap'), 'p.bmp'), /p\.bmp: not a BMP file/);
});

test('decodeImage: BMP through the own decoder, PNG/JPEG/grey through sharp, errors name the file', async () => {
  const dir = tempDir('img');
  const img = pattern(7, 5, 4);
  writeFile(join(dir, 'a.BMP'), encodeBmp(img, { bpp: 24 }));
  const bmp = await decodeImage(join(dir, 'a.BMP'));
  assert.deepEqual([bmp.width, bmp.height, bmp.channels], [7, 5, 3]);
  assert.deepEqual(Array.from(bmp.data), Array.from(img.data));

  await sharp(Buffer.from(img.data), { raw: { width: 7, height: 5, channels: 3 } }).png().toFile(join(dir, 'a.png'));
  const png = await decodeImage(join(dir, 'a.png'));
  assert.deepEqual(Array.from(png.data), Array.from(img.data));

  await sharp(Buffer.from(img.data), { raw: { width: 7, height: 5, channels: 3 } }).jpeg({ quality: 95 }).toFile(join(dir, 'a.jpg'));
  const jpg = await decodeImage(join(dir, 'a.jpg'));
  assert.deepEqual([jpg.width, jpg.height, jpg.data.length], [7, 5, 105]);

  const grey = Buffer.from([0, 50, 100, 150, 200, 250]);
  await sharp(grey, { raw: { width: 3, height: 2, channels: 1 } }).png().toFile(join(dir, 'g.png'));
  const g = await decodeImage(join(dir, 'g.png'));
  assert.deepEqual(Array.from(g.data.subarray(0, 6)), [0, 0, 0, 50, 50, 50]);

  writeFile(join(dir, 'bad.jpg'), 'not an image');
  await assert.rejects(decodeImage(join(dir, 'bad.jpg')), new RegExp(`${join(dir, 'bad.jpg')}: unreadable image`));
  await assert.rejects(decodeImage(join(dir, 'none.png')), /none\.png: image missing/);
});
