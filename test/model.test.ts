// The model's configuration, sizes, variants and training behaviour.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend } from '../src/backend/index.js';
import { Dgiqa, DgiqaFr, configFrom, evalCtx, resolveConfig, PRESETS } from '../src/model/index.js';
import type { DgiqaConfig } from '../src/model/index.js';
import { AdamW, trainStep } from '../src/train/index.js';
import { loadModel, saveModel, readSafetensors, writeSafetensors } from '../src/weights/index.js';
import type { RawTensor } from '../src/weights/index.js';
import { TINY } from './support/fixtures.js';

// Parameter counts computed independently from the layer formulas (python, by hand):
// Swin-T features_only = 27,517,818 each; TCBs, Depth-CAR blocks and the dilated stack as specified.
const PAPER_COUNTS: Record<string, number> = {
  paper: 102_878_829,
  'paper-no-depthcar': 89_582_829,
  'paper-no-tcb': 127_554_869,
  'paper-no-dilation': 102_878_829,
};

const tinyConfig = (over: Partial<DgiqaConfig> = {}): DgiqaConfig =>
  resolveConfig({ ...(JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8')) as Record<string, unknown>), ...over });

function fixedBatch(n: number, size: number, seed: number): { rgb: tf.Tensor4D; depth: tf.Tensor4D; labels: tf.Tensor1D } {
  return {
    rgb: tf.randomNormal([n, size, size, 3], 0, 1, 'float32', seed) as tf.Tensor4D,
    depth: tf.randomNormal([n, size, size, 3], 0, 1, 'float32', seed + 1) as tf.Tensor4D,
    labels: tf.tensor1d(Array.from({ length: n }, (_, i) => (i + 0.5) / n)),
  };
}

describe('model config', () => {
  it('refuses unknown and mistyped keys, naming them', () => {
    assert.throws(() => resolveConfig({ embedDims: 96 }), /unknown key "embedDims"/);
    assert.throws(() => resolveConfig({ depths: [2, 2, '6', 2] }), /"depths" must be a list of positive integers/);
    assert.throws(() => resolveConfig({ tcb: 'yes' }), /"tcb" must be a boolean/);
    assert.throws(() => resolveConfig({ imgSize: 200 }), /does not tile/);
    assert.throws(() => configFrom('huge'), /unknown model preset "huge"/);
  });
  it('the fixture config resolves to the tiny preset', () => {
    assert.deepEqual(tinyConfig(), configFrom('tiny'));
  });
});

describe('parameter counts', () => {
  before(async () => {
    await initBackend('wasm');
  });
  for (const [preset, count] of Object.entries(PAPER_COUNTS)) {
    it(`${preset}: ${count.toLocaleString('en-US')} learnable parameters`, () => {
      const model = new Dgiqa(configFrom(preset));
      assert.equal(model.numParams(), count);
      model.dispose();
    });
  }
  it('the TCB saving, as the kit reads the ablation', () => {
    const saving = 1 - PAPER_COUNTS.paper / PAPER_COUNTS['paper-no-tcb'];
    // paper: 23.3%; the kit's no-TCB variant feeds the raw Swin maps (1440 channels) onward
    assert.ok(saving > 0.19 && saving < 0.2, `saving ${saving}`);
  });
  it('every preset builds', () => {
    for (const name of Object.keys(PRESETS)) assert.doesNotThrow(() => configFrom(name), name);
  });
});

describe('variants train (tiny sizes, wasm)', () => {
  before(async () => {
    await initBackend('wasm');
    await tf.setBackend('wasm');
  });
  const variants: [string, Partial<DgiqaConfig>][] = [
    ['full', {}],
    ['without TCB', { tcb: false }],
    ['without Depth-CAR', { depthCar: false }],
    ['without dilation', { dilation: false }],
    ['RGB only', { useDepth: false, depthCar: false }],
  ];
  for (const [label, over] of variants) {
    it(`${label}: finite gradients reach every trainable parameter`, () => {
      const model = new Dgiqa(tinyConfig(over), 7);
      const batch = fixedBatch(2, 224, 3);
      const depth = model.config.useDepth ? batch.depth : undefined;
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => {
        const s = model.forward(batch.rgb, depth, evalCtx()).scores;
        return tf.losses.meanSquaredError(batch.labels, s) as tf.Scalar;
      }, model.store.trainable());
      const names = model.store.trainable().map((v) => v.name);
      assert.deepEqual(Object.keys(grads).sort(), [...names].sort());
      for (const [name, g] of Object.entries(grads)) {
        const d = g.dataSync();
        assert.ok(d.every(Number.isFinite), `${name} has non-finite gradient`);
      }
      // the head and the first Swin layer both learn: the gradient flows end to end
      assert.ok(tf.tidy(() => tf.abs(grads[model.fc.weight.name]).sum().dataSync()[0]) > 0);
      assert.ok(tf.tidy(() => tf.abs(grads[model.backbone.proj.weight.name]).sum().dataSync()[0]) > 0);
      tf.dispose([value, ...Object.values(grads)]);
      assert.equal(tf.memory().numTensors, before);
      tf.dispose([batch.rgb, batch.depth, batch.labels]);
      model.dispose();
    });
  }
});

describe('training step on wasm', () => {
  before(async () => {
    await initBackend('wasm');
    await tf.setBackend('wasm');
  });
  it('lowers the loss on a fixed batch, updates BatchNorm statistics, leaks nothing', async () => {
    const model = new Dgiqa(tinyConfig(), 11);
    const optimizer = new AdamW(model.store.trainableByName(), { weightDecay: 0.01 });
    const batch = fixedBatch(4, 224, 5);
    const runningBefore = model.store.get('tcb1.norm.running_mean').dataSync().slice();
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let i = 0; i < 6; i++) losses.push((await trainStep(model, optimizer, batch, { lr: 3e-4, lambda: 0.5, rank: 0, seed: i })).loss);
    assert.equal(tf.memory().numTensors, before);
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses[losses.length - 1] < losses[0] * 0.8, `loss went ${losses.map((l) => l.toFixed(4)).join(' -> ')}`);
    const runningAfter = model.store.get('tcb1.norm.running_mean').dataSync();
    assert.notDeepEqual(Array.from(runningAfter), Array.from(runningBefore));
    optimizer.dispose();
    tf.dispose([batch.rgb, batch.depth, batch.labels]);
    model.dispose();
  });
});

describe('DGIQA-FR', () => {
  it('scores sigmoid(W (F_ref - F_dist) + b): identical images give sigmoid(b)', async () => {
    await initBackend('wasm');
    const model = new Dgiqa(tinyConfig(), 3);
    const fr = new DgiqaFr(model);
    const a = fixedBatch(2, 224, 1);
    const b = fixedBatch(2, 224, 9);
    const same = fr.forward({ rgb: a.rgb, depth: a.depth }, { rgb: a.rgb, depth: a.depth });
    const bias = model.fc.bias?.dataSync()[0] ?? 0;
    for (const s of same.dataSync()) assert.ok(Math.abs(s - 1 / (1 + Math.exp(-bias))) < 1e-6);
    const diff = fr.forward({ rgb: a.rgb, depth: a.depth }, { rgb: b.rgb, depth: b.depth });
    assert.deepEqual(diff.shape, [2]);
    assert.ok(Array.from(diff.dataSync()).some((s) => Math.abs(s - 1 / (1 + Math.exp(-bias))) > 1e-6));
    tf.dispose([same, diff, a.rgb, a.depth, a.labels, b.rgb, b.depth, b.labels]);
    model.dispose();
  });
});

describe('checkpoints', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dgiqa-ckpt-'));
  let tensors: Map<string, RawTensor>;
  before(async () => {
    await initBackend('wasm');
    tensors = (await readSafetensors(join(TINY, 'weights.safetensors'))).tensors;
  });

  it('refuses a truncated file', async () => {
    const bytes = readFileSync(join(TINY, 'weights.pth'));
    const path = join(dir, 'truncated.pth');
    writeFileSync(path, bytes.subarray(0, bytes.length >> 1));
    await assert.rejects(loadModel(path, tinyConfig()), (e: Error) => e.message.startsWith(path) && !e.message.includes('\n'));
  });
  it('refuses a missing key, naming it', async () => {
    const path = join(dir, 'missing.safetensors');
    const copy = new Map(tensors);
    copy.delete('tcb2.conv2.weight');
    await writeSafetensors(path, copy);
    await assert.rejects(loadModel(path, tinyConfig()), /missing 1 \(tcb2\.conv2\.weight\)/);
  });
  it('refuses a wrong-shaped tensor and an unexpected key, naming them', async () => {
    const path = join(dir, 'misshapen.safetensors');
    const copy = new Map(tensors);
    copy.set('fc.weight', { dtype: 'F32', shape: [1, 31], data: new Float32Array(31) });
    copy.set('head.extra', { dtype: 'F32', shape: [2], data: new Float32Array(2) });
    await writeSafetensors(path, copy);
    await assert.rejects(loadModel(path, tinyConfig()), /unexpected 1 \(head\.extra\).*misshapen 1 \(fc\.weight is \[1, 31\], model wants \[1, 32\]\)/);
  });
  it('refuses a pickle naming a disallowed global', async () => {
    // a .pth whose pickle calls os.system: built by the pth tests' helper, here by hand
    const { zipSync } = await import('fflate');
    const pkl = Buffer.concat([
      Buffer.from([0x80, 0x02]),
      Buffer.from('cos\nsystem\n', 'latin1'),
      Buffer.from([0x58]), Buffer.from([4, 0, 0, 0]), Buffer.from('echo', 'latin1'),
      Buffer.from([0x85, 0x52, 0x2e]),
    ]);
    const path = join(dir, 'hostile.pth');
    writeFileSync(path, zipSync({ 'archive/data.pkl': new Uint8Array(pkl), 'archive/version': new Uint8Array(Buffer.from('3\n')) }, { level: 0 }));
    await assert.rejects(loadModel(path, tinyConfig()), /os\.system/);
  });
  it('saves safetensors in the official layout that load back with their config, scores unchanged', async () => {
    const { model } = await loadModel(join(TINY, 'weights.safetensors'), tinyConfig());
    const path = join(dir, 'kit.safetensors');
    await saveModel(model, path, { note: 'test' });
    const saved = await readSafetensors(path);
    assert.equal(saved.tensors.get('tcb1.norm.num_batches_tracked')?.dtype, 'I64');
    assert.deepEqual(saved.tensors.get('tcb1.conv1.weight')?.shape, [8, 16, 1, 1]);
    const again = await loadModel(path);
    assert.equal(again.configSource, 'checkpoint metadata');
    const x = fixedBatch(1, 224, 2);
    const s1 = model.predict(x.rgb, x.depth);
    const s2 = again.model.predict(x.rgb, x.depth);
    assert.equal(s1.dataSync()[0], s2.dataSync()[0]);
    tf.dispose([s1, s2, x.rgb, x.depth, x.labels]);
    model.dispose();
    again.model.dispose();
  });
});
