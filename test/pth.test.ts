import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Zippable, zipSync } from 'fflate';

import { type RawTensor, parsePth, readCheckpoint, readPth, readSafetensors } from '../src/weights/formats.js';
import { assertRefused } from './support/assert.js';
import { PickleWriter as Pickle } from './support/pickle.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/parity-tiny/', import.meta.url));
const PTH = join(FIXTURES, 'weights.pth');
const SAFETENSORS = join(FIXTURES, 'weights.safetensors');

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dgiqa-pth-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A torch.save-style zip: `<prefix>/data.pkl`, `<prefix>/data/<key>`, `<prefix>/version`. */
function makePth(
  pkl: Uint8Array,
  storages: Record<string, Uint8Array>,
  options: { prefix?: string; deflate?: boolean; byteorder?: string } = {},
): Uint8Array {
  const prefix = options.prefix ?? 'archive';
  const level = options.deflate === true ? 6 : 0;
  const files: Zippable = { [`${prefix}/data.pkl`]: [pkl, { level }] };
  if (options.byteorder !== undefined) files[`${prefix}/byteorder`] = [new TextEncoder().encode(options.byteorder), { level: 0 }];
  for (const [key, data] of Object.entries(storages)) files[`${prefix}/data/${key}`] = [data, { level }];
  files[`${prefix}/version`] = [new TextEncoder().encode('3\n'), { level: 0 }];
  return zipSync(files);
}

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

/** A float32 storage holding 0, 1, ..., 11. */
const storage = f32Bytes(Array.from({ length: 12 }, (_, i) => i));

function u16Bytes(values: number[], littleEndian = true): Uint8Array {
  const out = new Uint8Array(2 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint16(2 * i, v, littleEndian));
  return out;
}

/** A state dict `{name: tensor, ...}` pickle, each tensor given as a function that emits it. */
function stateDict(entries: [string, (p: Pickle) => void][]): Pickle {
  const p = new Pickle().proto().emptyDict().mark();
  for (const [name, emit] of entries) {
    p.str(name);
    emit(p);
  }
  return p.setitems();
}


function values(t: RawTensor | undefined): (number | bigint)[] {
  assert.ok(t !== undefined);
  return Array.from(t.data as ArrayLike<number | bigint>);
}

describe('pth: the parity fixture', () => {
  it('holds every safetensors tensor, bit for bit, plus int64 num_batches_tracked', async () => {
    const pth = await readPth(PTH);
    const st = await readSafetensors(SAFETENSORS);
    assert.equal(pth.format, 'pth');
    assert.equal(pth.metadata.archive, 'weights');
    assert.equal(pth.metadata.state_dict_key, undefined);
    assert.equal(st.tensors.size, 368);
    for (const [name, want] of st.tensors) {
      const got = pth.tensors.get(name);
      assert.ok(got, `missing ${name}`);
      assert.equal(got.dtype, 'F32', name);
      assert.deepEqual(got.shape, want.shape, name);
      assert.ok(got.data instanceof Float32Array);
      assert.deepEqual(
        new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength),
        new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength),
        name,
      );
    }
    const extra = [...pth.tensors.keys()].filter((k) => !st.tensors.has(k));
    assert.ok(extra.length > 0);
    for (const name of extra) {
      assert.match(name, /\.num_batches_tracked$/);
      const t = pth.tensors.get(name)!;
      assert.equal(t.dtype, 'I64');
      assert.deepEqual(t.shape, []);
      assert.ok(t.data instanceof BigInt64Array);
      assert.equal(t.data.length, 1);
    }
  });

  it('readCheckpoint dispatches on content, not on the extension', async () => {
    const misnamed = join(dir, 'weights.safetensors');
    await copyFile(PTH, misnamed);
    const file = await readCheckpoint(misnamed);
    assert.equal(file.format, 'pth');
    assert.ok(file.tensors.size > 368);
  });

  it('refuses the fixture cut short', async () => {
    const bytes = await readFile(PTH);
    assertRefused(() => parsePth(bytes.subarray(0, bytes.length >> 1), 'weights.pth'), 'weights.pth', /truncated or corrupt zip archive: end-of-central-directory record not found/);
  });
});

describe('pth: hand-built pickles', () => {

  it('honors storage offsets and strides (transposed, offset, broadcast, 3-D permuted, scalar views)', () => {
    const pkl = stateDict([
      ['contiguous', (p) => p.tensor('FloatStorage', '0', 12, 6, [2, 3], [3, 1])],
      ['transposed', (p) => p.tensor('FloatStorage', '0', 12, 0, [3, 2], [1, 3])],
      ['offset', (p) => p.tensor('FloatStorage', '0', 12, 5, [2, 2], [4, 1])],
      ['broadcast', (p) => p.tensor('FloatStorage', '0', 12, 1, [2, 3], [0, 1])],
      ['permuted', (p) => p.tensor('FloatStorage', '0', 12, 0, [2, 3, 2], [1, 4, 2])],
      ['scalar', (p) => p.tensor('FloatStorage', '0', 12, 7, [], [])],
    ])
      .stop()
      .bytes();
    const file = parsePth(makePth(pkl, { '0': storage }), 'views.pth');
    assert.deepEqual(values(file.tensors.get('contiguous')), [6, 7, 8, 9, 10, 11]);
    assert.deepEqual(values(file.tensors.get('transposed')), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(values(file.tensors.get('offset')), [5, 6, 9, 10]);
    assert.deepEqual(values(file.tensors.get('broadcast')), [1, 2, 3, 1, 2, 3]);
    // permuted[i][j][k] = storage[i*1 + j*4 + k*2], listed in row-major order by plain loops.
    const permuted: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 2; k++) permuted.push(i + 4 * j + 2 * k);
    assert.deepEqual(values(file.tensors.get('permuted')), permuted);
    assert.deepEqual(file.tensors.get('permuted')!.shape, [2, 3, 2]);
    assert.deepEqual(values(file.tensors.get('scalar')), [7]);
    assert.deepEqual(file.tensors.get('scalar')!.shape, []);
  });

  it('decodes half, bfloat16 and int64 storages, deflated entries, and big-endian archives', () => {
    const pkl = stateDict([
      ['half', (p) => p.tensor('HalfStorage', 'h', 4, 0, [4], [1])],
      ['bf16', (p) => p.tensor('BFloat16Storage', 'b', 2, 0, [2], [1])],
      ['steps', (p) => p.tensor('LongStorage', 'n', 2, 1, [], [])],
    ])
      .stop()
      .bytes();
    const long = (littleEndian: boolean): Uint8Array => {
      const out = new Uint8Array(16);
      const view = new DataView(out.buffer);
      view.setBigInt64(0, -1n, littleEndian);
      view.setBigInt64(8, 2n ** 40n + 5n, littleEndian);
      return out;
    };
    const storages = (littleEndian: boolean): Record<string, Uint8Array> => ({
      h: u16Bytes([0x3c00, 0xc000, 0x7bff, 0x0001], littleEndian),
      b: u16Bytes([0x3f80, 0x4049], littleEndian),
      n: long(littleEndian),
    });
    const variants = [
      makePth(pkl, storages(true)),
      makePth(pkl, storages(true), { deflate: true }),
      makePth(pkl, storages(true), { byteorder: 'little' }),
      makePth(pkl, storages(false), { byteorder: 'big' }),
    ];
    for (const bytes of variants) {
      const file = parsePth(bytes, 'mixed.pth');
      const half = file.tensors.get('half')!;
      assert.equal(half.dtype, 'F16');
      assert.deepEqual(values(half), [1, -2, 65504, 2 ** -24]);
      const bf16 = file.tensors.get('bf16')!;
      assert.equal(bf16.dtype, 'BF16');
      assert.deepEqual(values(bf16), [1, 3.140625]);
      const steps = file.tensors.get('steps')!;
      assert.equal(steps.dtype, 'I64');
      assert.deepEqual(values(steps), [2n ** 40n + 5n]);
    }
  });

  it('finds a state dict nested in a training checkpoint, unwraps parameters, ignores non-tensor values', () => {
    const pkl = new Pickle()
      .proto()
      .emptyDict()
      .mark()
      .str('epoch')
      .int(3)
      .str('state_dict')
      // OrderedDict() with entries, then BUILD with its `_metadata` attribute, as torch writes it.
      .global('collections', 'OrderedDict')
      .emptyTuple()
      .reduce()
      .binput(0)
      .mark()
      .str('w')
      .global('torch._utils', '_rebuild_parameter')
      .mark();
    pkl.tensor('FloatStorage', '0', 12, 0, [2], [1]).newFalse().global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    pkl
      .str('version')
      .int(2)
      .setitems()
      .emptyDict()
      .str('_metadata')
      .emptyDict()
      .setitem()
      .build()
      .setitems()
      .stop();
    const file = parsePth(makePth(pkl.bytes(), { '0': storage }), 'train.pth');
    assert.deepEqual([...file.tensors.keys()], ['w']);
    assert.deepEqual(values(file.tensors.get('w')), [0, 1]);
    assert.equal(file.metadata.state_dict_key, 'state_dict');
  });

  it('reads pickles written by CPython\'s own pickler (protocols 2, 4 and 5)', () => {
    // Made with Python 3.11's pickle.Pickler and stand-in torch classes whose __reduce__ matches
    // torch's: {'model': OrderedDict(a=<view of storage '0'>, b=Parameter(<all of '0'>),
    // step=10**20) with _metadata, 'epoch': 7, 'lr': 0.5, 'name': 'dgiqa'}; storage '0' is
    // HalfStorage of 6 elements; a = offset 1, size (2, 2), stride (1, 2).
    const pickles = [
      'gAJ9cQAoWAUAAABtb2RlbHEBY2NvbGxlY3Rpb25zCk9yZGVyZWREaWN0CnECKVJxAyhYAQAAAGFxBGN0b3JjaC5fdXRpbHMKX3JlYnVpbGRfdGVuc29yX3YyCnEFKChYBwAAAHN0b3JhZ2VxBmN0b3JjaApIYWxmU3RvcmFnZQpxB1gBAAAAMHEIWAMAAABjcHVxCUsGdHEKUUsBSwJLAoZxC0sBSwKGcQyJaAIpUnENdHEOUnEPWAEAAABicRBjdG9yY2guX3V0aWxzCl9yZWJ1aWxkX3BhcmFtZXRlcgpxEWgFKChoBmgHaAhoCUsGdHESUUsASwaFcRNLAYVxFIloAilScRV0cRZScReIaAIpUnEYh3EZUnEaWAQAAABzdGVwcRuKCQAAEGMtXsdrBXV9cRxYCQAAAF9tZXRhZGF0YXEdaAIpUnEeWAAAAABxH31xIFgHAAAAdmVyc2lvbnEhSwFzc3NiWAUAAABlcG9jaHEiSwdYAgAAAGxycSNHP+AAAAAAAABYBAAAAG5hbWVxJFgFAAAAZGdpcWFxJXUu',
      'gASVUgEAAAAAAAB9lCiMBW1vZGVslIwLY29sbGVjdGlvbnOUjAtPcmRlcmVkRGljdJSTlClSlCiMAWGUjAx0b3JjaC5fdXRpbHOUjBJfcmVidWlsZF90ZW5zb3JfdjKUk5QoKIwHc3RvcmFnZZSMBXRvcmNolIwLSGFsZlN0b3JhZ2WUk5SMATCUjANjcHWUSwZ0lFFLAUsCSwKGlEsBSwKGlIloBClSlHSUUpSMAWKUaAeMEl9yZWJ1aWxkX3BhcmFtZXRlcpSTlGgJKChoCmgNaA5oD0sGdJRRSwBLBoWUSwGFlIloBClSlHSUUpSIaAQpUpSHlFKUjARzdGVwlIoJAAAQYy1ex2sFdX2UjAlfbWV0YWRhdGGUaAQpUpSMAJR9lIwHdmVyc2lvbpRLAXNzc2KMBWVwb2NolEsHjAJscpRHP+AAAAAAAACMBG5hbWWUjAVkZ2lxYZR1Lg==',
    ];
    const proto4 = Buffer.from(pickles[1]!, 'base64');
    const proto5 = Buffer.from(proto4);
    proto5[1] = 5; // CPython writes the same opcodes for this object at protocol 5
    const half = u16Bytes([0x3c00, 0x4000, 0x4200, 0x4400, 0x4500, 0x4600]); // 1 .. 6
    for (const pkl of [Buffer.from(pickles[0]!, 'base64'), proto4, proto5]) {
      const file = parsePth(makePth(pkl, { '0': half }), 'cpython.pth');
      assert.equal(file.metadata.state_dict_key, 'model');
      assert.deepEqual([...file.tensors.keys()], ['a', 'b']);
      assert.equal(file.tensors.get('a')!.dtype, 'F16');
      assert.deepEqual(values(file.tensors.get('a')), [2, 4, 3, 5]);
      assert.deepEqual(values(file.tensors.get('b')), [1, 2, 3, 4, 5, 6]);
    }
  });

  it('shares one storage between tensors and reads storages on demand', () => {
    const pkl = stateDict([
      ['a', (p) => p.tensor('FloatStorage', '0', 12, 0, [12], [1])],
      ['b', (p) => p.tensor('FloatStorage', '0', 12, 0, [3, 4], [4, 1])],
    ])
      .stop()
      .bytes();
    const file = parsePth(makePth(pkl, { '0': storage }, { prefix: 'other_name' }), 'tied.pth');
    assert.deepEqual(values(file.tensors.get('b')), values(file.tensors.get('a')));
    assert.equal(file.metadata.archive, 'other_name');
  });
});

describe('pth: refusals, each a one-line error naming the file', () => {
  it('refuses a pickle naming a global outside the allow-list, before calling anything', () => {
    const hostile = [
      ['os.system', new Pickle().proto().global('os', 'system').str('echo pwned').tuple1().reduce().stop()],
      ['builtins.eval', new Pickle().proto(4).stackGlobal('builtins', 'eval').str('1+1').tuple1().reduce().stop()],
      ['__builtin__.getattr', new Pickle().proto().emptyDict().str('w').global('__builtin__', 'getattr').setitem().stop()],
      ['torch.load', new Pickle().proto().global('torch', 'load').emptyTuple().reduce().stop()],
    ] as const;
    for (const [qualified, pkl] of hostile) {
      const bytes = makePth(pkl.bytes(), {});
      const re = new RegExp(`refusing pickle global "${qualified.replace(/\./g, '\\.')}" \\(not in the state-dict allow-list\\)`);
      assertRefused(() => parsePth(bytes, 'evil.pth'), 'evil.pth', re);
    }
  });

  it('refuses the legacy (bare pickle) torch.save format with advice', () => {
    // PROTO 2, LONG1 of torch's legacy magic number 0x1950a86a20f9469cfc6c, STOP.
    const legacy = new Pickle().proto().long1(0x1950a86a20f9469cfc6cn).stop().bytes();
    assertRefused(
      () => parsePth(legacy, 'old.pth'),
      'old.pth',
      /legacy \(non-zip\) torch\.save format is not supported; re-save with torch\.save\(obj, path, _use_new_zipfile_serialization=True\)/,
    );
  });

  it('refuses a file that is not a zip archive, and an empty one', () => {
    const random = new Uint8Array(256).map((_, i) => (i * 37 + 11) % 256);
    assertRefused(() => parsePth(random, 'noise.pth'), 'noise.pth', /not a PyTorch checkpoint: expected a zip archive .* file starts with 0b 30 55 7a/);
    assertRefused(() => parsePth(new Uint8Array(0), 'empty.pth'), 'empty.pth', /empty file/);
    assertRefused(() => parsePth(zipSync({ 'a/readme.txt': new Uint8Array(3) }), 'other.zip'), 'other.zip', /zip archive has no data\.pkl/);
  });

  it('refuses views outside their storage, missing storages, and storages of the wrong size', () => {
    const outside = stateDict([['w', (p) => p.tensor('FloatStorage', '0', 12, 8, [2, 3], [3, 1])]]).stop().bytes();
    assertRefused(() => parsePth(makePth(outside, { '0': storage }), 'x.pth'), 'x.pth', /reaches element 13 of storage "0", which has 12/);
    const ok = stateDict([['w', (p) => p.tensor('FloatStorage', '0', 12, 0, [12], [1])]]).stop().bytes();
    assertRefused(() => parsePth(makePth(ok, {}), 'x.pth'), 'x.pth', /storage "0" is missing from the archive/);
    assertRefused(() => parsePth(makePth(ok, { '0': storage.subarray(0, 40) }), 'x.pth'), 'x.pth', /storage "0" has 40 bytes, expected 48 \(12 x F32\)/);
  });

  it('refuses a checkpoint without a recognizable state dict, listing its keys', () => {
    const pkl = new Pickle().proto().emptyDict().mark().str('epoch').int(3).str('optimizer').str('adam').setitems().stop().bytes();
    assertRefused(() => parsePth(makePth(pkl, {}), 'x.pth'), 'x.pth', /no state dict found: top-level keys are "epoch", "optimizer"/);
    const truncatedPickle = new Pickle().proto().emptyDict().mark().str('w').bytes();
    assertRefused(() => parsePth(makePth(truncatedPickle, {}), 'x.pth'), 'x.pth', /truncated pickle/);
  });
});
