// issue 20 (2, 3, 6): checkpoints built to exhaust memory or to score NaN. A file's config is bounded
// and must fit the file's values, its names must be the model's, all before a model is built or a
// .pth storage is inflated; non-finite weights are refused naming the file and the tensor.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createDeflateRaw } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { Dgiqa, configFrom, resolveConfig } from '../src/model/index.js';
import { CONFIG_METADATA_KEY, encodeSafetensors, exportFromModel, loadModel, parsePth } from '../src/weights/index.js';
import { parameterNames } from '../src/weights/checkpoint.js';
import type { RawTensor } from '../src/weights/index.js';
import { PickleWriter } from './support/pickle.js';
import sharp from 'sharp';

const run = promisify(execFile);
const MB = 1024 * 1024;
/** the bound on a refusal's peak: well above Node and the backend, far below any model built */
const REFUSAL_PEAK = 500 * 1e6;
const CHILD = fileURLToPath(new URL('./support/loadChild.js', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/dgiqa.js', import.meta.url));

let dir = '';
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dgiqa-hostile-'));
  await initBackend('cpu');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function loadInChild(path: string, preset?: string): Promise<{ outcome: string; maxRssBytes: number }> {
  const { stdout } = await run(process.execPath, [CHILD, path, ...(preset ? [preset] : [])], { maxBuffer: MB });
  return JSON.parse(stdout.trim()) as { outcome: string; maxRssBytes: number };
}

/** A safetensors file of one tiny tensor whose metadata describes `config`: a few hundred bytes. */
function tinyWithConfig(name: string, config: Record<string, unknown>): string {
  const path = join(dir, name);
  const bytes = encodeSafetensors(new Map([['w', { dtype: 'F32', shape: [2], data: new Float32Array(2) }]]), { [CONFIG_METADATA_KEY]: JSON.stringify(config) });
  writeFileSync(path, bytes);
  return path;
}

/** Deflate of `size` zero bytes, streamed (the test never holds the inflated size). */
async function deflatedZeros(size: number): Promise<Uint8Array> {
  const z = createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  z.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => z.on('end', r));
  const zero = Buffer.alloc(MB);
  for (let left = size; left > 0; left -= MB) {
    if (!z.write(left >= MB ? zero : zero.subarray(0, left))) await new Promise((r) => z.once('drain', r));
  }
  z.end();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

/** A zip whose entries are given already compressed (method 8) or stored (method 0); CRCs are not read. */
function zipOf(entries: { name: string; data: Uint8Array; size: number; method: 0 | 8 }[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.data.byteLength, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.byteLength, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(e.method, 10);
    c.writeUInt32LE(e.data.byteLength, 20);
    c.writeUInt32LE(e.size, 24);
    c.writeUInt16LE(name.byteLength, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, name);
    parts.push(local, name, e.data);
    offset += 30 + name.byteLength + e.data.byteLength;
  }
  const cdSize = central.reduce((a, b) => a + b.byteLength, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdSize, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, ...central, end]));
}

describe('hostile checkpoints: refused before allocating', () => {
  it('the skeleton that names a model\'s parameters names them as the model does', () => {
    const configs = ['tiny', 'demo', 'small'].map((p) => configFrom(p));
    const small = configFrom('small');
    configs.push(resolveConfig({ ...small, tcb: false }), resolveConfig({ ...small, depthCar: false }), resolveConfig({ ...small, dilation: false }), resolveConfig({ ...small, depthCar: false, useDepth: false }));
    for (const c of configs) {
      const model = new Dgiqa(c);
      try {
        assert.deepEqual(parameterNames(c), [...model.store.specs.keys()]);
      } finally {
        model.dispose();
      }
    }
  });

  for (const [label, config] of [
    ['embedDim 4096', { embedDim: 4096, numHeads: [32, 32, 32, 32] }],
    ['imgSize 14336', { imgSize: 14336 }],
    ['depths [2,2,20000,2]', { depths: [2, 2, 20000, 2] }],
  ] as const) {
    it(`a few hundred bytes whose metadata describes a huge model (${label}): one line, small peak`, async () => {
      const path = tinyWithConfig(`${label.replace(/\W+/g, '-')}.safetensors`, config);
      const r = await loadInChild(path);
      assert.match(r.outcome, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: metadata "dgiqa_config" has \\w+ .*above the bound`));
      assert.ok(!/\n/.test(r.outcome));
      assert.ok(r.maxRssBytes < REFUSAL_PEAK, `peak ${r.maxRssBytes} bytes`);
    });
  }

  it('a config within bounds that the file\'s values could not fill is refused before the model is built', async () => {
    const path = tinyWithConfig('paper-in-296-bytes.safetensors', {});
    await assert.rejects(loadModel(path), /paper-in-296-bytes\.safetensors: the metadata "dgiqa_config" describes a model of 102,878,829 parameters, the file holds 2 values: refused before building it/);
    const bare = join(dir, 'bare.safetensors');
    writeFileSync(bare, encodeSafetensors(new Map([['w', { dtype: 'F32', shape: [2], data: new Float32Array(2) }]])));
    await assert.rejects(loadModel(bare), /bare\.safetensors: the paper preset \(the file records no config\) describes a model of/);
  });

  it('a .pth of deflated 768 MB storages the model does not use: refused by name, nothing inflated', async () => {
    const numel = (768 * MB) / 4;
    const zeros = await deflatedZeros(768 * MB);
    const p = new PickleWriter().proto(2).emptyDict().mark();
    for (const key of ['0', '1', '2']) p.str(`unused.${key}`).tensor('FloatStorage', key, numel, 0, [numel], [1]);
    const pkl = p.setitems().stop().bytes();
    const path = join(dir, 'unused-storages.pth');
    writeFileSync(path, zipOf([
      { name: 'archive/data.pkl', data: pkl, size: pkl.byteLength, method: 0 },
      ...['0', '1', '2'].map((key) => ({ name: `archive/data/${key}`, data: zeros, size: 768 * MB, method: 8 as const })),
    ]));
    // the paper's model (the default, as `score` without --config): names checked before it is built;
    // the demo's: built (small), the mismatch reported in full, the storages still never inflated
    for (const preset of [undefined, 'demo']) {
      const r = await loadInChild(path, preset);
      assert.match(r.outcome, /unused-storages\.pth: checkpoint does not match the model: missing \d+ .*; unexpected 3 \(unused\.0, unused\.1, unused\.2\)/);
      assert.ok(r.maxRssBytes < REFUSAL_PEAK, `${preset ?? 'paper'}: peak ${r.maxRssBytes} bytes`);
    }
  });

  it('a .pth storage whose declared size disagrees with its numel is refused before it is inflated', () => {
    const p = new PickleWriter().proto(2).emptyDict().mark().str('w').tensor('FloatStorage', '0', 4, 0, [4], [1]).setitems().stop();
    const pkl = p.bytes();
    const bytes = zipOf([
      { name: 'archive/data.pkl', data: pkl, size: pkl.byteLength, method: 0 },
      { name: 'archive/data/0', data: new Uint8Array(64), size: 60_000, method: 8 },
    ]);
    assert.throws(() => parsePth(bytes, 'liar.pth', { lazy: true }), /^CheckpointFormatError: liar\.pth: storage "0" has 60000 bytes, expected 16 \(4 x F32\)/);
  });
});

describe('non-finite weights', () => {
  it('are refused on load, naming the file and the first bad tensor', async () => {
    const model = new Dgiqa(configFrom('tiny'), 1);
    const tensors = exportFromModel(model);
    model.dispose();
    const names = [...tensors.keys()].filter((n) => (tensors.get(n) as RawTensor).dtype === 'F32');
    const victim = names[3] as string;
    const t = tensors.get(victim) as RawTensor & { data: Float32Array };
    t.data.fill(Number.NaN);
    for (const later of names.slice(4)) (tensors.get(later) as RawTensor & { data: Float32Array }).data.fill(Number.NaN);
    const path = join(dir, 'nan.safetensors');
    writeFileSync(path, encodeSafetensors(tensors, { [CONFIG_METADATA_KEY]: JSON.stringify(configFrom('tiny')) }));
    await assert.rejects(loadModel(path), (err: Error) => {
      assert.equal(err.message, `${path}: tensor ${victim} holds NaN (element 0 of ${t.data.length}): refused`);
      return true;
    });
  });
  it('finite weights whose head overflows to NaN: dgiqa score fails naming the weights and the image, never prints null', async () => {
    const model = new Dgiqa(configFrom('tiny'), 1);
    const tensors = exportFromModel(model);
    model.dispose();
    // every value finite: large pooled features (the last BatchNorm's shift) times head weights of
    // alternating sign near float32's maximum give +Inf and -Inf products, whose sum is NaN
    const set = (name: string, f: (i: number) => number): void => (tensors.get(name) as RawTensor & { data: Float32Array }).data.forEach((_, i, d) => { d[i] = f(i); });
    set('dilated_stack.4.bias', () => 1e6);
    set('fc.weight', (i) => (i % 2 ? 3e38 : -3e38));
    const weights = join(dir, 'overflow.safetensors');
    writeFileSync(weights, encodeSafetensors(tensors, { [CONFIG_METADATA_KEY]: JSON.stringify(configFrom('tiny')) }));
    const image = join(dir, 'scene.png');
    const depth = join(dir, 'scene-depth.png');
    const noise = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 37) % 251));
    await sharp(noise(96 * 96 * 3), { raw: { width: 96, height: 96, channels: 3 } }).png().toFile(image);
    await sharp(noise(96 * 96), { raw: { width: 96, height: 96, channels: 1 } }).png().toFile(depth);
    const failed = await run(process.execPath, [BIN, 'score', image, '--weights', weights, '--depth', depth, '--crops', '1', '--engine', 'tfjs'], { maxBuffer: MB }).then(
      (ok) => assert.fail(`exit 0: ${ok.stdout}`),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    assert.equal(failed.code, 1);
    assert.equal(failed.stdout.includes('null'), false, 'no score printed as null');
    const line = failed.stderr.trimEnd().split('\n').pop() as string;
    assert.equal(line, `dgiqa score: ${weights}: the score of ${image} is not finite (NaN); the weights or the inputs are broken`);
  });
});
