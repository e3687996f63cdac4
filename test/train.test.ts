// Training: AdamW and the schedule against hand computation, determinism, and resume after a crash.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, initBackend } from '../src/backend/index.js';
import { AdamW, cosineLr, fit, rankLoss, resolveTrainConfig } from '../src/train/index.js';
import type { HostBatch } from '../src/train/index.js';
import { readSafetensors } from '../src/weights/index.js';
import { Rng } from '../src/util/rng.js';

describe('AdamW', () => {
  before(async () => {
    await initBackend('cpu');
  });
  it('matches a step-by-step hand computation (decoupled weight decay)', () => {
    // p0 = 1, grads 0.5, -1, 2; lr 0.1, wd 0.01, betas (0.9, 0.999), eps 1e-8 -- PyTorch's AdamW algorithm:
    // p *= 1 - lr*wd; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
    const p = tf.variable(tf.scalar(1));
    const opt = new AdamW(new Map([['p', p]]), { weightDecay: 0.01 });
    const grads = [0.5, -1, 2];
    let pv = 1, m = 0, v = 0;
    grads.forEach((g, i) => {
      const t = i + 1;
      pv *= 1 - 0.1 * 0.01;
      m = 0.9 * m + 0.1 * g;
      v = 0.999 * v + 0.001 * g * g;
      pv -= (0.1 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
      opt.step({ p: tf.scalar(g) }, 0.1);
      assert.ok(Math.abs(p.dataSync()[0] - pv) < 1e-6, `step ${t}: ${p.dataSync()[0]} vs ${pv}`);
      // by hand, the first step: 1 * (1 - 0.001) - 0.1 * (0.05 / 0.1) / (sqrt(0.00025 / 0.001) + 1e-8) = 0.899
      if (t === 1) assert.ok(Math.abs(p.dataSync()[0] - 0.899) < 1e-6);
    });
    opt.dispose();
    p.dispose();
  });
  it('the first step moves each weight by lr (sign of the gradient) plus the decay', () => {
    const p = tf.variable(tf.tensor1d([2, -3]));
    const opt = new AdamW(new Map([['p', p]]), { weightDecay: 0.1 });
    opt.step({ p: tf.tensor1d([0.3, -7]) }, 0.01);
    const got = Array.from(p.dataSync());
    assert.ok(Math.abs(got[0] - (2 * (1 - 0.001) - 0.01)) < 1e-6);
    assert.ok(Math.abs(got[1] - (-3 * (1 - 0.001) + 0.01)) < 1e-6);
    opt.dispose();
    p.dispose();
  });
  it('parameter groups: a scaled parameter moves as an ungrouped one at the scaled rate, a scale of 0 freezes it', () => {
    const make = (): tf.Variable => tf.variable(tf.tensor1d([2, -3, 0.5]));
    const [a, frozen, b, ref] = [make(), make(), make(), make()];
    const grouped = new AdamW(new Map([['a', a], ['frozen', frozen], ['b', b]]), { weightDecay: 0.1 }, new Map([['a', 0.25], ['frozen', 0]]));
    const plain = new AdamW(new Map([['ref', ref]]), { weightDecay: 0.1 });
    assert.ok(grouped.grouped);
    for (const [i, g] of [[0.3, -7, 1], [-1, 2, 0.5], [4, 4, -2]].entries()) {
      const grad = (): tf.Tensor => tf.tensor1d(g);
      grouped.step({ a: grad(), frozen: grad(), b: grad() }, 0.01);
      plain.step({ ref: grad() }, 0.01 * 0.25);
      assert.deepEqual(Array.from(a.dataSync()), Array.from(ref.dataSync()), `step ${i + 1}: the scaled parameter`);
    }
    assert.deepEqual(Array.from(frozen.dataSync()), [2, -3, 0.5]);
    // the unscaled parameter, with the same gradients, moved farther (Adam moves a weight by about its rate a step)
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(b.dataSync()[i]! - [2, -3, 0.5][i]!) > 2 * Math.abs(a.dataSync()[i]! - [2, -3, 0.5][i]!), `value ${i}`);
    assert.throws(() => new AdamW(new Map([['a', a]]), {}, new Map([['nope', 0.5]])), /scale for "nope", which is not a parameter/);
    assert.throws(() => new AdamW(new Map([['a', a]]), {}, new Map([['a', -1]])), /must be a finite number >= 0/);
    assert.throws(() => resolveTrainConfig({ backboneLrScale: 2 }), /"backboneLrScale" must be in \[0, 1\]/);
    grouped.dispose();
    plain.dispose();
    tf.dispose([a, frozen, b, ref]);
  });
});

describe('cosine schedule', () => {
  it('follows CosineAnnealingLR with T_max half the epochs', () => {
    const lr = (e: number): number => cosineLr(e, 1e-3, 5, 1e-5);
    assert.equal(lr(0), 1e-3);
    assert.ok(Math.abs(lr(5) - 1e-5) < 1e-15); // the floor at T_max
    assert.ok(Math.abs(lr(10) - 1e-3) < 1e-15); // and back up after another T_max
    assert.ok(Math.abs(lr(2.5) - (1e-5 + (1e-3 - 1e-5) / 2)) < 1e-15);
    assert.ok(Math.abs(lr(1) - (1e-5 + ((1e-3 - 1e-5) * (1 + Math.cos(Math.PI / 5))) / 2)) < 1e-15);
  });
  it('the train config refuses unknown keys', () => {
    assert.throws(() => resolveTrainConfig({ learningRate: 1 }), /unknown key "learningRate"/);
    assert.throws(() => resolveTrainConfig({ numEpochs: 0 }), /numEpochs/);
    assert.throws(() => resolveTrainConfig({ rankWeight: -1 }), /rankWeight/);
    assert.equal(resolveTrainConfig({}).rankWeight, 0); // the paper's loss unless asked
  });
  it('the ranking loss: its value against a loop over pairs, zero for scores in the labels\' order, and its gradient', () => {
    const scores = [0.3, 0.9, 0.5, 0.1];
    const labels = [0.2, 0.4, 0.8, 0.1];
    let want = 0;
    for (const [i, p] of scores.entries()) for (const [j, q] of scores.entries()) want += Math.max(0, -(p - q) * (labels[i]! - labels[j]!));
    want /= scores.length ** 2;
    assert.ok(want > 0);
    const before = tf.memory().numTensors;
    const y = tf.tensor1d(labels);
    const s0 = tf.tensor1d(scores);
    const inOrder = tf.tensor1d(labels.map((l) => 2 * l + 1));
    const got = rankLoss(s0, y);
    assert.ok(Math.abs(got.dataSync()[0]! - want) < 1e-7, `${got.dataSync()[0]} vs ${want}`);
    // any increasing map of the labels is in order: no loss
    const none = rankLoss(inOrder, y);
    assert.equal(none.dataSync()[0], 0);
    // gradient: pairs scored the wrong way push each score towards its label's rank. Image 1 is scored
    // above image 2 (0.9 > 0.5) but labelled below it (0.4 < 0.8): its score must go down, image 2's up
    const grad = tf.grad((s: tf.Tensor) => rankLoss(s as tf.Tensor1D, y))(s0);
    const g = grad.dataSync();
    assert.ok(g[1]! > 0 && g[2]! < 0, `gradient ${Array.from(g).join(', ')}`);
    tf.dispose([y, s0, inOrder, got, none, grad]);
    assert.equal(tf.memory().numTensors, before, 'no tensor outlives the calls');
  });
});

/** A fixed little dataset, batches in an order fixed by the epoch (as the pipeline does). */
function batchesOf(count: number, size: number, crashAt?: { epoch: number; batch: number }) {
  const data = Array.from({ length: count }, (_, i) => {
    const r = new Rng(100 + i);
    return { x: Float32Array.from({ length: size * size * 3 }, () => r.normal()), y: (i % 5) / 4 };
  });
  return async function* (epoch: number): AsyncGenerator<HostBatch> {
    const order = data.map((_, i) => i);
    const r = new Rng(epoch + 1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let b = 0; b < order.length; b += 2) {
      if (crashAt && epoch === crashAt.epoch && b / 2 === crashAt.batch) throw new Error('simulated crash');
      const idx = order.slice(b, b + 2);
      const rgb = new Float32Array(idx.length * size * size * 3);
      idx.forEach((k, i) => rgb.set(data[k].x, i * size * size * 3));
      yield { rgb, depth: rgb.map((v) => -v), labels: Float32Array.from(idx.map((k) => data[k].y)), n: idx.length, size };
    }
  };
}

describe('fit', () => {
  const base = mkdtempSync(join(tmpdir(), 'dgiqa-fit-'));
  const config = resolveTrainConfig({ model: 'demo', numEpochs: 3, batchSize: 2, lr: 1e-3, minLr: 1e-5, lambda: 0.5, seed: 7, logEvery: 1 });
  const common = { config, imagesPerEpoch: 6, quiet: true };
  before(async () => {
    await initBackend('wasm');
  });
  const epochLosses = (dir: string): number[] =>
    readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; loss: number }).filter((r) => r.kind === 'step').map((r) => r.loss);

  it('is deterministic: the same config and seed give the same loss curve and weights', async () => {
    const before = tf.memory().numTensors;
    const a = await fit({ ...common, runDir: join(base, 'a'), batches: batchesOf(6, 128) });
    const b = await fit({ ...common, runDir: join(base, 'b'), batches: batchesOf(6, 128) });
    assert.deepEqual(epochLosses(join(base, 'a')), epochLosses(join(base, 'b')));
    assert.equal(epochLosses(join(base, 'a')).length, 9);
    const wa = (await readSafetensors(join(base, 'a', 'model.safetensors'))).tensors.get('fc.weight');
    const wb = (await readSafetensors(join(base, 'b', 'model.safetensors'))).tensors.get('fc.weight');
    assert.deepEqual(wa?.data, wb?.data);
    a.model.dispose();
    b.model.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind (optimizer state included)');
  });

  it('backboneLrScale 0 freezes both backbones (no gradient for them) while the rest learns', async () => {
    const before = tf.memory().numTensors;
    const frozen = (numEpochs: number) => resolveTrainConfig({ model: 'demo', numEpochs, batchSize: 2, lr: 1e-3, minLr: 1e-5, lambda: 0.5, seed: 7, logEvery: 1, backboneLrScale: 0 });
    const one = await fit({ config: frozen(1), imagesPerEpoch: 6, quiet: true, runDir: join(base, 'frozen-1'), batches: batchesOf(6, 128) });
    const three = await fit({ config: frozen(3), imagesPerEpoch: 6, quiet: true, runDir: join(base, 'frozen-3'), batches: batchesOf(6, 128) });
    const a = (await readSafetensors(join(base, 'frozen-1', 'model.safetensors'))).tensors;
    const b = (await readSafetensors(join(base, 'frozen-3', 'model.safetensors'))).tensors;
    let backbones = 0;
    for (const [name, t] of a) {
      if (!name.startsWith('backbone.') && !name.startsWith('depth_backbone.')) continue;
      backbones++;
      assert.deepEqual(b.get(name)?.data, t.data, `${name} moved`);
    }
    assert.ok(backbones > 50, `${backbones} backbone tensors compared`);
    assert.notDeepEqual(b.get('fc.weight')?.data, a.get('fc.weight')?.data, 'the head learned over the two more epochs');
    const opt = (await readSafetensors(join(base, 'frozen-3', 'optimizer.safetensors'))).tensors;
    assert.ok([...opt.keys()].every((k) => !k.includes('backbone.')), 'no optimizer state for frozen parameters');
    one.model.dispose();
    three.model.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  });

  it('backboneFrozenEpochs 1: the backbones hold still in epoch 1 and move in epoch 2; resumed after epoch 1, the run ends as the whole one', async () => {
    const before = tf.memory().numTensors;
    const cfg = (more: Record<string, unknown>) => resolveTrainConfig({ model: 'demo', numEpochs: 2, batchSize: 2, lr: 1e-3, minLr: 1e-5, lambda: 0.5, seed: 7, logEvery: 1, ...more });
    const isBackbone = (name: string): boolean => name.startsWith('backbone.') || name.startsWith('depth_backbone.');
    // the start: the same seed, backbones frozen for a whole epoch
    const still = await fit({ config: resolveTrainConfig({ ...cfg({ backboneLrScale: 0 }), numEpochs: 1 }), imagesPerEpoch: 6, quiet: true, runDir: join(base, 'lp-still'), batches: batchesOf(6, 128) });
    const two = cfg({ backboneLrScale: 0.5, backboneFrozenEpochs: 1 });
    const dir = join(base, 'lp-crashed');
    await assert.rejects(fit({ config: two, imagesPerEpoch: 6, quiet: true, runDir: dir, batches: batchesOf(6, 128, { epoch: 1, batch: 1 }) }), /simulated crash/);
    const start = (await readSafetensors(join(base, 'lp-still', 'model.safetensors'))).tensors;
    const afterOne = (await readSafetensors(join(dir, 'model.safetensors'))).tensors;
    let compared = 0;
    for (const [name, t] of start) {
      if (!isBackbone(name)) continue;
      compared++;
      assert.deepEqual(afterOne.get(name)?.data, t.data, `${name} moved in the frozen epoch`);
    }
    assert.ok(compared > 50, `${compared} backbone tensors compared`);
    const resumed = await fit({ config: two, imagesPerEpoch: 6, quiet: true, runDir: dir, batches: batchesOf(6, 128), resume: true });
    const whole = await fit({ config: two, imagesPerEpoch: 6, quiet: true, runDir: join(base, 'lp-whole'), batches: batchesOf(6, 128) });
    const end = (await readSafetensors(join(dir, 'model.safetensors'))).tensors;
    const wholeEnd = (await readSafetensors(join(base, 'lp-whole', 'model.safetensors'))).tensors;
    assert.notDeepEqual(end.get('backbone.patch_embed.proj.weight')?.data, start.get('backbone.patch_embed.proj.weight')?.data, 'the backbone moved in epoch 2');
    for (const name of ['fc.weight', 'backbone.patch_embed.proj.weight', 'depth_backbone.layers.3.blocks.1.mlp.fc2.weight']) {
      assert.deepEqual(end.get(name)?.data, wholeEnd.get(name)?.data, name);
    }
    assert.throws(() => cfg({ backboneFrozenEpochs: 2 }), /backboneFrozenEpochs.*from 0 to numEpochs - 1/);
    for (const r of [still, resumed, whole]) r.model.dispose();
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  });

  it('resumes after a crash and ends with the weights of the uninterrupted run', async () => {
    const dir = join(base, 'crashed');
    const before = tf.memory().numTensors;
    await assert.rejects(fit({ ...common, runDir: dir, batches: batchesOf(6, 128, { epoch: 1, batch: 2 }) }), /simulated crash/);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { epoch: number };
    assert.equal(state.epoch, 1); // the checkpoint of the last finished epoch is what survived
    await assert.rejects(fit({ ...common, runDir: dir, batches: batchesOf(6, 128) }), /already there/);
    const resumed = await fit({ ...common, runDir: dir, batches: batchesOf(6, 128), resume: true });
    const whole = (await readSafetensors(join(base, 'a', 'model.safetensors'))).tensors;
    const after = (await readSafetensors(join(dir, 'model.safetensors'))).tensors;
    for (const name of ['fc.weight', 'backbone.patch_embed.proj.weight', 'tcb1.norm.running_mean', 'dilated_stack.4.running_var']) {
      assert.deepEqual(after.get(name)?.data, whole.get(name)?.data, name);
    }
    resumed.model.dispose();
    assert.equal(tf.memory().numTensors, before, 'the crashed and the resumed run leave no tensors behind');
  });

  it('stops on a non-finite loss and keeps the last good checkpoint', async () => {
    const dir = join(base, 'nan');
    const bad = async function* (epoch: number): AsyncGenerator<HostBatch> {
      for await (const b of batchesOf(6, 128)(epoch)) yield epoch === 1 ? { ...b, labels: b.labels.map(() => NaN) } : b;
    };
    const before = tf.memory().numTensors;
    await assert.rejects(fit({ ...common, runDir: dir, batches: bad }), /non-finite loss at epoch 2, step 4;.*checkpoint of epoch 1 \(step 3\) is kept/);
    assert.equal((JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { epoch: number }).epoch, 1);
    assert.equal(tf.memory().numTensors, before, 'the stopped run released its model and optimizer');
  });
});
