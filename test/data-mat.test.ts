// The MAT v5 reader against files laid out as MATLAB writes them (uncompressed and miCOMPRESSED).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matNumbers, matStrings, matVariable, parseMat } from '../src/data/mat.js';
import { encodeMat } from './support/dataFixtures.js';
import type { MatIn } from './support/dataFixtures.js';

const VARS: Record<string, MatIn> = {
  dmos: { kind: 'double', data: [12.5, -1, 99.75, 0, 1e-3] },
  orgs: { kind: 'double', data: [0, 1, 0, 1, 1], storeAs: 'uint8' },
  grid: { kind: 'double', dims: [2, 3], data: [1, 2, 3, 4, 5, 6] },
  name: { kind: 'char', text: 'bikes.bmp' },
  u8: { kind: 'char', text: 'café', utf8: true },
  x: { kind: 'char', text: 'A' },
  rows: { kind: 'charRows', rows: ['abc', 'de '] },
  names: { kind: 'cell', dims: [3, 1], cells: [{ kind: 'char', text: 't1.bmp' }, { kind: 'char', text: '10.JPG' }, { kind: 'cell', cells: [{ kind: 'char', text: 'nested.bmp' }] }] },
  empty: { kind: 'double', dims: [0, 0], data: [] },
  s: { kind: 'struct', fields: { a: { kind: 'double', data: [7] }, label: { kind: 'char', text: 'hi' } } },
};

for (const compress of [false, true]) {
  test(`MAT v5 ${compress ? 'compressed (miCOMPRESSED)' : 'uncompressed'}: numbers, chars, cells, struct`, () => {
    const mat = parseMat(encodeMat(VARS, compress), 'x.mat');
    assert.deepEqual([...mat.variables.keys()], Object.keys(VARS));
    assert.match(mat.header, /^MATLAB 5\.0 MAT-file/);
    assert.deepEqual(Array.from(matNumbers(mat, 'dmos')), [12.5, -1, 99.75, 0, 1e-3]);
    assert.deepEqual(Array.from(matNumbers(mat, 'orgs')), [0, 1, 0, 1, 1]);
    const grid = matVariable(mat, 'grid');
    assert.equal(grid.kind, 'numeric');
    assert.deepEqual(grid.dims, [2, 3]);
    assert.deepEqual(matStrings(mat, 'name'), ['bikes.bmp']);
    assert.deepEqual(matStrings(mat, 'u8'), ['café']);
    assert.deepEqual(matStrings(mat, 'x'), ['A']);
    assert.deepEqual(matStrings(mat, 'rows'), ['abc', 'de']);
    assert.deepEqual(matStrings(mat, 'names'), ['t1.bmp', '10.JPG', 'nested.bmp']);
    assert.equal(matNumbers(mat, 'empty').length, 0);
    const s = matVariable(mat, 's');
    assert.equal(s.kind, 'struct');
    if (s.kind === 'struct') {
      assert.deepEqual(s.fields, ['a', 'label']);
      const a = s.elements[0]!.get('a');
      assert.ok(a && a.kind === 'numeric' && a.data[0] === 7);
    }
  });
}

test('MAT errors name the file and say what was expected', () => {
  const mat = parseMat(encodeMat({ dmos: { kind: 'double', data: [1] }, names: { kind: 'char', text: 'ab' } }), '/d/dmos.mat');
  assert.throws(() => matNumbers(mat, 'orgs'), /^Error: \/d\/dmos\.mat: variable "orgs" not found \(variables: dmos, names\)$/);
  assert.throws(() => matNumbers(mat, 'names'), /\/d\/dmos\.mat: variable "names" is a 1x2 char array, expected a numeric array/);
  assert.throws(() => matStrings(mat, 'dmos'), /variable "dmos" is a 1x1 double array, expected a cell array of strings/);

  const hdf5 = Buffer.alloc(600);
  hdf5.write('MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5 schema 1.00', 0, 'latin1');
  Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]).copy(hdf5, 512);
  assert.throws(() => parseMat(hdf5, 'new.mat'), /new\.mat: MATLAB v7\.3 \(HDF5\) MAT-file not supported; re-save it with save\(file, \.\.\., '-v7'\)/);
  assert.throws(() => parseMat(Buffer.from('dmos,orgs\n1,0\n'), 'csv.mat'), /csv\.mat: not a MATLAB v5\/v7 MAT-file/);

  const good = encodeMat({ dmos: { kind: 'double', data: [1, 2, 3, 4, 5, 6] } });
  assert.throws(() => parseMat(good.subarray(0, good.length - 20), 'cut.mat'), /cut\.mat: truncated data element/);
  const z = encodeMat({ dmos: { kind: 'double', data: [1, 2, 3] } }, true);
  z.fill(0, 140, 150);
  assert.throws(() => parseMat(z, 'z.mat'), /z\.mat: corrupt compressed element/);
});
