import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  type RawTensor,
  encodeSafetensors,
  parseSafetensors,
  readCheckpoint,
  readSafetensors,
  toFloat32,
  writeSafetensors,
} from '../src/weights/formats.js';
import { assertRefused } from './support/assert.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/parity-tiny/weights.safetensors', import.meta.url));

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dgiqa-safetensors-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A safetensors file from a header (object or raw text) and a data region of `dataLen` bytes. */
function craft(header: object | string, dataLen: number, declaredLen?: bigint): Uint8Array {
  const text = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.byteLength + dataLen);
  new DataView(out.buffer).setBigUint64(0, declaredLen ?? BigInt(text.byteLength), true);
  out.set(text, 8);
  return out;
}


/** The tensor data region of a file we wrote (header length + header skipped). */
function dataRegion(bytes: Uint8Array): DataView {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new DataView(bytes.buffer, bytes.byteOffset + 8 + n);
}

/** An independent float16 decoder for expectations: sign * 2^(e-15) * 1.m, or subnormal. */
function halfValue(bits: number): number {
  const s = bits >> 15 ? -1 : 1;
  const e = (bits >> 10) & 31;
  const m = bits & 1023;
  if (e === 0) return s * (m / 1024) * Math.pow(2, -14);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * Math.pow(2, e - 15);
}

describe('safetensors: reading', () => {
  it('reads the parity fixture: 368 float32 tensors in file order', async () => {
    const file = await readSafetensors(FIXTURE);
    assert.equal(file.format, 'safetensors');
    assert.equal(file.tensors.size, 368);
    const first = file.tensors.get('backbone.patch_embed.proj.weight');
    assert.ok(first);
    assert.equal(first.dtype, 'F32');
    assert.deepEqual(first.shape, [16, 3, 4, 4]);
    assert.equal(first.data.length, 16 * 3 * 4 * 4);
    assert.equal([...file.tensors.keys()][0], 'backbone.patch_embed.proj.weight');
    for (const [name, t] of file.tensors) {
      assert.equal(t.dtype, 'F32', name);
      assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1), name);
      for (const v of toFloat32(t)) assert.ok(Number.isFinite(v), name);
    }
  });

  it('readCheckpoint dispatches on content, not on the extension', async () => {
    const misnamed = join(dir, 'weights.pth');
    await writeFile(misnamed, await readFile(FIXTURE));
    const file = await readCheckpoint(misnamed);
    assert.equal(file.format, 'safetensors');
    assert.equal(file.tensors.size, 368);
  });
});

describe('safetensors: writing and round trips', () => {
  it('round-trips F32 bit-exactly (signed zero, infinities, subnormals, NaN) with I64, I32, U8, BOOL, F64', async () => {
    const f32 = new Float32Array([0, -0, 1.5, -3.25, Infinity, -Infinity, NaN, 1e-45, 3.4028234663852886e38, 0.1]);
    const tensors = new Map<string, RawTensor>([
      ['w', { dtype: 'F32', shape: [2, 5], data: f32 }],
      ['count', { dtype: 'I64', shape: [], data: new BigInt64Array([-(2n ** 62n) + 7n]) }],
      ['i32', { dtype: 'I32', shape: [3], data: new Int32Array([-1, 0, 2147483647]) }],
      ['u8', { dtype: 'U8', shape: [2], data: new Uint8Array([0, 255]) }],
      ['mask', { dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) }],
      ['f64', { dtype: 'F64', shape: [1], data: new Float64Array([Math.PI]) }],
      ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const path = join(dir, 'mixed.safetensors');
    await writeSafetensors(path, tensors);
    const back = await readSafetensors(path);
    assert.deepEqual([...back.tensors.keys()], [...tensors.keys()]);
    for (const [name, t] of tensors) {
      const r = back.tensors.get(name)!;
      assert.equal(r.dtype, t.dtype, name);
      assert.deepEqual(r.shape, t.shape, name);
      assert.deepEqual(
        new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength),
        new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        name,
      );
    }
    const count = back.tensors.get('count')!;
    assert.ok(count.data instanceof BigInt64Array);
    assert.equal(count.data[0], -(2n ** 62n) + 7n);
    // Tensor data starts 8-byte aligned in the file.
    const bytes = await readFile(path);
    assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0);
  });

  it('narrows F16 with round-to-nearest-even: exact bit patterns in the file, exact values back', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.1, 0x2e66],
      [1 / 3, 0x3555],
      [-0, 0x8000],
      [65504, 0x7bff], // largest finite half
      [65519, 0x7bff], // just below the tie with infinity
      [65520, 0x7c00], // tie between 65504 and 2^16: to even, i.e. infinity
      [1e6, 0x7c00],
      [-Infinity, 0xfc00],
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie between 0 and 2^-24: to even (0)
      [1.5 * 2 ** -25, 0x0001],
      [3 * 2 ** -25, 0x0002], // tie between 1 and 2 units: to even (2)
      [1023.5 * 2 ** -24, 0x0400], // tie between the largest subnormal and the smallest normal
      [1 + 2 ** -11, 0x3c00], // tie between 1 and 1 + 2^-10: to even (1)
      [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: to even
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
      [2 ** -30, 0x0000],
    ];
    const data = new Float32Array([...cases.map(([v]) => v), NaN]);
    const bytes = encodeSafetensors(new Map([['h', { dtype: 'F16', shape: [data.length], data }]]));
    const stored = dataRegion(bytes);
    cases.forEach(([v, bits], i) => {
      assert.equal(stored.getUint16(2 * i, true), bits, `F16 of ${v}: 0x${stored.getUint16(2 * i, true).toString(16)}`);
    });
    const nanBits = stored.getUint16(2 * cases.length, true);
    assert.ok((nanBits & 0x7c00) === 0x7c00 && (nanBits & 0x3ff) !== 0, 'NaN stays NaN');

    const back = parseSafetensors(bytes, 'h.safetensors').tensors.get('h')!;
    assert.equal(back.dtype, 'F16');
    assert.ok(back.data instanceof Float32Array);
    cases.forEach(([v, bits], i) => assert.ok(Object.is(back.data[i], halfValue(bits)), `decoded F16 of ${v}`));
    assert.ok(Number.isNaN(back.data[cases.length]));
  });

  it('narrows BF16 with round-to-nearest-even', () => {
    const cases: [number, number][] = [
      [1, 0x3f80],
      [-2, 0xc000],
      [Math.PI, 0x4049],
      [-0, 0x8000],
      [1 + 2 ** -8, 0x3f80], // tie: to even
      [1 + 3 * 2 ** -8, 0x3f82], // tie between 0x3f81 and 0x3f82: to even
      [1 + 2 ** -8 + 2 ** -20, 0x3f81], // above the tie
      [3.4028234663852886e38, 0x7f80], // float32 max rounds up to infinity
      [Infinity, 0x7f80],
      [1e-40, 0x0001], // float32 subnormal 0x000116c2
    ];
    const data = new Float32Array(cases.map(([v]) => v));
    const bytes = encodeSafetensors(new Map([['b', { dtype: 'BF16', shape: [data.length], data }]]));
    const stored = dataRegion(bytes);
    cases.forEach(([v, bits], i) => assert.equal(stored.getUint16(2 * i, true), bits, `BF16 of ${v}`));
    const back = parseSafetensors(bytes, 'b.safetensors').tensors.get('b')!;
    const widened = new Float32Array(1);
    const widenedBits = new Uint32Array(widened.buffer);
    cases.forEach(([v, bits], i) => {
      widenedBits[0] = bits << 16; // bfloat16 is the high half of a float32
      assert.ok(Object.is(back.data[i], widened[0]), `decoded BF16 of ${v}`);
    });
  });

  it('round-trips metadata and keeps tensor order (integer-like names too)', async () => {
    const metadata = { format: 'pt', note: 'ünïcödé, "quotes", newline\nkept', seed: '7' };
    const tensors = new Map<string, RawTensor>([
      ['10', { dtype: 'F32', shape: [1], data: new Float32Array([10]) }],
      ['2', { dtype: 'F32', shape: [1], data: new Float32Array([2]) }],
      ['a.b', { dtype: 'BF16', shape: [1, 1], data: new Float32Array([0.5]) }],
    ]);
    const path = join(dir, 'meta.safetensors');
    await writeSafetensors(path, tensors, metadata);
    const back = await readSafetensors(path);
    assert.deepEqual(back.metadata, metadata);
    assert.deepEqual([...back.tensors.keys()], ['10', '2', 'a.b']);
    assert.deepEqual([...back.tensors.get('a.b')!.data], [0.5]);
  });

  it('writes atomically: overwrites in place, leaves no temporary files, and a refused write keeps the old file', async () => {
    const sub = await mkdtemp(join(dir, 'atomic-'));
    const path = join(sub, 'ckpt.safetensors');
    const one = new Map<string, RawTensor>([['x', { dtype: 'F32', shape: [1], data: new Float32Array([1]) }]]);
    await writeSafetensors(path, one);
    await writeSafetensors(path, new Map([['x', { dtype: 'F32', shape: [1], data: new Float32Array([2]) }]]));
    assert.deepEqual([...(await readSafetensors(path)).tensors.get('x')!.data], [2]);
    const before = await readFile(path);
    const bad = new Map<string, RawTensor>([['x', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]]);
    await assert.rejects(writeSafetensors(path, bad), /ckpt\.safetensors: tensor "x": shape \[3\] has 3 elements, data has 2/);
    const wrongType = new Map<string, RawTensor>([['x', { dtype: 'I64', shape: [1], data: new Float32Array(1) } as unknown as RawTensor]]);
    await assert.rejects(writeSafetensors(path, wrongType), /dtype I64 needs a BigInt64Array/);
    assert.deepEqual(await readFile(path), before);
    assert.deepEqual(await readdir(sub), ['ckpt.safetensors']);
  });
});

describe('safetensors: refusals, each a one-line error naming the file', () => {
  it('refuses a truncated file (the fixture cut to 2 MB)', async () => {
    const cut = (await readFile(FIXTURE)).subarray(0, 2_000_000);
    assertRefused(() => parseSafetensors(cut, 'weights.safetensors'), 'weights.safetensors', /truncated: header says 6\.\d MB \(\d+ bytes\) of tensor data, file has \d\.\d MB \(\d+ bytes\)$/);
  });

  it('refuses a file shorter than the header length field', () => {
    assertRefused(() => parseSafetensors(new Uint8Array(5), 'x.safetensors'), 'x.safetensors', /truncated: 5 bytes/);
  });

  it('refuses a header length pointing past the end of the file', () => {
    const bytes = craft({}, 0, 1000n);
    assertRefused(() => parseSafetensors(bytes, 'x.safetensors'), 'x.safetensors', /header length 1000 bytes points past the end of the file \(2 bytes follow it\)/);
    const huge = craft({}, 0, 2n ** 63n);
    assertRefused(() => parseSafetensors(huge, 'x.safetensors'), 'x.safetensors', /points past the end/);
  });

  it('refuses a tensor whose byte length does not match its shape', () => {
    const bytes = craft({ a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20);
    assertRefused(() => parseSafetensors(bytes, 'x.safetensors'), 'x.safetensors', /tensor "a": shape \[2, 3\] of F32 needs 24 bytes, data_offsets \[0, 20\] give 20/);
  });

  it('refuses an unknown dtype, bad JSON, bad shapes and offsets, and non-string metadata', () => {
    const cases: [Uint8Array, RegExp][] = [
      [craft({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1), /tensor "a": unknown dtype "F8_E4M3"/],
      [craft('{"a": {"dtype": "F32",', 0), /header is not valid JSON/],
      [craft('[1, 2]', 0), /header is \[1,2\], expected a JSON object/],
      [craft({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /tensor "a": invalid shape \[-1\]/],
      [craft({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4), /tensor "a": invalid data_offsets \[4,0\]/],
      [craft({ __metadata__: { epoch: 3 } }, 0), /"__metadata__" value for "epoch" is 3, expected a string/],
    ];
    for (const [bytes, re] of cases) assertRefused(() => parseSafetensors(bytes, 'x.safetensors'), 'x.safetensors', re);
  });

  it('refuses overlapping tensors, gaps, and trailing bytes', () => {
    const overlap = craft(
      { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
      12,
    );
    assertRefused(() => parseSafetensors(overlap, 'x.safetensors'), 'x.safetensors', /tensor "b" data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/);
    const gap = craft({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8);
    assertRefused(() => parseSafetensors(gap, 'x.safetensors'), 'x.safetensors', /starts at data offset 4, leaving a gap of 4 bytes/);
    const trailing = craft({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 6);
    assertRefused(() => parseSafetensors(trailing, 'x.safetensors'), 'x.safetensors', /2 bytes of trailing data after the last tensor/);
  });

  it('readSafetensors names a missing file', async () => {
    const missing = join(dir, 'nope.safetensors');
    await assert.rejects(readSafetensors(missing), (err: Error) => err.message === `${missing}: cannot read: no such file`);
  });
});

describe('toFloat32', () => {
  it('returns float32 values for F32/F16/BF16 (no copy) and F64, refuses integers', () => {
    const f = new Float32Array([1, 2]);
    assert.equal(toFloat32({ dtype: 'F16', shape: [2], data: f }), f);
    assert.deepEqual([...toFloat32({ dtype: 'F64', shape: [1], data: new Float64Array([0.1]) })], [Math.fround(0.1)]);
    assert.throws(
      () => toFloat32({ dtype: 'I64', shape: [], data: new BigInt64Array([5n]) }, 'bn.num_batches_tracked'),
      /^TypeError: bn\.num_batches_tracked: dtype I64 is not a floating-point type/,
    );
  });
});
