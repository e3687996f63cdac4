// `dgiqa forward --config C --weights W --inputs I [--features] [--batch N]`: run a checkpoint on a
// batch stored as PyTorch holds it (NCHW float32 `rgb` and `depth`), print the scores as one JSON line.
// The command a researcher runs to check a port of weights against PyTorch's outputs.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { initBackend, tf } from '../backend/index.js';
import { configFrom } from '../model/index.js';
import type { DgiqaConfig, DgiqaFeatures } from '../model/index.js';
import { inputBatch, loadModel, nhwcSlice, readSafetensors } from '../weights/index.js';

const USAGE = 'usage: dgiqa forward --config PRESET|config.json --weights W.pth|W.safetensors --inputs I.safetensors [--features] [--batch N]';
const FIRST = 8; // values listed per feature map, as the parity fixture's expected.json

export interface FeatureSummary {
  shape: number[];
  mean: number;
  std: number;
  first: number[];
}

export async function readConfig(spec: string): Promise<DgiqaConfig> {
  if (!spec.endsWith('.json')) return configFrom(spec);
  let text: string;
  try {
    text = await readFile(spec, 'utf8');
  } catch {
    throw new Error(`${spec}: cannot read the config file`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${spec}: not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${spec}: expected a JSON object of model config fields`);
  return configFrom(parsed as Record<string, unknown>, spec);
}

/**
 * Summary of an NHWC map in PyTorch's NCHW order: mean, unbiased std (torch.std), first values.
 * Read asynchronously: the WebGPU backend has no synchronous read in Node.
 */
export async function summarize(map: tf.Tensor4D): Promise<FeatureSummary> {
  const nchw = tf.transpose(map, [0, 3, 1, 2]);
  let values: Float32Array;
  try {
    values = (await nchw.data()) as Float32Array;
  } finally {
    nchw.dispose();
  }
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  return { shape: nchw.shape, mean, std: Math.sqrt(sq / Math.max(values.length - 1, 1)), first: Array.from(values.slice(0, FIRST)) };
}

function featureMaps(f: DgiqaFeatures): Record<string, tf.Tensor4D> {
  const maps: Record<string, tf.Tensor4D> = {};
  f.rgbStages.forEach((m, i) => (maps[`rgb_stage${i + 1}`] = m));
  maps.fused_rgb = f.fusedRgb;
  if (f.fusedDepth) maps.fused_depth = f.fusedDepth;
  maps.refined = f.refined;
  return maps;
}

export async function forwardCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      weights: { type: 'string' },
      inputs: { type: 'string' },
      features: { type: 'boolean', default: false },
      batch: { type: 'string', default: '8' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (!values.weights || !values.inputs) throw new Error(`--weights and --inputs are required\n${USAGE}`);
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be a positive integer, got "${values.batch}"`);

  const backend = await initBackend();
  process.stderr.write(backend.message + '\n');
  const config = values.config ? await readConfig(values.config) : undefined;
  const inputs = await readSafetensors(values.inputs);
  const { model, configSource } = await loadModel(values.weights, config);
  process.stderr.write(`model: ${model.numParams().toLocaleString('en-US')} parameters (config: ${values.config ?? configSource})\n`);
  try {
    const { n, size, rgb, depth } = inputBatch(inputs, values.inputs, model.config.imgSize, model.config.useDepth);
    const scores: number[] = [];
    const parts: Record<string, tf.Tensor4D[]> = {};
    for (let start = 0; start < n; start += batch) {
      const count = Math.min(batch, n - start);
      const x = nhwcSlice(rgb, size, start, count);
      const d = depth ? nhwcSlice(depth, size, start, count) : undefined;
      const batchScores = tf.tidy(() => {
        const out = model.forward(x, d);
        if (values.features) for (const [k, m] of Object.entries(featureMaps(out.features))) (parts[k] ??= []).push(tf.keep(m));
        return out.scores;
      });
      x.dispose();
      d?.dispose();
      scores.push(...(await batchScores.data()));
      batchScores.dispose();
    }
    // a NaN would print as null: a broken model or input is an error, never a score
    const bad = scores.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${values.inputs}: the score of image ${bad} is not finite (${scores[bad]}) with weights ${values.weights}; the weights or the inputs are broken`);
    const result: Record<string, unknown> = { scores, backend: backend.name };
    if (values.features) {
      const features: Record<string, FeatureSummary> = {};
      for (const [k, list] of Object.entries(parts)) {
        const whole = list.length === 1 ? list[0] : tf.concat(list, 0);
        features[k] = await summarize(whole);
        if (whole !== list[0]) whole.dispose();
        list.forEach((t) => t.dispose());
      }
      result.features = features;
    }
    process.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  } finally {
    model.dispose();
  }
}
