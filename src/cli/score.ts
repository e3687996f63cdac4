// `dgiqa score IMAGE... --weights W [--depth D] [--crops N] [--seed S] [--config C]`: the official
// inference for any image (smaller side to 384, N random 224 crops, mean score), one JSON line per
// image. Runs the authors' released .pth checkpoints and the kit's own safetensors alike.
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { initBackend } from '../backend/index.js';
import { configFrom } from '../model/index.js';
import { predictRecords } from '../eval/index.js';
import { ENGINE_USAGE, chooseEngine, engineLine } from './engine.js';
import { loadModel } from '../weights/index.js';
import { DEPTH_ANYTHING_DEFAULTS, openDepthProvider } from '../depth/index.js';
import { paths } from '../experiments/paths.js';

const USAGE = `usage: dgiqa score IMAGE... --weights W [--depth FILE|DIR] [--crops N] [--seed S] [--config PRESET]
                   [--engine auto|onnx|tfjs] [--depth-model vits|vitb|vitl|HUB_ID|FOLDER] [--offline]
  --depth   a depth PNG (one image) or a folder of depth PNGs named like the images;
            without it Depth Anything makes the maps (kept in data/cache/depth-anything)
  --depth-model  its encoder (default ${DEPTH_ANYTHING_DEFAULTS.model}, as the official script), a hub id or a local ONNX
            model folder; --offline: no download (the hub model must be in data/cache/models)
  --crops   random crops averaged (default 20, as the official README); --seed their seed (default 0)
  --config  architecture when the checkpoint does not record one (default paper)
  ${ENGINE_USAGE}`;

const EVAL_SHORT_SIDE = 384; // official inference script, for 224 crops

function depthFor(image: string, depth: string): string {
  if (statSync(depth).isDirectory()) {
    const stem = basename(image, extname(image));
    for (const ext of ['.png', extname(image)]) {
      const candidate = join(depth, stem + ext);
      if (existsSync(candidate)) return candidate;
    }
    throw new Error(`${image}: no depth map ${join(depth, stem + '.png')}`);
  }
  return depth;
}

export async function scoreCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { weights: { type: 'string' }, depth: { type: 'string' }, crops: { type: 'string', default: '20' }, seed: { type: 'string', default: '0' }, config: { type: 'string' }, engine: { type: 'string', default: 'auto' }, 'depth-model': { type: 'string' }, offline: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (!values.weights || positionals.length === 0) throw new Error(`need --weights and at least one image\n${USAGE}`);
  const crops = Number(values.crops);
  const seed = Number(values.seed);
  if (!Number.isInteger(crops) || crops < 1) throw new Error(`--crops must be a positive integer, got "${values.crops}"`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got "${values.seed}"`);
  const images = positionals.map((p) => resolve(p));
  for (const image of images) if (!existsSync(image)) throw new Error(`${image}: no such image`);
  if (values.depth && !existsSync(values.depth)) throw new Error(`${values.depth}: no such depth map or folder`);
  if (values.depth && (values['depth-model'] !== undefined || values.offline)) throw new Error('--depth gives the maps; --depth-model and --offline are for making them, drop one or the other');
  if (values.depth && images.length > 1 && !statSync(values.depth).isDirectory()) throw new Error(`--depth ${values.depth}: one depth file for ${images.length} images; give a folder of depth maps named like the images`);

  const info = await initBackend();
  const engine = await chooseEngine(values.engine, (l) => process.stderr.write(l + '\n'));
  process.stderr.write(engineLine(engine, info) + '\n');
  // Depth: given, or from the configured provider (which says at once when none is available).
  let depths: string[];
  if (values.depth) depths = images.map((i) => depthFor(i, values.depth as string));
  else {
    const model = values['depth-model'];
    const provider = await openDepthProvider({ provider: 'depth-anything', ...(model ? { model } : {}), offline: values.offline, modelCache: paths.models, mapCache: paths.depthCache });
    try {
      depths = [];
      for (const image of images) depths.push(await provider.pathOf(image));
    } finally {
      await provider.dispose?.();
    }
  }
  const { model } = await loadModel(values.weights, values.config ? configFrom(values.config) : undefined);
  try {
    const records = images.map((image, i) => ({ image, depth: depths[i] }));
    const evalShortSide = Math.round((EVAL_SHORT_SIDE * model.config.imgSize) / 224);
    const p = await predictRecords(model, records, { crops, seed, evalShortSide, workers: 0, engine, threads: availableParallelism() });
    // a NaN would print as null: a broken model or input is an error, never a score
    const bad = images.findIndex((_, i) => !Number.isFinite(p.scores[i]));
    if (bad >= 0) throw new Error(`${values.weights}: the score of ${images[bad]} is not finite (${p.scores[bad]}); the weights or the inputs are broken`);
    images.forEach((image, i) => process.stdout.write(JSON.stringify({ image, score: p.scores[i], crops, depth: depths[i], engine }) + '\n'));
  } finally {
    model.dispose();
  }
  return 0;
}
