// Inputs the reader fuzzer (fuzz.test.ts) found mishandled, kept as plain regression cases so
// each fix is pinned by a readable test and not only by a seed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unzipSync, zipSync } from 'fflate';
import * as XLSX from 'xlsx';

import { csvTable, parseNumber, readWorkbook } from '../src/data/loaders/table.js';
import { parseMat } from '../src/data/mat.js';
import { parsePth, parseSafetensors } from '../src/weights/formats.js';
import { encodeMat } from './support/dataFixtures.js';
import { findAll } from './support/mutate.js';
import { assertRefused } from './support/assert.js';
import { PickleWriter, toZip64, zipPth } from './support/pickle.js';

function safetensorsWithHeader(header: string): Uint8Array {
  const text = new TextEncoder().encode(header);
  const bytes = new Uint8Array(8 + text.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(text.byteLength), true);
  bytes.set(text, 8);
  return bytes;
}

function workbook(edit: (xml: string) => string): Uint8Array {
  const book = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(book, XLSX.utils.aoa_to_sheet([['image', 'dmos'], ['a', 0.5], ['b', 0.25]]), 'all_by_image');
  const files = unzipSync(new Uint8Array(XLSX.write(book, { type: 'buffer', bookType: 'xlsx' }) as Buffer));
  const sheet = Object.keys(files).find((k) => k.endsWith('sheet1.xml'))!;
  files[sheet] = new TextEncoder().encode(edit(new TextDecoder().decode(files[sheet])));
  return zipSync(files);
}

describe('reader regressions found by the fuzzer', () => {
  it('safetensors: a header entry nested 200000 deep is described, not a stack overflow', () => {
    const bytes = safetensorsWithHeader(`{"t":${'['.repeat(200_000)}${']'.repeat(200_000)}}`);
    assertRefused(() => parseSafetensors(bytes, 'deep.safetensors'), 'deep.safetensors', /header entry "t" is a deeply nested array, expected \{dtype, shape, data_offsets\}/);
  });

  it('safetensors: a 5000-character tensor name with a newline is clipped to one short line', () => {
    const name = `evil\n${'x'.repeat(5000)}`;
    const bytes = safetensorsWithHeader(JSON.stringify({ [name]: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }));
    assertRefused(() => parseSafetensors(bytes, 'long.safetensors'), 'long.safetensors', /^long\.safetensors: tensor "evil x+\.\.\.": unknown dtype "F8"/);
    try {
      parseSafetensors(bytes, 'long.safetensors');
    } catch (err) {
      assert.ok((err as Error).message.length < 300, (err as Error).message);
    }
  });

  it('CSV: a quoted number holding a newline is shown escaped on one line', () => {
    const table = csvTable('t.csv', 'image_name,MOS\n"a.jpg","1\n2"\n');
    assert.throws(() => parseNumber(table.file, table.lines[0]!, 'MOS', table.rows[0]![1]!), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.message, 't.csv: line 2: MOS is not a number ("1\\n2")');
      return true;
    });
  });

  it('XLSX: a lying <dimension> is replaced by the cells\' range; a lone far cell is refused', () => {
    const lying = readWorkbook('lie.xlsx', workbook((xml) => xml.replace(/<dimension ref="[^"]*"/, '<dimension ref="A1:XFD1048576"')));
    assert.equal(lying.Sheets['all_by_image']!['!ref'], 'A1:B3');
    const far = workbook((xml) => xml.replace('</sheetData>', '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'));
    assertRefused(() => readWorkbook('far.xlsx', far), 'far.xlsx', /sheet "all_by_image" spans A1:XFD1048576 \(17179869184 cells\) but holds only 7: corrupt or not a label table/);
  });

  it('XLSX: an unknown cell type and a non-spreadsheet are refused on one line', () => {
    const odd = workbook((xml) => xml.replace(/<c r="A2"([^>]*) t="[a-z]+"/, '<c r="A2"$1 t="bstr"'));
    assertRefused(() => readWorkbook('odd.xlsx', odd), 'odd.xlsx', /cell A2: unknown cell type "bstr"/);
    assertRefused(() => readWorkbook('csv.xlsx', new TextEncoder().encode('image,dmos\na,1\n')), 'csv.xlsx', /not a spreadsheet \(expected an XLSX zip archive or an XLS file\)/);
  });

  it('pth: the zip64 form of an archive (as torch writes files over 4 GB) reads the same; a 2^60 offset is refused', () => {
    const pkl = new PickleWriter().proto(2).emptyDict().str('w').tensor('FloatStorage', '0', 3, 0, [3], [1]).setitem().stop().bytes();
    const zip = zipPth(pkl, { '0': new Uint8Array(new Float32Array([1, 2, 3]).buffer) });
    const zip64 = toZip64(zip);
    assert.deepEqual(Array.from(parsePth(zip64, 'z64.pth').tensors.get('w')!.data as Float32Array), [1, 2, 3]);
    // The first extra field's local-header offset (its third u64) set to 2^60.
    const extra = findAll(zip64, [0x01, 0x00, 0x18, 0x00])[0]!;
    new DataView(zip64.buffer).setBigUint64(extra + 20, 1n << 60n, true);
    assertRefused(() => parsePth(zip64, 'z64.pth'), 'z64.pth', /corrupt zip archive: 64-bit field 1152921504606846976 at byte \d+ is out of range/);
  });

  it('MAT: character data beyond Unicode, and a zero struct field-name length', () => {
    const chars = new Uint8Array(encodeMat({ c: { kind: 'char', text: 'ab' } }));
    // The char data is a small miUINT16 element (4 bytes: 'a', 'b'); as miUINT32 it is one value 0x00620061.
    const small = findAll(chars, [4, 0, 4, 0, 0x61, 0, 0x62, 0])[0]!;
    chars[small] = 6;
    assertRefused(() => parseMat(chars, 'c.mat'), 'c.mat', /character data holds 6422625, not a Unicode code point/);
    const struct = new Uint8Array(encodeMat({ s: { kind: 'struct', fields: { a: { kind: 'double', data: [1] } } } }));
    // The field-name length is a small miINT32 element holding 32.
    const len = findAll(struct, [5, 0, 4, 0, 32, 0, 0, 0])[0]!;
    struct[len + 4] = 0;
    assertRefused(() => parseMat(struct, 's.mat'), 's.mat', /variable "s": bad struct field-name length 0/);
  });
});
