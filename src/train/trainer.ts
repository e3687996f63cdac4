// The training loop: seeded, checkpointed every epoch (atomically), resumable to the same end point.
// All randomness is a function of (seed, epoch, step), so a run resumed from the checkpoint of epoch k
// replays epochs k+1... exactly as the uninterrupted run would have.
import { existsSync, mkdirSync } from 'node:fs';
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf, backendInfo } from '../backend/index.js';
import { Dgiqa, configFrom } from '../model/index.js';
import type { DgiqaConfig } from '../model/index.js';
import { loadModel, loadPretrainedBackbones, readSafetensors, saveModel, writeSafetensors } from '../weights/index.js';
import type { RawTensor } from '../weights/index.js';
import { seedFor } from '../util/rng.js';
import { AdamW } from './adamw.js';
import { cosineLr } from './schedule.js';
import { trainStep } from './step.js';
import type { TrainConfig } from './config.js';
import { Progress } from './progress.js';
import { noteProgress } from '../util/progress.js';

/** A batch as the data pipeline makes it: NHWC float32, normalised. */
export interface HostBatch {
  rgb: Float32Array;
  depth: Float32Array | undefined;
  labels: Float32Array;
  n: number;
  size: number;
  /** DGIQA-FR: the reference crops, aligned with `rgb` */
  ref?: { rgb: Float32Array; depth: Float32Array | undefined };
}

export interface FitOptions {
  runDir: string;
  config: TrainConfig;
  /** the epoch's batches, in an order fixed by (seed, epoch) */
  batches: (epoch: number) => AsyncIterable<HostBatch>;
  /** images per epoch, for the progress bar */
  imagesPerEpoch: number;
  /** evaluation after each epoch (metrics are logged with the epoch record) */
  evaluate?: (model: Dgiqa, epoch: number) => Promise<Record<string, number>>;
  resume?: boolean;
  /** recorded in every result file: split, data, profile, ... */
  meta?: Record<string, unknown>;
  quiet?: boolean;
}

export interface RunState {
  /** epochs completed */
  epoch: number;
  /** optimizer steps taken */
  step: number;
  pretrained: boolean;
  finished: boolean;
}

export interface FitResult {
  model: Dgiqa;
  state: RunState;
  epochs: Record<string, number>[];
}

const FILES = { config: 'config.json', state: 'state.json', model: 'model.safetensors', optimizer: 'optimizer.safetensors', log: 'log.jsonl' };

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(value, null, 1) + '\n');
  await rename(tmp, path);
}

function optimizerTensors(opt: AdamW): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [kind, map] of [['m', opt.m], ['v', opt.v]] as const) {
    for (const [name, t] of map) out.set(`${kind}/${name}`, { dtype: 'F32', shape: [...t.shape], data: t.dataSync() as Float32Array });
  }
  return out;
}

function restoreOptimizer(opt: AdamW, tensors: Map<string, RawTensor>, t: number, source: string): void {
  for (const [kind, map] of [['m', opt.m], ['v', opt.v]] as const) {
    for (const [name, v] of map) {
      const saved = tensors.get(`${kind}/${name}`);
      if (!saved || saved.dtype !== 'F32' || saved.shape.join() !== v.shape.join()) throw new Error(`${source}: optimizer state for "${name}" is missing or misshapen`);
      tf.tidy(() => v.assign(tf.tensor(saved.data, saved.shape))); // tidy releases the loaded tensor
    }
  }
  opt.t = t;
}

/** Train (or resume) a model; writes config, log, checkpoints and state under `runDir`. */
export async function fit(o: FitOptions): Promise<FitResult> {
  const c = o.config;
  const dir = o.runDir;
  mkdirSync(dir, { recursive: true });
  const statePath = join(dir, FILES.state);
  const info = await backendInfo();
  const header = { config: c, meta: o.meta ?? {}, backend: info.name, gpu: info.gpu, versions: { node: process.version, tfjs: tf.version_core } };

  let state: RunState = { epoch: 0, step: 0, pretrained: c.pretrained !== '', finished: false };
  if (existsSync(statePath)) {
    if (!o.resume) throw new Error(`${dir}: a run is already there (pass --resume to continue it, or choose another output folder)`);
    const saved = JSON.parse(await readFile(join(dir, FILES.config), 'utf8')) as { config: TrainConfig };
    if (JSON.stringify(saved.config) !== JSON.stringify(c)) throw new Error(`${join(dir, FILES.config)}: the run was started with another config; resume it with the same one`);
    state = JSON.parse(await readFile(statePath, 'utf8')) as RunState;
  } else {
    await writeJsonAtomic(join(dir, FILES.config), header);
  }

  const modelConfig: DgiqaConfig = configFrom(c.model, 'train config "model"');
  let model: Dgiqa;
  if (state.epoch > 0) {
    model = (await loadModel(join(dir, FILES.model), modelConfig)).model;
  } else {
    model = new Dgiqa(modelConfig, seedFor(c.seed, 0x1417));
    if (c.pretrained) {
      const r = await loadPretrainedBackbones(model, c.pretrained);
      if (!o.quiet) process.stderr.write(`pretrained backbones: ${r.mapped} tensors each from ${c.pretrained} (${r.layout} layout; skipped ${r.skipped.length}: head, final norm, buffers)\n`);
    } else if (!o.quiet) {
      process.stderr.write('backbones: seeded random initialisation (no ImageNet weights given); results say so\n');
    }
  }
  const optimizer = new AdamW(model.store.trainableByName(), { weightDecay: c.weightDecay });
  if (state.epoch > 0) {
    const saved = await readSafetensors(join(dir, FILES.optimizer));
    restoreOptimizer(optimizer, saved.tensors, Number(saved.metadata.t), join(dir, FILES.optimizer));
    if (!o.quiet) process.stderr.write(`resumed ${dir} after epoch ${state.epoch} (step ${state.step})\n`);
  }

  const epochs: Record<string, number>[] = [];
  // named after the run: parallel trainings interleave their lines
  const runName = typeof o.meta?.label === 'string' ? o.meta.label : dir;
  const tMax = c.numEpochs / 2;
  const stepsPerEpoch = Math.max(1, Math.ceil(o.imagesPerEpoch / c.batchSize));
  // A failed run (a crash in the data, a non-finite loss) releases its tensors before it reports.
  try {
    for (let epoch = state.epoch; epoch < c.numEpochs; epoch++) {
      // annealed per step at the fractional epoch: short runs get the whole curve, and at whole
      // epochs the rate equals PyTorch's CosineAnnealingLR stepped per epoch
      let lr = cosineLr(epoch, c.lr, tMax, c.minLr);
      const progress = new Progress(`${runName}, epoch ${epoch + 1}/${c.numEpochs}`, o.imagesPerEpoch);
      let seen = 0;
      let sum = 0;
      let step = state.step;
      const t0 = performance.now();
      let inEpoch = 0;
      for await (const hb of o.batches(epoch)) {
        lr = cosineLr(epoch + Math.min(inEpoch++, stepsPerEpoch) / stepsPerEpoch, c.lr, tMax, c.minLr);
        const batch = tf.tidy(() => ({
          rgb: tf.tensor4d(hb.rgb, [hb.n, hb.size, hb.size, 3]),
          depth: hb.depth ? tf.tensor4d(hb.depth, [hb.n, hb.size, hb.size, 3]) : undefined,
          labels: tf.tensor1d(hb.labels),
          ...(hb.ref ? { ref: { rgb: tf.tensor4d(hb.ref.rgb, [hb.n, hb.size, hb.size, 3]), depth: hb.ref.depth ? tf.tensor4d(hb.ref.depth, [hb.n, hb.size, hb.size, 3]) : undefined } } : {}),
        }));
        const r = trainStep(model, optimizer, batch, { lr, lambda: c.lambda, seed: seedFor(c.seed, epoch, step) });
        const owned: tf.Tensor[] = [batch.rgb, batch.labels];
        for (const t of [batch.depth, batch.ref?.rgb, batch.ref?.depth]) if (t) owned.push(t);
        tf.dispose(owned);
        if (!Number.isFinite(r.loss)) {
          throw new Error(`${dir}: non-finite loss at epoch ${epoch + 1}, step ${step + 1}; stopped, the checkpoint of epoch ${state.epoch} is kept (lower lr?)`);
        }
        step++;
        seen += hb.n;
        sum += r.loss * hb.n;
        if (step % c.logEvery === 0) await appendFile(join(dir, FILES.log), JSON.stringify({ kind: 'step', epoch: epoch + 1, step, lr, ...r }) + '\n');
        if (!o.quiet) progress.update(seen, seen, { loss: r.loss, lr });
      }
      const seconds = (performance.now() - t0) / 1000;
      const metrics = o.evaluate ? await o.evaluate(model, epoch) : {};
      const record = { epoch: epoch + 1, step, lr, loss: sum / Math.max(seen, 1), images: seen, seconds, imagesPerSecond: seen / seconds, ...metrics };
      epochs.push(record);
      // Checkpoint: optimizer, model, then the state file that points at them (written last, atomically).
      await writeSafetensors(join(dir, FILES.optimizer), optimizerTensors(optimizer), { t: String(optimizer.t), epoch: String(epoch + 1) });
      await saveModel(model, join(dir, FILES.model), { epoch: String(epoch + 1), seed: String(c.seed), pretrained: String(state.pretrained) }, step);
      state = { ...state, epoch: epoch + 1, step, finished: epoch + 1 === c.numEpochs };
      await writeJsonAtomic(statePath, state);
      await appendFile(join(dir, FILES.log), JSON.stringify({ kind: 'epoch', ...record }) + '\n');
      noteProgress(`${runName}: epoch ${epoch + 1}/${c.numEpochs}, loss ${record.loss.toFixed(4)}, ${record.imagesPerSecond.toFixed(1)} img/s`);
    }
  } catch (err) {
    optimizer.dispose();
    model.dispose();
    throw err;
  }
  optimizer.dispose();
  return { model, state, epochs };
}

/** The epoch records of a run's log, for curves and reports. */
export async function readLog(runDir: string): Promise<Record<string, number | string>[]> {
  const text = await readFile(join(runDir, FILES.log), 'utf8');
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number | string>);
}
