// A parity case for bench/pytorch/parity.py made by the kit itself (the compiled dist/):
//   node bench/pytorch/make_demo_case.mjs [OUT_DIR] [--config demo] [--batch 8]
// writes OUT_DIR (default bench/pytorch/out/<config>) with
//   config.json          the resolved kit config
//   weights.safetensors  random weights in the official key layout (saveModel); LayerNorm / BatchNorm
//                        affine parameters, zero biases and BN running statistics randomised too, so
//                        that eval-mode BatchNorm and every bias is exercised
//   inputs.safetensors   rgb, depth: NCHW [B, 3, S, S] float32 (normal noise); labels [B] in [0, 1]
//   grads.safetensors    the gradient of that training loss for every parameter (official names and layouts)
//   expected.json        eval-mode scores; and `train`: the loss of one kit training step (lambda 1, the
//                        image and its flip stacked as two lanes) and the eval scores after its AdamW update
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Dgiqa, configFrom, initBackend, tf, train, weights } from '../../dist/src/index.js';
import { Rng } from '../../dist/src/util/rng.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { config: { type: 'string', default: 'demo' }, batch: { type: 'string', default: '8' }, seed: { type: 'string', default: '7' } },
});
const preset = values.config;
const batch = Number(values.batch);
const seed = Number(values.seed);
const out = positionals[0] ?? join('bench', 'pytorch', 'out', preset);
const LAMBDA = 1; // src/cli/bench.ts BENCH_LAMBDA
const LR = 1e-3; // larger than the bench's 1e-4, so the update shows in the scores

const backend = await initBackend();
const config = configFrom(preset);
const model = new Dgiqa(config, seed);

// parameters that initialise to constants get random values (BN running_var stays positive)
let k = 0;
for (const [name, spec] of model.store.specs) {
  if (spec.init.kind !== 'ones' && spec.init.kind !== 'zeros') continue;
  const v = model.store.get(name);
  k += 1;
  tf.tidy(() => {
    const r = name.endsWith('running_var') ? tf.randomUniform(v.shape, 0.5, 1.5, 'float32', seed * 1000 + k)
      : tf.add(tf.randomNormal(v.shape, 0, 0.1, 'float32', seed * 1000 + k), spec.init.kind === 'ones' ? 1 : 0);
    v.assign(r);
  });
}

const s = config.imgSize;
const rgbNchw = tf.randomNormal([batch, 3, s, s], 0, 1, 'float32', seed + 1);
const depthNchw = tf.randomNormal([batch, 3, s, s], 0, 1, 'float32', seed + 2);
const labels = tf.randomUniform([batch], 0, 1, 'float32', seed + 3);
const rgb = tf.transpose(rgbNchw, [0, 2, 3, 1]); // the kit computes NHWC
const depth = config.useDepth ? tf.transpose(depthNchw, [0, 2, 3, 1]) : undefined;

mkdirSync(out, { recursive: true });
await weights.saveModel(model, join(out, 'weights.safetensors'));
const raw = (t) => ({ dtype: 'F32', shape: t.shape, data: t.dataSync() });
await weights.writeSafetensors(join(out, 'inputs.safetensors'), new Map([['rgb', raw(rgbNchw)], ['depth', raw(depthNchw)], ['labels', raw(labels)]]));

const predict = () => {
  const p = model.predict(rgb, depth);
  const a = Array.from(p.dataSync());
  p.dispose();
  return a;
};
const scores = predict();

// the gradients of the training loss (the step's own loss terms), in PyTorch layouts, before any update
const ctx = { training: true, rng: new Rng(1), bnUpdates: [] };
const trainable = model.store.trainable();
const { value, grads } = tf.variableGrads(() => train.lossTerms(model, { rgb, depth, labels }, LAMBDA, ctx).loss, trainable);
const gradFile = new Map();
for (const [name, v] of model.store.vars) {
  const g = grads[v.name];
  if (!g) continue;
  const layout = model.store.specs.get(name).layout;
  const torchLayout = layout === 'conv' ? tf.transpose(g, [3, 2, 0, 1]) : layout === 'linear' ? tf.transpose(g) : g;
  gradFile.set(name, raw(torchLayout));
}
await weights.writeSafetensors(join(out, 'grads.safetensors'), gradFile);
const gradLoss = value.dataSync()[0];
tf.dispose([value, ...Object.values(grads), ...ctx.bnUpdates.flatMap((u) => [u.mean, u.variance])]);

const optimizer = new train.AdamW(model.store.trainableByName());
const step = await train.trainStep(model, optimizer, { rgb, depth, labels }, { lr: LR, lambda: LAMBDA, seed: 1 });
const after = predict();

writeFileSync(join(out, 'config.json'), JSON.stringify(config, null, 1) + '\n');
writeFileSync(join(out, 'expected.json'), JSON.stringify({
  made_by: `bench/pytorch/make_demo_case.mjs (kit dist/, backend ${backend.name}), preset ${preset}, seed ${seed}`,
  scores,
  train: { lambda: LAMBDA, lr: LR, adamw: train.ADAMW_DEFAULTS, loss: step.loss, grad_loss: gradLoss, grads: 'grads.safetensors', mse: step.mse, consistency: step.consistency, scores_after_step: after },
}, null, 1) + '\n');
process.stdout.write(`${out}: ${model.numParams()} parameters, batch ${batch}, backend ${backend.name}; loss ${step.loss}\n`);
optimizer.dispose();
model.dispose();
