// `dgiqa pretrain` on a tiny set (6 scenes at 128 px, 2 epochs of one step): the timm-layout file
// loads into both backbones of the demo model unchanged, a killed run resumes to the same bytes, the
// pretext loss falls on one fixed batch, nothing leaks, the scenes are not the benchmark's, and bad
// flags are a one-line error with exit 1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tf } from '../src/backend/tf.js';
import { initBackend } from '../src/backend/select.js';
import { Dgiqa, configFrom } from '../src/model/index.js';
import { AdamW } from '../src/train/index.js';
import { SYNTH_DEFAULT_SEED, makeScene, renderScene } from '../src/data/synth/index.js';
import { deriveSeed } from '../src/util/rng.js';
import { loadPretrainedBackbones, readSafetensors } from '../src/weights/index.js';
import { parsePretrainArgs, pretrainModel } from '../src/cli/pretrain.js';
import {
  APPEARANCE_STATS, STRUCTURE_STATS, DepthPretrainModel, cellStats, channelScale, distortScene, drawDistortion, evaluateDepth, makeBatch, pretrain,
  pretrainSceneSeed, pretrainStep, renderPretrainScene, renderPretrainScenes, resolvePretrainConfig, strengthAt, targetChannels,
} from '../src/pretrain/index.js';
import { DISTORTIONS } from '../src/data/synth/index.js';

const run = promisify(execFile);
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'dgiqa.js');
// the smallest run that exercises everything: renders the size of the crop, one step per epoch
const TINY = { scenes: 6, renderSize: 128, numEpochs: 2, warmupSteps: 1 };

let scratch: string;
before(async () => {
  await initBackend('wasm');
  scratch = mkdtempSync(join(tmpdir(), 'dgiqa-pretrain-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('pretraining run', () => {
  test('the file loads into both backbones of the demo model, value for value; a resumed run ends with the same bytes; no leaks', async () => {
    const config = resolvePretrainConfig(TINY);
    const start = tf.memory().numTensors;
    const straight = await pretrain({ config, runDir: join(scratch, 'straight'), out: join(scratch, 'straight.safetensors'), resume: false });
    assert.equal(tf.memory().numTensors, start, 'pretrain() leaked tensors');
    assert.equal(straight.history.length, 2);
    for (const r of straight.history) assert.ok(Number.isFinite(r.trainLoss) && Number.isFinite(r.heldOutPearson), JSON.stringify(r));
    const out = straight.out;
    assert.ok(out);
    assert.ok(out.bytes < 15e6, `${out.bytes} bytes`);

    // (a) what the pretraining ended with (the run folder's last checkpoint, kit names and layouts)
    // against what the unchanged loader puts into a fresh model, both backbones
    const trained = (await readSafetensors(join(scratch, 'straight', 'model.e2.safetensors'))).tensors;
    const model = new Dgiqa(configFrom('demo'));
    try {
      const report = await loadPretrainedBackbones(model, out.path);
      assert.equal(report.layout, 'timm');
      let compared = 0;
      for (const prefix of ['backbone', 'depth_backbone']) {
        const names = [...model.store.specs.keys()].filter((k) => k.startsWith(`${prefix}.`));
        assert.equal(report.mapped, names.length);
        for (const name of names) {
          const want = trained.get(name.replace(/^depth_backbone\./, 'backbone.'));
          assert.ok(want, `${name}: not in the pretraining checkpoint`);
          const got = model.store.get(name);
          assert.deepEqual(got.shape, want.shape, name);
          assert.deepEqual(got.dataSync(), want.data, `${name} differs from the pretrained value`);
          compared++;
        }
      }
      assert.ok(compared > 50, `only ${compared} tensors compared`);
      // not the fresh model's zeros: the loader filled them
      assert.ok(model.store.get('backbone.layers_2.blocks.0.attn.qkv.weight').dataSync().some((v) => v !== 0));
    } finally {
      model.dispose();
    }
    const file = await readSafetensors(out.path);
    assert.ok([...file.tensors.keys()].every((k) => k.startsWith('patch_embed.') || k.startsWith('layers.')), 'only backbone tensors, timm names');
    assert.equal(file.metadata.epochs, '2');
    assert.match(file.metadata.task, /depth/);
    assert.equal(JSON.parse(file.metadata.pretrain_config).seed, 0);

    // a run killed after epoch 1 and resumed writes the uninterrupted run's bytes
    const runDir = join(scratch, 'resumed');
    const cut = await pretrain({ config, runDir, out: join(scratch, 'resumed.safetensors'), resume: false, stopAfter: 1 });
    assert.equal(cut.out, undefined);
    await assert.rejects(pretrain({ config, runDir, out: join(scratch, 'x.safetensors'), resume: false }), /pass --resume/);
    await assert.rejects(pretrain({ config: resolvePretrainConfig({ ...TINY, seed: 1 }), runDir, out: join(scratch, 'x.safetensors'), resume: true }), /other settings/);
    const resumed = await pretrain({ config, runDir, out: join(scratch, 'resumed.safetensors'), resume: true });
    assert.equal(resumed.out?.sha256, out.sha256);
    assert.deepEqual(readFileSync(join(scratch, 'resumed.safetensors')), readFileSync(out.path));
    assert.deepEqual(resumed.history.map((r) => r.trainLoss), straight.history.map((r) => r.trainLoss));
    assert.equal(tf.memory().numTensors, start, 'leaked tensors');
  });

  test('the loss falls on one fixed batch (overfitting), without leaks', async () => {
    const scenes = renderPretrainScenes(3, 4, 128);
    const config = { ...configFrom('demo'), dropPathRate: 0 };
    const model = new DepthPretrainModel(config, 3);
    const optimizer = new AdamW(model.store.trainableByName(), { weightDecay: 0 });
    try {
      const batch = makeBatch(scenes, scenes.map((_, scene) => ({ scene, x: 0, y: 0, flip: scene % 2 === 1 })), 128, model.grid);
      assert.equal(model.grid, 8);
      const start = tf.memory().numTensors;
      const losses: number[] = [];
      for (let step = 0; step < 10; step++) {
        const r = await pretrainStep(model, optimizer, batch, { lr: 1e-3, seed: step });
        assert.ok(r.applied);
        losses.push(r.loss);
        assert.equal(tf.memory().numTensors, start, `step ${step} leaked tensors`);
      }
      const score = evaluateDepth(model, [batch]);
      assert.equal(tf.memory().numTensors, start, 'evaluation leaked tensors');
      const last = losses[losses.length - 1] as number;
      // the head starts at zero (loss 1, the targets' variance); deterministic on a backend, so no flakiness
      assert.ok(Math.abs((losses[0] as number) - 1) < 1e-4, `first loss ${losses[0]}`);
      assert.ok(last < 0.5 * (losses[0] as number), `losses ${losses.map((l) => l.toFixed(3)).join(', ')}`);
      assert.ok(score.pearson > 0.5, `correlation on the batch it fit: ${score.pearson}`);
    } finally {
      optimizer.dispose();
      model.dispose();
    }
  });
});

describe('pretraining data', () => {
  test('targets are standardised per crop, and a flip mirrors them', () => {
    const [scene] = renderPretrainScenes(0, 1, 128);
    const b = makeBatch([scene!], [{ scene: 0, x: 0, y: 0, flip: false }, { scene: 0, x: 0, y: 0, flip: true }], 128, 8);
    const t = b.target.subarray(0, 64);
    const mean = t.reduce((a, v) => a + v, 0) / 64;
    const std = Math.sqrt(t.reduce((a, v) => a + (v - mean) ** 2, 0) / 64);
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(std - 1) < 1e-4, `mean ${mean}, std ${std}`);
    for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) assert.ok(Math.abs(b.target[64 + r * 8 + c]! - t[r * 8 + 7 - c]!) < 1e-5);
    // rows of a scene get farther towards the horizon: the top row is deeper than the bottom one
    const row = (r: number): number => t.subarray(r * 8, r * 8 + 8).reduce((a, v) => a + v, 0);
    assert.ok(row(0) > row(7));
  });

  test('the scenes are not the benchmark\'s: different seeds, different renders', () => {
    for (const family of ['A', 'B'] as const) {
      const benchSeed = deriveSeed(SYNTH_DEFAULT_SEED, family, 'scene', 0);
      // the benchmark's seed base as the pretraining's seed too: still another stream
      for (const seed of [0, SYNTH_DEFAULT_SEED]) {
        const index = family === 'A' ? 0 : 1;
        const ours = renderPretrainScene(seed, index, 128);
        assert.equal(ours.family, family);
        assert.notEqual(ours.seed, benchSeed);
        // like with like: the pretraining scene is the renderer's output for its seed, byte for byte
        const again = renderScene(makeScene(family, pretrainSceneSeed(seed, family, 0)), 128, 128).image.data;
        assert.ok(ours.rgb.every((v, k) => v === Math.min(255, Math.max(0, Math.round(again[k]! * 255)))));
        const bench = renderScene(makeScene(family, benchSeed), 128, 128).image.data;
        let diff = 0;
        for (let k = 0; k < bench.length; k++) diff += Math.abs(ours.rgb[k]! / 255 - bench[k]!);
        assert.ok(diff / bench.length > 0.02, `pretraining scene 0 of family ${family} (seed ${seed}) renders like the benchmark's scene 0 (mean abs diff ${diff / bench.length})`);
      }
      // no seed shared with the first thousand benchmark scenes of the family
      const bench = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(SYNTH_DEFAULT_SEED, family, 'scene', i)));
      for (let i = 0; i < 1000; i++) assert.ok(!bench.has(pretrainSceneSeed(0, family, i)), `pretraining scene ${i} of ${family} has a benchmark seed`);
    }
  });
});

describe('appearance pretext', () => {
  test('cell statistics of known images: flat grey, pure red, noise against its clean image', () => {
    const size = 32, grid = 4, k = APPEARANCE_STATS.length;
    const stats = (fill: (i: number) => [number, number, number]): Float32Array => {
      const rgb = new Uint8Array(size * size * 3);
      for (let i = 0; i < size * size; i++) rgb.set(fill(i), 3 * i);
      const out = new Float32Array(grid * grid * k);
      cellStats(rgb, size, grid, out, 0, k);
      return out;
    };
    const grey = stats(() => [128, 128, 128]);
    const red = stats(() => [255, 0, 0]);
    for (let q = 0; q < grid * grid; q++) {
      // nothing varies: both energies and the spread sit at their floors; the mean is the grey level
      assert.ok(Math.abs(grey[q * k]! - Math.log(1e-6)) < 1e-4 && Math.abs(grey[q * k + 1]! - Math.log(1e-6)) < 1e-4, `energies ${grey[q * k]}, ${grey[q * k + 1]}`);
      assert.ok(Math.abs(grey[q * k + 2]! - 128 / 255) < 1e-5);
      assert.ok(Math.abs(grey[q * k + 3]! - Math.log(1e-3)) < 1e-2);
      assert.ok(Math.abs(grey[q * k + 4]!) < 1e-6);
      // luma of pure red is 0.299; chroma the mean absolute channel distance from it
      assert.ok(Math.abs(red[q * k + 2]! - 0.299) < 1e-5);
      assert.ok(Math.abs(red[q * k + 4]! - (0.701 + 0.299 + 0.299) / 3) < 1e-5);
    }
    // a pixel checkerboard has all its energy in the fine band
    const checker = stats((i) => ((i % size) + Math.floor(i / size)) % 2 ? [200, 200, 200] : [50, 50, 50]);
    for (let q = 0; q < grid * grid; q++) assert.ok(checker[q * k]! > Math.log(0.01) && checker[q * k]! > checker[q * k + 1]! + 3, `fine ${checker[q * k]}, mid ${checker[q * k + 1]}`);
  });

  test('strengths between the table\'s levels, draws from the seed alone, every type and some clean inputs', () => {
    const jpeg = DISTORTIONS.find((d) => d.name === 'jpeg')!;
    const blur = DISTORTIONS.find((d) => d.name === 'gaussian_blur')!;
    assert.equal(strengthAt(blur, 0), blur.values[0]);
    assert.equal(strengthAt(blur, 4), blur.values[4]);
    assert.ok(Math.abs(strengthAt(blur, 1.5) - (blur.values[1]! + blur.values[2]!) / 2) < 1e-12);
    assert.ok(Number.isInteger(strengthAt(jpeg, 2.3)));
    assert.deepEqual(drawDistortion(0, 3, 17), drawDistortion(0, 3, 17));
    const seen = new Set<string>();
    let clean = 0;
    for (let scene = 0; scene < 2000; scene++) {
      const d = drawDistortion(0, 0, scene);
      if (d.name === null) clean++;
      else {
        seen.add(d.name);
        assert.ok(d.position >= 0 && d.position <= 4, JSON.stringify(d));
      }
    }
    assert.equal(seen.size, DISTORTIONS.length);
    assert.ok(clean > 150 && clean < 350, `${clean} clean inputs of 2000 (expected about 250)`);
  });

  test('a batch carries depth, the input\'s and the clean crop\'s statistics; white noise raises the input\'s fine energy only', async () => {
    const [scene] = renderPretrainScenes(0, 1, 128);
    const noisy = await distortScene(scene!, { name: 'white_noise', position: 3, value: 0.11 }, 0);
    assert.equal(noisy.length, scene!.rgb.length);
    const crops = [{ scene: 0, x: 0, y: 0, flip: false }, { scene: 0, x: 0, y: 0, flip: false }];
    const b = makeBatch([scene!], crops, 128, 8, { appearance: true, inputs: [scene!.rgb, noisy] });
    const k = targetChannels(true);
    assert.equal(b.channels, k);
    assert.equal(b.target.length, 2 * 64 * k);
    const depthOnly = makeBatch([scene!], crops, 128, 8);
    const s = APPEARANCE_STATS.length;
    let raised = 0;
    for (let q = 0; q < 64; q++) {
      // channel 0 is the depth pretext's target, unchanged
      assert.equal(b.target[q * k], depthOnly.target[q]);
      // clean input: its statistics are the clean crop's
      for (let c = 0; c < s; c++) assert.equal(b.target[q * k + 1 + c], b.target[q * k + 1 + s + c]);
      const o = 64 * k + q * k;
      assert.ok(b.target[o + 1]! > b.target[o + 1 + s]!, `cell ${q}: noisy fine ${b.target[o + 1]}, clean ${b.target[o + 1 + s]}`);
      raised += b.target[o + 1]! - b.target[o + 1 + s]!;
      // the clean crop's statistics do not depend on what the input shows
      for (let c = 0; c < s; c++) assert.equal(b.target[o + 1 + s + c], b.target[q * k + 1 + s + c]);
    }
    // on average over the cells, noise of sigma 0.11 multiplies the fine-band energy several times
    assert.ok(raised / 64 > 1, `mean log ratio ${raised / 64}`);
    // the input's pixels are the noisy ones
    assert.notDeepEqual(Array.from(b.rgb.subarray(128 * 128 * 3, 128 * 128 * 3 + 30)), Array.from(b.rgb.subarray(0, 30)));
    // standardised with the scale of the batches it came from: every channel has mean 0 and std 1
    const scale = channelScale([b]);
    const z = makeBatch([scene!], crops, 128, 8, { appearance: true, inputs: [scene!.rgb, noisy], scale });
    for (let ch = 1; ch < k; ch++) {
      const v = Array.from({ length: 128 }, (_, i) => z.target[i * k + ch]!);
      const mean = v.reduce((a, x) => a + x, 0) / v.length;
      const std = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length);
      assert.ok(Math.abs(mean) < 1e-3 && (Math.abs(std - 1) < 1e-3 || std < 1e-3), `channel ${ch}: mean ${mean}, std ${std}`);
    }
  });

  test("the change task adds each statistic's change, input minus clean, before the scale; blur lowers fine energy", async () => {
    const [scene] = renderPretrainScenes(0, 1, 128);
    const blurred = await distortScene(scene!, { name: 'gaussian_blur', position: 3, value: 2.5 }, 0);
    const crops = [{ scene: 0, x: 0, y: 0, flip: false }, { scene: 0, x: 0, y: 0, flip: false }];
    const plain = makeBatch([scene!], crops, 128, 8, { appearance: true, inputs: [scene!.rgb, blurred] });
    const b = makeBatch([scene!], crops, 128, 8, { appearance: true, changes: true, inputs: [scene!.rgb, blurred] });
    const s = APPEARANCE_STATS.length;
    const k = targetChannels(true, true);
    assert.equal(k, 1 + 3 * s);
    assert.equal(b.channels, k);
    let fineDrop = 0;
    for (let i = 0; i < 2; i++) {
      for (let q = 0; q < 64; q++) {
        const o = (i * 64 + q) * k, p = (i * 64 + q) * plain.channels;
        // depth and the two sets of statistics are the appearance task's
        for (let c = 0; c <= 2 * s; c++) assert.equal(b.target[o + c], plain.target[p + c]);
        for (let c = 0; c < s; c++) {
          const change = b.target[o + 1 + 2 * s + c]!;
          assert.ok(Math.abs(change - (b.target[o + 1 + c]! - b.target[o + 1 + s + c]!)) < 1e-6);
          // a clean input has not moved
          if (i === 0) assert.equal(change, 0);
        }
        if (i === 1) fineDrop += b.target[o + 1 + 2 * s]!;
      }
    }
    assert.ok(fineDrop / 64 < -1, `mean change of log fine energy under blur: ${fineDrop / 64}`);
    // the scale standardises the change channels too
    const scale = channelScale([b]);
    assert.equal(scale.mean.length, k - 1);
    const z = makeBatch([scene!], crops, 128, 8, { appearance: true, changes: true, inputs: [scene!.rgb, blurred], scale });
    const v = Array.from({ length: 128 }, (_, i) => z.target[i * k + 1 + 2 * s]!);
    const mean = v.reduce((a, x) => a + x, 0) / v.length;
    assert.ok(Math.abs(mean) < 1e-3, `standardised fine change: mean ${mean}`);
  });

  test('structure statistics by hand: a flat cell, vertical stripes; the structure task appends them to every set', async () => {
    const n = APPEARANCE_STATS.length + STRUCTURE_STATS.length;
    const img = (f: (r: number, c: number) => number): Uint8Array => {
      const a = new Uint8Array(16 * 16 * 3);
      for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) a.fill(f(r, c), 3 * (r * 16 + c), 3 * (r * 16 + c) + 3);
      return a;
    };
    const out = new Float32Array(n);
    cellStats(img(() => 90), 16, 1, out, 0, n, true);
    assert.equal(out[5], 1, 'every pixel of a constant cell is flat');
    assert.equal(out[6], 0, 'no gradient: no direction');
    // columns alternating 0 and 255: luma steps of 1 across, none down; only the last column (no right
    // neighbour) counts as flat; 15 x 15 horizontal and diagonal steps, 15 x 14 antidiagonal ones, over 256 pixels
    cellStats(img((_, c) => (c % 2) * 255), 16, 1, out, 0, n, true);
    assert.equal(out[5], 16 / 256);
    const f = 1e-6;
    const expected = Math.hypot(Math.log((225 / 256 + f) / f), Math.log((225 / 256 + f) / (210 / 256 + f)));
    assert.ok(Math.abs(out[6]! - expected) < 1e-4 * expected, `anisotropy ${out[6]}, expected ${expected}`);
    // without the flag only the five statistics are written
    const five = new Float32Array(n).fill(-7);
    cellStats(img(() => 90), 16, 1, five, 0, n);
    assert.deepEqual([five[5], five[6]], [-7, -7]);

    // in a batch: 1 + 3 x 7 channels; the first five of each set are the change task's; a 10 px
    // pixelation raises the input's flat share, and its change, in most cells
    const [scene] = renderPretrainScenes(0, 1, 128);
    const blocky = await distortScene(scene!, { name: 'pixelate', position: 4, value: 10 }, 0);
    const crops = [{ scene: 0, x: 0, y: 0, flip: false }];
    const change = makeBatch([scene!], crops, 128, 8, { appearance: true, changes: true, inputs: [blocky] });
    const b = makeBatch([scene!], crops, 128, 8, { appearance: true, changes: true, structure: true, inputs: [blocky] });
    const k = targetChannels(true, true, true);
    assert.equal(k, 1 + 3 * n);
    assert.equal(b.channels, k);
    const s = APPEARANCE_STATS.length;
    let raised = 0;
    for (let q = 0; q < 64; q++) {
      const o = q * k, p = q * change.channels;
      assert.equal(b.target[o], change.target[p]);
      for (let set = 0; set < 3; set++) for (let c = 0; c < s; c++) assert.equal(b.target[o + 1 + set * n + c], change.target[p + 1 + set * s + c]);
      const flatIn = b.target[o + 1 + 5]!, flatClean = b.target[o + 1 + n + 5]!;
      assert.ok(Math.abs(b.target[o + 1 + 2 * n + 5]! - (flatIn - flatClean)) < 1e-6);
      if (flatIn > flatClean) raised++;
    }
    assert.ok(raised > 48, `pixelation raised the flat share in ${raised} of 64 cells`);
  });

  test('an unknown task is refused by name', () => {
    assert.throws(() => resolvePretrainConfig({ task: 'colour' }), /"task" must be one of depth, appearance, change, structure, got "colour"/);
    assert.throws(() => parsePretrainArgs(['--task', 'colour']), /--task must be one of depth, appearance, change, structure/);
    assert.equal(parsePretrainArgs(['--task', 'structure']).out, 'data/pretrained/demo-swin-structure.safetensors');
    assert.equal(parsePretrainArgs(['--task', 'depth']).out, 'data/pretrained/demo-swin-depth.safetensors');
    assert.equal(parsePretrainArgs(['--task', 'change']).out, 'data/pretrained/demo-swin-change.safetensors');
    assert.equal(parsePretrainArgs([]).out, 'data/pretrained/demo-swin-change.safetensors');
    assert.equal(parsePretrainArgs(['--task', 'appearance']).out, 'data/pretrained/demo-swin-appearance.safetensors');
  });
});

describe('dgiqa pretrain flags', () => {
  test('bad flags: a one-line error naming the flag', () => {
    assert.deepEqual(parsePretrainArgs(['--scenes', '12', '--epochs', '3', '--seed', '7', '--resume']).overrides, { scenes: 12, numEpochs: 3, seed: 7 });
    const cases: Array<[string[], RegExp]> = [
      [['--bogus'], /unknown option "--bogus"/],
      [['--scenes'], /--scenes needs a value/],
      [['--epochs', '0'], /--epochs must be an integer >= 1/],
      [['--scenes', '1e3'], /--scenes must be an integer/],
      [['--seed', '-1'], /--seed needs a value|--seed must be/],
      [['--out', '--resume'], /--out needs a value/],
      [['--model', '{embedDim: 24}'], /--model must be a JSON object, got "\{embedDim: 24\}" \(not JSON\)/],
      [['--model', '[24]'], /--model must be a JSON object/],
    ];
    for (const [args, message] of cases) {
      assert.throws(() => parsePretrainArgs(args), (err: Error) => message.test(err.message) && !err.message.includes('\n'), args.join(' '));
    }
  });

  test('--model widens the backbone; a key the model does not know is refused by the flag', () => {
    const args = parsePretrainArgs(['--model', '{"embedDim":24}']);
    assert.deepEqual(args.model, { embedDim: 24 });
    assert.equal(parsePretrainArgs([]).model, undefined);
    const wide = pretrainModel('demo', args.model!);
    assert.equal(wide.embedDim, 24);
    assert.equal(wide.imgSize, pretrainModel('demo', {}).imgSize);
    assert.throws(() => pretrainModel('demo', { embedDims: 24 }), /dgiqa pretrain --model/);
  });

  test('the command exits 1 with one line on stderr', async () => {
    const err = await run(process.execPath, [BIN, 'pretrain', '--epochs', '2', '--frobnicate']).then(
      () => assert.fail('exited 0'),
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
    assert.equal(err.code, 1);
    assert.equal(err.stdout, '');
    assert.equal(err.stderr.trimEnd().split('\n').length, 1, err.stderr);
    assert.match(err.stderr, /^dgiqa pretrain: unknown option "--frobnicate"/);
  });
});
