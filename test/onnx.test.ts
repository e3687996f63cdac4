// The ONNX export run by ONNX Runtime: parity with PyTorch (the tiny fixture from both checkpoint
// formats, and the paper-size model against the official model file's outputs), agreement with the
// kit's own forward on every ablation switch, a symbolic batch, the protobuf encoding, and the errors.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { tf, initBackend } from '../src/backend/index.js';
import { Dgiqa, configFrom, torchShape } from '../src/model/index.js';
import type { DgiqaConfig } from '../src/model/index.js';
import { loadModel, loadIntoModel, readSafetensors, saveModel } from '../src/weights/index.js';
import type { RawTensor } from '../src/weights/index.js';
import { OnnxDgiqa, exportOnnx } from '../src/onnx/index.js';
import { ProtoWriter } from '../src/onnx/proto.js';
import { TINY, PAPER, nhwc, assertClose } from './support/fixtures.js';
import { formulaTensor } from './support/formulaWeights.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'dgiqa.js');
const exec = promisify(execFile);
const SCORE_TOL = 1e-4; // the fixture README's bar for a float32 port, as test/parity
const KIT_TOL = 2e-5; // ONNX Runtime against the kit's own forward: float32 summation order only

const tinyConfig = configFrom(JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8')) as Record<string, unknown>);

async function fixtureInputs(folder: string): Promise<{ rgb: tf.Tensor4D; depth: tf.Tensor4D }> {
  const inputs = (await readSafetensors(join(folder, 'inputs.safetensors'))).tensors;
  return { rgb: nhwc(inputs.get('rgb') as RawTensor), depth: nhwc(inputs.get('depth') as RawTensor) };
}

/** Random weights with real spread: every parameter drawn from the formula generator the paper-size parity uses. */
function spreadModel(config: DgiqaConfig): Dgiqa {
  const model = new Dgiqa(config, 7);
  const tensors = new Map<string, RawTensor>();
  for (const [name, spec] of model.store.specs) {
    tensors.set(name, formulaTensor(name, torchShape(spec)));
  }
  loadIntoModel(model, tensors, 'formula weights');
  return model;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

before(async () => {
  await initBackend('wasm');
});

describe('ONNX export: parity with PyTorch', () => {
  for (const file of ['weights.pth', 'weights.safetensors']) {
    it(`parity-tiny ${file}: scores within ${SCORE_TOL} of PyTorch, no tensors left behind`, async () => {
      const expected = JSON.parse(readFileSync(join(TINY, 'expected.json'), 'utf8')) as { scores: number[] };
      const { model } = await loadModel(join(TINY, file), tinyConfig);
      const { rgb, depth } = await fixtureInputs(TINY);
      const before = tf.memory().numTensors;
      const engine = await OnnxDgiqa.fromModel(model, { threads: 1 });
      assert.equal(tf.memory().numTensors, before, 'the export creates no tensors');
      const scores = await engine.scores(rgb.dataSync() as Float32Array, depth.dataSync() as Float32Array, rgb.shape[0]);
      assert.equal(scores.length, expected.scores.length);
      scores.forEach((s, i) => assertClose(s, expected.scores[i], SCORE_TOL, `score ${i}`));
      await engine.dispose();
      tf.dispose([rgb, depth]);
      model.dispose();
    });
  }

  it('paper size (official model/DGIQA.py, timm Swin-T): scores within 2e-4 of PyTorch', async () => {
    const reference = JSON.parse(readFileSync(join(PAPER, 'expected.json'), 'utf8')) as { scores_f32: number[]; keys: [string, number[], string][] };
    const model = new Dgiqa(configFrom('paper'));
    const tensors = new Map<string, RawTensor>();
    for (const [name, shape, dtype] of reference.keys) if (dtype !== 'torch.int64') tensors.set(name, formulaTensor(name, shape));
    loadIntoModel(model, tensors, 'paper formula weights');
    const { rgb, depth } = await fixtureInputs(PAPER);
    const engine = await OnnxDgiqa.fromModel(model);
    const scores = await engine.scores(rgb.dataSync() as Float32Array, depth.dataSync() as Float32Array, rgb.shape[0]);
    scores.forEach((s, i) => assertClose(s, reference.scores_f32[i], 2e-4, `paper score ${i}`));
    await engine.dispose();
    tf.dispose([rgb, depth]);
    model.dispose();
  });
});

describe('ONNX export: the kit forward, switch by switch', () => {
  const cases: [string, Partial<DgiqaConfig>][] = [
    ['demo', {}],
    ['demo without TCB', { tcb: false }],
    ['demo without Depth-CAR', { depthCar: false }],
    ['demo without dilation', { dilation: false }],
    ['demo RGB only', { useDepth: false, depthCar: false }],
    ['tiny at 224 (7x7 windows, shifted and unshifted)', {}],
  ];
  for (const [label, overrides] of cases) {
    it(`${label}: scores and pooled features match the tfjs forward`, async () => {
      const base = label.startsWith('tiny') ? 'tiny' : 'demo';
      const config = configFrom({ ...configFrom(base), ...overrides });
      const model = spreadModel(config);
      const n = 2;
      const s = config.imgSize;
      const rgb = tf.randomNormal([n, s, s, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
      const depth = tf.randomNormal([n, s, s, 3], 0, 1, 'float32', 12) as tf.Tensor4D;
      const { scores, pooled } = tf.tidy(() => {
        const f = model.forward(rgb, config.useDepth ? depth : undefined);
        return { scores: f.scores.dataSync(), pooled: f.features.pooled.dataSync() };
      });
      const engine = await OnnxDgiqa.fromModel(model, { threads: 1 });
      const got = await engine.run(rgb.dataSync() as Float32Array, config.useDepth ? (depth.dataSync() as Float32Array) : undefined, n);
      const scale = Math.max(...Array.from(pooled, Math.abs));
      assert.ok(scale > 1e-3, `features are not degenerate (max |pooled| ${scale})`);
      assert.ok(maxAbsDiff(got.pooled, pooled) <= KIT_TOL * Math.max(1, scale), `pooled features differ by ${maxAbsDiff(got.pooled, pooled)} (scale ${scale})`);
      assert.ok(maxAbsDiff(got.scores, scores) <= KIT_TOL, `scores differ by ${maxAbsDiff(got.scores, scores)}`);
      await engine.dispose();
      tf.dispose([rgb, depth]);
      model.dispose();
    });
  }

  it('one exported graph serves any batch: each crop scores the same alone and in a batch of 4', async () => {
    const config = configFrom('demo');
    const model = spreadModel(config);
    const s = config.imgSize;
    const rgb = tf.randomNormal([4, s, s, 3], 0, 1, 'float32', 21);
    const depth = tf.randomNormal([4, s, s, 3], 0, 1, 'float32', 22);
    const engine = await OnnxDgiqa.fromModel(model, { threads: 1 });
    const all = await engine.scores(rgb.dataSync() as Float32Array, depth.dataSync() as Float32Array, 4);
    const per = s * s * 3;
    for (let i = 0; i < 4; i++) {
      const one = await engine.scores((rgb.dataSync() as Float32Array).slice(i * per, (i + 1) * per), (depth.dataSync() as Float32Array).slice(i * per, (i + 1) * per), 1);
      assertClose(one[0], all[i], 1e-6, `crop ${i}`);
    }
    await engine.dispose();
    tf.dispose([rgb, depth]);
    model.dispose();
  });
});

describe('ONNX export: encoding and errors', () => {
  it('writes protobuf varints as the protobuf documentation gives them', () => {
    // field 1 = 150 -> 08 96 01 (protobuf encoding guide); -1 as int64 takes ten bytes
    assert.deepEqual(Array.from(new ProtoWriter().int(1, 150).finish()), [0x08, 0x96, 0x01]);
    assert.deepEqual(Array.from(new ProtoWriter().int(1, -1).finish()), [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert.deepEqual(Array.from(new ProtoWriter().string(2, 'testing').finish()), [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
    const nested = new ProtoWriter().message(3, new ProtoWriter().int(1, 150)).finish();
    assert.deepEqual(Array.from(nested), [0x1a, 0x03, 0x08, 0x96, 0x01]);
  });

  it('is refused in a worker thread with a reason (the binding would abort the process), and auto picks tfjs there', async () => {
    const session = new URL('../src/onnx/session.js', import.meta.url).href;
    const predict = new URL('../src/eval/predict.js', import.meta.url).href;
    const code = `const { parentPort } = require('node:worker_threads');
      (async () => {
        const { OnnxDgiqa } = await import(${JSON.stringify(session)});
        const { resolveEngine } = await import(${JSON.stringify(predict)});
        let refused = '';
        try { await OnnxDgiqa.fromBytes(new Uint8Array(0), { imgSize: 8, useDepth: false }); } catch (e) { refused = e.message; }
        parentPort.postMessage({ refused, auto: await resolveEngine('auto') });
      })();`;
    const { Worker } = await import('node:worker_threads');
    const reply = await new Promise<{ refused: string; auto: string }>((resolve, reject) => {
      const w = new Worker(code, { eval: true });
      w.once('message', (m: { refused: string; auto: string }) => void w.terminate().then(() => resolve(m)));
      w.once('error', reject);
    });
    assert.match(reply.refused, /^ONNX Runtime runs on the main thread only/);
    assert.equal(reply.auto, 'tfjs');
  });

  it('the file records the config, and inputs of the wrong size are refused with one line', async () => {
    const model = new Dgiqa(configFrom('demo'), 3);
    const { bytes } = exportOnnx(model);
    assert.ok(Buffer.from(bytes).includes(Buffer.from(JSON.stringify(model.config))), 'config in the metadata');
    const engine = await OnnxDgiqa.fromModel(model, { threads: 1 });
    await assert.rejects(engine.scores(new Float32Array(10), new Float32Array(10), 1), /^Error: ONNX model input must be \[1, 128, 128, 3\] \(49152 values\), got 10 values$/);
    await assert.rejects(engine.scores(new Float32Array(49152), undefined, 1), /depth input must be \[1, 128, 128, 3\]/);
    await assert.rejects(OnnxDgiqa.fromModel(model, { threads: 0 }), /threads must be a positive integer/);
    await engine.dispose();
    model.dispose();
  });
});

describe('ONNX on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dgiqa-onnx-'));
  const weights = join(TINY, 'weights.safetensors');
  const dgiqa = (args: string[]): Promise<{ stdout: string; stderr: string }> => exec(process.execPath, [BIN, ...args], { env: { ...process.env, DGIQA_BACKEND: 'wasm' } });
  const last = (stdout: string): Record<string, unknown> => JSON.parse(stdout.trimEnd().split('\n').pop() as string) as Record<string, unknown>;

  it('dgiqa score gives the same score on ONNX Runtime as on TensorFlow.js, and says which ran', async () => {
    const image = join(dir, 'photo.png');
    const depth = join(dir, 'photo-depth.png');
    const w = 300, h = 260;
    const rgb = Buffer.alloc(w * h * 3);
    for (let i = 0; i < w * h; i++) for (let c = 0; c < 3; c++) rgb[i * 3 + c] = ((i % w) * (c + 1) + Math.floor(i / w) * 3) % 256;
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(image);
    await sharp(Buffer.from(Array.from({ length: w * h }, (_, i) => Math.floor(i / w) % 256)), { raw: { width: w, height: h, channels: 1 } }).png().toFile(depth);
    const common = [image, '--weights', weights, '--config', 'tiny', '--depth', depth, '--crops', '3'];
    const onnx = last((await dgiqa(['score', ...common, '--engine', 'onnx'])).stdout);
    const tfjs = last((await dgiqa(['score', ...common, '--engine', 'tfjs'])).stdout);
    const auto = last((await dgiqa(['score', ...common])).stdout);
    assert.equal(onnx.engine, 'onnx');
    assert.equal(tfjs.engine, 'tfjs');
    assert.equal(auto.engine, 'onnx', 'no GPU here: auto picks ONNX Runtime');
    assertClose(onnx.score as number, tfjs.score as number, KIT_TOL, 'score, onnx against tfjs');
    await assert.rejects(dgiqa(['score', ...common, '--engine', 'torch']), /--engine must be auto, onnx or tfjs/);
  });

  it('dgiqa export writes a graph that ONNX Runtime scores as the kit does; bad requests fail with one line and write nothing', async () => {
    const out = join(dir, 'tiny.onnx');
    const r = last((await dgiqa(['export', '--weights', weights, '--config', 'tiny', '--out', out])).stdout);
    assert.equal(r.out, out);
    assert.deepEqual(r.outputs, ['scores', 'pooled']);
    const { model } = await loadModel(weights, tinyConfig);
    const engine = await OnnxDgiqa.fromBytes(readFileSync(out), model.config, { threads: 1 });
    const { rgb, depth } = await fixtureInputs(TINY);
    const fromFile = await engine.scores(rgb.dataSync() as Float32Array, depth.dataSync() as Float32Array, rgb.shape[0]);
    const kit = model.predict(rgb, depth);
    Array.from(kit.dataSync()).forEach((s, i) => assertClose(fromFile[i], s, KIT_TOL, `score ${i}`));
    tf.dispose([kit, rgb, depth]);
    await engine.dispose();
    model.dispose();

    const wrong = join(dir, 'wrong.onnx');
    const refused = await dgiqa(['export', '--weights', weights, '--out', wrong]).then(() => undefined, (e: { code: number; stderr: string }) => e);
    assert.ok(refused, 'a checkpoint that does not fit the paper preset is refused');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr.trimEnd().split('\n').pop() as string, /^dgiqa export: .*weights\.safetensors: the .* describes a model of [\d,]+ parameters, the file holds [\d,]+ values: refused before building it$/);
    assert.ok(!existsSync(wrong), 'nothing written');
    await assert.rejects(dgiqa(['export', '--weights', weights, '--out', join(dir, 'x.bin')]), /must end in \.onnx/);
  });

  it('dgiqa eval gives the same metrics on both engines (smoke benchmark, a demo checkpoint with spread weights)', async () => {
    const weightsFile = join(dir, 'demo.safetensors');
    const model = spreadModel(configFrom('demo'));
    await saveModel(model, weightsFile);
    model.dispose();
    const env = { ...process.env, DGIQA_BACKEND: 'wasm', DGIQA_SYNTH: join(dir, 'synth'), DGIQA_RESULTS: join(dir, 'results') };
    const evaluate = async (engine: string): Promise<Record<string, number | string>> =>
      last((await exec(process.execPath, [BIN, 'eval', '--weights', weightsFile, '--dataset', 'synth-A', '--profile', 'smoke', '--split', '0', '--crops', '2', '--engine', engine], { env })).stdout) as Record<string, number | string>;
    const onnx = await evaluate('onnx');
    const tfjs = await evaluate('tfjs');
    assert.deepEqual([onnx.engine, tfjs.engine], ['onnx', 'tfjs']);
    assert.equal(onnx.images, tfjs.images);
    assert.ok((onnx.images as number) > 10);
    for (const k of ['plcc', 'rmse']) assertClose(onnx[k] as number, tfjs[k] as number, 1e-4, k);
    assertClose(onnx.srocc as number, tfjs.srocc as number, 0.02, 'srocc (near-ties may swap)');
  });

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
