// TensorFlow.js's WebGPU backend through Dawn (issue 16): `dgiqa forward` on the tiny fixture within
// the fixture's 1e-4 of PyTorch (its feature maps within 1e-3 relative), and a training step whose
// loss and gradients match wasm's within 1e-3 relative, with no tensors or GPU bytes left behind.
// Where no adapter exists (no Vulkan loader, no driver, no SwiftShader) the tests skip and print why.
// On the CI machines the adapter is the SwiftShader CPU driver of Debian's chromium package: slow (a
// minute a forward) and exact enough.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tf, initBackend, backendMemory, registerGradientFixes } from '../src/backend/index.js';
import type { BackendInfo } from '../src/backend/index.js';
import { Dgiqa, resolveConfig } from '../src/model/index.js';
import type { Ctx } from '../src/model/index.js';
import { AdamW, lossTerms, trainStep } from '../src/train/index.js';
import type { StepBatch } from '../src/train/index.js';
import { Rng } from '../src/util/rng.js';
import { TINY, assertClose } from './support/fixtures.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/dgiqa.js', import.meta.url));
const SCORE_TOL = 1e-4; // the fixture README's bound for a float32 port
const STEP_RTOL = 1e-3;
const FEATURE_RTOL = 1e-3;

let webgpu: BackendInfo | undefined;
let skip: string | false = false;
before(async () => {
  await initBackend('wasm'); // the wasm gradient kernels, registered once
  try {
    webgpu = await initBackend('webgpu');
    process.stderr.write(`# ${webgpu.message}\n`);
  } catch (err) {
    skip = `no WebGPU adapter here: ${(err as Error).message}`;
    process.stderr.write(`# skipped: ${skip}\n`);
  }
  await tf.setBackend('wasm');
});

describe('webgpu backend (Dawn)', () => {
  it('dgiqa forward on the tiny fixture: scores within 1e-4 of PyTorch, feature maps within 1e-3 relative, backend webgpu', async (t) => {
    if (skip) return t.skip(skip);
    const { stdout, stderr } = await run(process.execPath, [BIN, 'forward', '--features', '--weights', join(TINY, 'weights.safetensors'), '--config', join(TINY, 'config.json'), '--inputs', join(TINY, 'inputs.safetensors')], {
      env: { ...process.env, DGIQA_BACKEND: 'webgpu' },
      maxBuffer: 1 << 20,
    });
    type Summary = { shape: number[]; mean: number; std: number; first: number[] };
    const out = JSON.parse(stdout.trim().split('\n').at(-1) as string) as { scores: number[]; backend: string; features: Record<string, Summary> };
    assert.equal(out.backend, 'webgpu');
    assert.match(stderr, /backend: webgpu/);
    const reference = JSON.parse(readFileSync(join(TINY, 'expected.json'), 'utf8')) as { scores: number[]; features: Record<string, Summary> };
    const expected = reference.scores;
    assert.equal(out.scores.length, expected.length);
    out.scores.forEach((s, i) => assertClose(s, expected[i], SCORE_TOL, `score ${i}`));
    // the feature maps as test/parity.test.ts checks them on the CPU backends
    for (const [name, want] of Object.entries(reference.features)) {
      const got = out.features[name];
      assert.ok(got, `feature ${name} missing`);
      assert.deepEqual(got.shape, want.shape, `${name} shape`);
      assertClose(got.mean, want.mean, FEATURE_RTOL * Math.abs(want.mean) + 1e-6, `${name} mean`);
      assertClose(got.std, want.std, FEATURE_RTOL * want.std, `${name} std`);
      got.first.forEach((v, i) => assertClose(v, want.first[i], FEATURE_RTOL * (1 + Math.abs(want.first[i])), `${name} first[${i}]`));
    }
  });

  it('a training step: loss and every gradient within 1e-3 relative of wasm; the step leaks no tensor or GPU byte', async (t) => {
    if (skip) return t.skip(skip);
    // 32 px, 2x2 windows: shifted and unshifted blocks, both branches, Depth-CAR, the dilated stack
    const config = resolveConfig({
      imgSize: 32, patchSize: 4, embedDim: 8, depths: [2, 2, 2, 2], numHeads: [1, 1, 2, 2], windowSize: 2, mlpRatio: 2,
      tcbOut: [4, 4, 4, 4], seReduction: 2, attnHeads: 2, dilationChannels: 8,
    });
    const model = new Dgiqa(config, 5);
    const shape: [number, number, number, number] = [2, 32, 32, 3];
    const batch: StepBatch = {
      rgb: tf.randomUniform(shape, 0, 1, 'float32', 1) as tf.Tensor4D,
      depth: tf.randomUniform(shape, 0, 1, 'float32', 2) as tf.Tensor4D,
      labels: tf.tensor1d([0.25, 0.75]),
    };
    const vars = [...model.store.vars.entries()].filter(([, v]) => v.trainable);
    // the same seeded dropout masks and batch statistics on each backend
    const gradients = async (): Promise<{ loss: number; grads: Map<string, Float32Array> }> => {
      const ctx: Ctx = { training: true, rng: new Rng(7), bnUpdates: [] };
      const { value, grads } = tf.variableGrads(() => lossTerms(model, batch, 0.5, ctx).loss, vars.map(([, v]) => v));
      const out = new Map<string, Float32Array>();
      for (const [name, v] of vars) out.set(name, (await grads[v.name].data()) as Float32Array);
      const loss = (await value.data())[0];
      tf.dispose([value, ...Object.values(grads)]);
      for (const u of ctx.bnUpdates) tf.dispose([u.mean, u.variance]);
      return { loss, grads: out };
    };
    const want = await gradients();
    await tf.setBackend('webgpu');
    registerGradientFixes();
    try {
      const got = await gradients();
      assertClose(got.loss, want.loss, STEP_RTOL * Math.abs(want.loss), 'loss');
      for (const [name, g] of want.grads) {
        const h = got.grads.get(name) as Float32Array;
        let diff = 0;
        let norm = 0;
        for (let i = 0; i < g.length; i++) {
          diff += (h[i] - g[i]) ** 2;
          norm += g[i] ** 2;
        }
        // relative to the gradient's norm (elementwise, a near-zero entry would make any bound
        // meaningless); the 1e-7 floor is for gradients that are zero in exact arithmetic (a bias
        // before BatchNorm, measured 1e-12 to 1e-8 on both backends: float noise)
        assert.ok(Math.sqrt(diff) <= STEP_RTOL * Math.sqrt(norm) + 1e-7, `${name}: |webgpu - wasm| = ${Math.sqrt(diff)}, |wasm| = ${Math.sqrt(norm)}`);
      }
      // the kit's own step, with AdamW and BatchNorm commits, on the GPU backend
      const optimizer = new AdamW(model.store.trainableByName());
      const first = await trainStep(model, optimizer, batch, { lr: 1e-3, lambda: 0.5, rank: 0, seed: 1 });
      const memory = backendMemory();
      assert.equal(typeof memory.gpuBytes, 'number');
      let last = first;
      for (const seed of [2, 3]) {
        last = await trainStep(model, optimizer, batch, { lr: 1e-3, lambda: 0.5, rank: 0, seed });
        assert.ok(last.gradsFinite && Number.isFinite(last.loss), `step ${seed}`);
      }
      assert.ok(first.gradsFinite);
      const after = backendMemory();
      assert.equal(after.numTensors, memory.numTensors, 'live tensors after two more steps');
      assert.equal(after.numBytes, memory.numBytes, 'live bytes after two more steps');
      // staging and uniform buffers come and go with reads, so the bytes in use may fall, never grow
      assert.ok((after.gpuBytes as number) <= (memory.gpuBytes as number), `GPU buffer bytes in use: ${after.gpuBytes} after two more steps, ${memory.gpuBytes} before`);
    } finally {
      await tf.setBackend('wasm');
      tf.dispose([batch.rgb, batch.depth as tf.Tensor, batch.labels]);
      model.dispose();
    }
  });
});
