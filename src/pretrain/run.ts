// The pretraining loop: render the scenes, train the backbone and its depth head with AdamW, score the
// held-out scenes after each epoch, checkpoint each epoch, and write the backbone in timm's layout.
//
//   const result = await pretrain({ config: resolvePretrainConfig({ numEpochs: 2 }), runDir: 'runs/pretrain',
//                                   out: 'data/pretrained/demo-swin-depth.safetensors', resume: false });
//
// Guarantees: everything random comes from (seed, epoch, step), so a run is the same on every start;
// a checkpoint is committed by the atomic write of state.json, after the files it names are complete,
// so a run killed at any point resumes (`resume: true`) from its last whole epoch and ends with the
// same bytes as an uninterrupted run (no wall time goes into the weights file, for that reason).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile, readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tf } from '../backend/index.js';
import { configFrom } from '../model/index.js';
import type { DgiqaConfig } from '../model/index.js';
import { AdamW, cosineLr } from '../train/index.js';
import { removeStaleTemporaries, writeFileAtomic } from '../util/atomic.js';
import { lockFolder } from '../util/lock.js';
import { seedFor } from '../util/rng.js';
import { encodeSafetensors, readSafetensors, writeSafetensors } from '../weights/index.js';
import type { RawTensor } from '../weights/index.js';
import { heldOutCount } from './config.js';
import type { PretrainConfig } from './config.js';
import { BACKBONE_PREFIX, DepthPretrainModel, cellPrior, evaluateDepth, evaluatePrior, pretrainStep } from './depthTask.js';
import type { HeldOutScore } from './depthTask.js';
import { backboneToTimm } from './export.js';
import { drawDistortion, distortScene } from './appearance.js';
import { centreCrops, channelScale, epochCrops, makeBatch, renderPretrainScenes, targetChannels } from './scenes.js';
import type { BatchTask, ChannelScale, Crop, PretrainBatch, PretrainScene } from './scenes.js';

export interface PretrainOptions {
  config: PretrainConfig;
  /** run folder: state.json and the last epoch's model and optimizer (default of the CLI: runs/pretrain) */
  runDir: string;
  /** the backbone in timm's layout, written when the last epoch is done */
  out: string;
  /** continue the checkpoint in runDir; without it a runDir holding one is refused */
  resume: boolean;
  /** the architecture, when not the preset config.model names (tests: drop path off) */
  modelConfig?: DgiqaConfig;
  /** end this call after that many epochs in all, as a kill would (tests of resume); no file is written to out */
  stopAfter?: number;
  onLog?: (line: string) => void;
  onEpoch?: (record: EpochRecord) => void;
}

export interface EpochRecord {
  /** 1-based */
  epoch: number;
  /** optimizer steps in all, after this epoch */
  step: number;
  /** mean training loss over the epoch's steps */
  trainLoss: number;
  heldOutLoss: number;
  /** mean per-image Pearson correlation of predicted and true cell depths on the held-out scenes */
  heldOutPearson: number;
  /** the same per target channel (depth, then the appearance statistics of input and clean crop) */
  heldOutChannels: number[];
  /** learning rate of the epoch's last step */
  lr: number;
  seconds: number;
}

export interface PretrainResult {
  history: EpochRecord[];
  /** held-out score of an image-blind prediction (each cell's mean target over the training crops): the bar to clear */
  prior: HeldOutScore;
  /** undefined when stopAfter ended the call before the last epoch */
  out: { path: string; bytes: number; sha256: string } | undefined;
}

/** What state.json holds: the commit point of a checkpoint. */
interface RunState {
  version: 1;
  config: PretrainConfig;
  modelConfig: DgiqaConfig;
  /** epochs done */
  epoch: number;
  step: number;
  history: EpochRecord[];
}

const STATE = 'state.json';
const modelFile = (epoch: number): string => `model.e${epoch}.safetensors`;
const optimizerFile = (epoch: number): string => `optimizer.e${epoch}.safetensors`;
const CHECKPOINT_FILE = /^(model|optimizer)\.e(\d+)\.safetensors$/;

/** Learning rate at global step `step` of `total`: linear warm-up from lr / 10, then cosine to minLr. */
export function pretrainLr(c: PretrainConfig, step: number, total: number): number {
  if (step < c.warmupSteps) return c.lr * (0.1 + (0.9 * step) / c.warmupSteps);
  return cosineLr(step - c.warmupSteps, c.lr, Math.max(1, total - 1 - c.warmupSteps), c.minLr);
}

function storeTensors(model: DepthPretrainModel): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [name, v] of model.store.vars) out.set(name, { dtype: 'F32', shape: [...v.shape], data: v.dataSync() as Float32Array });
  return out;
}

function optimizerTensors(opt: AdamW): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [kind, map] of [['m', opt.m], ['v', opt.v]] as const) {
    for (const [name, t] of map) out.set(`${kind}/${name}`, { dtype: 'F32', shape: [...t.shape], data: t.dataSync() as Float32Array });
  }
  return out;
}

/** Assigns saved tensors to variables by name; any missing or misshapen one fails, naming the file. */
function assignAll(vars: Map<string, tf.Variable>, saved: Map<string, RawTensor>, key: (name: string) => string, source: string): void {
  for (const [name, v] of vars) {
    const t = saved.get(key(name));
    if (!t || t.dtype !== 'F32' || t.shape.join() !== v.shape.join()) throw new Error(`${source}: "${key(name)}" is missing or misshapen; the run folder was changed by hand, start it afresh`);
    tf.tidy(() => v.assign(tf.tensor(t.data as Float32Array, t.shape)));
  }
}

async function readState(dir: string): Promise<RunState | undefined> {
  const path = join(dir, STATE);
  if (!existsSync(path)) return undefined;
  try {
    const s = JSON.parse(await readFile(path, 'utf8')) as RunState;
    if (s.version !== 1 || !Number.isInteger(s.epoch) || !Array.isArray(s.history)) throw new Error('not a pretraining state');
    return s;
  } catch (err) {
    throw new Error(`${path}: unreadable (${(err as Error).message.split('\n')[0]}); start the run afresh in another --run-dir`);
  }
}

/** Deletes checkpoint files other than epoch `keep`'s (an uncommitted epoch's, or superseded ones). */
async function pruneCheckpoints(dir: string, keep: number): Promise<void> {
  for (const name of await readdir(dir)) {
    const m = CHECKPOINT_FILE.exec(name);
    if (m && Number(m[2]) !== keep) await unlink(join(dir, name)).catch(() => undefined);
  }
}

function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** What each pretext is, for the weights file's metadata. */
const TASK_TEXT: Record<PretrainConfig['task'], string> = {
  depth: 'self-supervised depth pretext: per stage-3 cell the mean of log depth, standardised per crop, predicted from the clean RGB crop (LayerNorm + Linear head on stages 3 and 4, discarded); loss MSE',
  appearance: 'self-supervised depth and appearance pretext: the crop is shown clean (1 in 8) or with one distortion of the synthetic table (any type, strength uniform between its mildest and strongest values); per stage-3 cell the head predicts the standardised log depth and five statistics (fine and mid band energy, mean luma, log luma spread, chroma) of the input and of the clean crop (LayerNorm + Linear head on stages 3 and 4, discarded); loss MSE; no quality label and no distortion level is a target',
  change: 'self-supervised depth, appearance and change pretext: as the appearance task (the crop clean, 1 in 8, or with one distortion of the synthetic table at a strength uniform between its mildest and strongest values; per stage-3 cell the standardised log depth and five statistics of the input and of the clean crop), plus, per cell, each statistic of the input minus that of the clean crop, standardised on its own (LayerNorm + Linear head on stages 3 and 4, discarded); loss MSE; no quality label and no distortion level is a target',
  structure: 'self-supervised depth, appearance, change and structure pretext: as the change task, with two more statistics per cell in each of the input, clean and change sets: the share of pixels whose right and lower neighbours hold the same bytes (to one level), and the anisotropy of the luma gradient energies (length of log horizontal/vertical and log diagonal/antidiagonal ratios) (LayerNorm + Linear head on stages 3 and 4, discarded); loss MSE; no quality label and no distortion level is a target',
};

/** Which target sets a task adds to the appearance statistics: the changes (change, structure) and the structure statistics (structure). */
function targetsOf(task: PretrainConfig['task']): { changes: boolean; structure: boolean } {
  return { changes: task === 'change' || task === 'structure', structure: task === 'structure' };
}

/** The batch of `crops`; for the appearance task each crop's scene is shown distorted as draw `stream` (an epoch, or 'held-out') says. */
async function batchFor(scenes: readonly PretrainScene[], crops: readonly Crop[], c: PretrainConfig, cropSize: number, grid: number, stream: number | string, scale?: ChannelScale): Promise<PretrainBatch> {
  if (c.task === 'depth') return makeBatch(scenes, crops, cropSize, grid);
  const inputs = await Promise.all(crops.map((crop) => {
    const s = scenes[crop.scene] as PretrainScene;
    return distortScene(s, drawDistortion(c.seed, stream, crop.scene), stream);
  }));
  const { changes, structure } = targetsOf(c.task);
  const task: BatchTask = scale ? { appearance: true, changes, structure, inputs, scale } : { appearance: true, changes, structure, inputs };
  return makeBatch(scenes, crops, cropSize, grid, task);
}

/** Crops whose raw statistics set the appearance channels' scale and the image-blind prior (the depth task: all of epoch 1's). */
const SCALE_CROPS = 256;

/** The metadata of the weights file: what made it, none of it time- or machine-dependent but the backend. */
function fileMetadata(c: PretrainConfig, m: DgiqaConfig, history: EpochRecord[], prior: HeldOutScore, train: number, heldOut: number, scale?: ChannelScale): Record<string, string> {
  const swin = { imgSize: m.imgSize, patchSize: m.patchSize, embedDim: m.embedDim, depths: m.depths, numHeads: m.numHeads, windowSize: m.windowSize, mlpRatio: m.mlpRatio, dropPathRate: m.dropPathRate };
  return {
    format: 'timm Swin Transformer state dict, backbone only (patch_embed.*, layers.<i>.*), PyTorch layouts, float32',
    task: TASK_TEXT[c.task],
    model_preset: c.model,
    model_config: JSON.stringify(swin),
    pretrain_config: JSON.stringify(c),
    scenes: JSON.stringify({
      count: c.scenes, train, heldOut, renderSize: c.renderSize, families: 'A and B alternating (scene i: family A when i is even, index floor(i/2))',
      seeds: `deriveSeed(${c.seed}, 'pretrain', family, index)`, benchmark: "disjoint from the benchmark's deriveSeed(2505, family, 'scene', index)",
      heldOutScenes: 'the last ones', crops: `random ${m.imgSize} px windows and horizontal flips per epoch from deriveSeed(seed, 'pretrain-crops', epoch); held out: centre crops`,
    }),
    epochs: String(c.numEpochs),
    history: JSON.stringify(history.map(({ epoch, step, trainLoss, heldOutLoss, heldOutPearson, heldOutChannels }) => (c.task === 'depth' ? { epoch, step, trainLoss, heldOutLoss, heldOutPearson } : { epoch, step, trainLoss, heldOutLoss, heldOutPearson, heldOutChannels }))),
    ...(scale ? { appearance_scale: JSON.stringify(scale) } : {}),
    held_out_prior: JSON.stringify({ ...prior, what: "each cell's mean target over epoch 1's training crops, the same for every image" }),
    backend: tf.getBackend(),
  };
}

export async function pretrain(o: PretrainOptions): Promise<PretrainResult> {
  mkdirSync(o.runDir, { recursive: true });
  const release = await lockFolder(o.runDir);
  try {
    return await pretrainLocked(o);
  } finally {
    await release();
  }
}

async function pretrainLocked(o: PretrainOptions): Promise<PretrainResult> {
  const c = o.config;
  const log = o.onLog ?? ((): void => undefined);
  const dir = o.runDir;
  const mc = o.modelConfig ?? configFrom(c.model);
  if (c.renderSize < mc.imgSize) throw new Error(`pretrain: renderSize ${c.renderSize} is smaller than the model's ${mc.imgSize} px crops`);
  await removeStaleTemporaries(dir);
  const saved = await readState(dir);
  if (saved && !o.resume) throw new Error(`${join(dir, STATE)}: the run folder holds a pretraining checkpoint (epoch ${saved.epoch}); pass --resume to continue it, or choose another --run-dir`);
  if (saved && (JSON.stringify(saved.config) !== JSON.stringify(c) || JSON.stringify(saved.modelConfig) !== JSON.stringify(mc))) {
    throw new Error(`${join(dir, STATE)}: the checkpoint was made with other settings (${JSON.stringify(saved.config)}); resume with those, or choose another --run-dir`);
  }
  if (!saved && o.resume) log(`pretrain: no checkpoint in ${dir}: starting afresh`);
  let state: RunState = saved ?? { version: 1, config: c, modelConfig: mc, epoch: 0, step: 0, history: [] };
  await pruneCheckpoints(dir, state.epoch);

  const t0 = Date.now();
  const scenes: PretrainScene[] = renderPretrainScenes(c.seed, c.scenes, c.renderSize, (done) => {
    if (done === c.scenes || done % 50 === 0) log(`pretrain: rendered ${done}/${c.scenes} scenes at ${c.renderSize} px (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  });
  const heldOut = heldOutCount(c);
  const trainIds = Array.from({ length: c.scenes - heldOut }, (_, i) => i);
  const heldOutIds = Array.from({ length: heldOut }, (_, i) => c.scenes - heldOut + i);
  const model = new DepthPretrainModel(mc, c.seed, targetChannels(c.task !== 'depth', targetsOf(c.task).changes, targetsOf(c.task).structure));
  const optimizer = new AdamW(model.store.trainableByName(), { weightDecay: c.weightDecay });
  try {
    if (state.epoch > 0) {
      const m = await readSafetensors(join(dir, modelFile(state.epoch)));
      assignAll(model.store.vars, m.tensors, (n) => n, join(dir, modelFile(state.epoch)));
      const opt = await readSafetensors(join(dir, optimizerFile(state.epoch)));
      for (const kind of ['m', 'v'] as const) assignAll(kind === 'm' ? optimizer.m : optimizer.v, opt.tensors, (n) => `${kind}/${n}`, join(dir, optimizerFile(state.epoch)));
      optimizer.t = Number(opt.metadata.t);
      if (optimizer.t !== state.step) throw new Error(`${join(dir, optimizerFile(state.epoch))}: is from step ${opt.metadata.t}, state.json names step ${state.step}; start the run afresh`);
      log(`pretrain: resumed ${dir} after epoch ${state.epoch} (step ${state.step})`);
    }
    const grid = model.grid;
    const firstCrops = epochCrops(trainIds, c.renderSize, mc.imgSize, c.seed, 0);
    let scale: ChannelScale | undefined;
    if (c.task !== 'depth') {
      const raw = await Promise.all(batchesOf(firstCrops.slice(0, SCALE_CROPS), c.batchSize).map((b) => batchFor(scenes, b, c, mc.imgSize, grid, 0)));
      scale = channelScale(raw);
    }
    const priorCrops = c.task === 'depth' ? firstCrops : firstCrops.slice(0, SCALE_CROPS);
    const heldOutBatches: PretrainBatch[] = await Promise.all(batchesOf(centreCrops(heldOutIds, c.renderSize, mc.imgSize), c.batchSize).map((b) => batchFor(scenes, b, c, mc.imgSize, grid, 'held-out', scale)));
    const layout = cellPrior(await Promise.all(batchesOf(priorCrops, c.batchSize).map((b) => batchFor(scenes, b, c, mc.imgSize, grid, 0, scale))));
    const prior = evaluatePrior(layout, heldOutBatches);
    // the head starts from the image-blind answer (its cell bias at lr 1e-3 would take hundreds of steps to get there)
    if (state.epoch === 0) tf.tidy(() => model.head.cellBias.assign(tf.tensor1d(layout)));
    log(`pretrain: ${trainIds.length} training scenes, ${heldOutIds.length} held out; image-blind baseline (mean target per cell) on them: loss ${prior.loss.toFixed(4)}, correlation ${prior.pearson.toFixed(4)}`);
    const stepsPerEpoch = Math.ceil(trainIds.length / c.batchSize);
    const total = stepsPerEpoch * c.numEpochs;
    const last = Math.min(c.numEpochs, o.stopAfter ?? c.numEpochs);
    for (let epoch = state.epoch; epoch < last; epoch++) {
      const te = Date.now();
      let lossSum = 0;
      let lr = c.lr;
      let step = state.step;
      for (const crops of batchesOf(epochCrops(trainIds, c.renderSize, mc.imgSize, c.seed, epoch), c.batchSize)) {
        lr = pretrainLr(c, step, total);
        const r = await pretrainStep(model, optimizer, await batchFor(scenes, crops, c, mc.imgSize, grid, epoch, scale), { lr, seed: seedFor(c.seed, epoch, step) });
        if (!r.applied) log(`pretrain: step ${step + 1}: loss or gradient not finite, update skipped`);
        lossSum += r.loss;
        step++;
      }
      const score = evaluateDepth(model, heldOutBatches);
      const record: EpochRecord = {
        epoch: epoch + 1, step, trainLoss: lossSum / stepsPerEpoch, heldOutLoss: score.loss, heldOutPearson: score.pearson, heldOutChannels: score.channels, lr, seconds: (Date.now() - te) / 1000,
      };
      // commit: both files complete first, then state.json names them (one atomic rename), then prune
      await writeSafetensors(join(dir, modelFile(epoch + 1)), storeTensors(model), { epoch: String(epoch + 1), step: String(step) });
      await writeSafetensors(join(dir, optimizerFile(epoch + 1)), optimizerTensors(optimizer), { t: String(optimizer.t), step: String(step) });
      state = { ...state, epoch: epoch + 1, step, history: [...state.history, record] };
      await writeFileAtomic(join(dir, STATE), JSON.stringify(state, null, 1) + '\n');
      await pruneCheckpoints(dir, state.epoch);
      o.onEpoch?.(record);
    }
    if (state.epoch < c.numEpochs) return { history: state.history, prior, out: undefined };
    const bytes = encodeSafetensors(backboneToTimm(model.store, BACKBONE_PREFIX), fileMetadata(c, mc, state.history, prior, trainIds.length, heldOut, scale));
    mkdirSync(dirname(o.out), { recursive: true });
    await writeFileAtomic(o.out, bytes);
    return { history: state.history, prior, out: { path: o.out, bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') } };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
