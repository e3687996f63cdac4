// The training loop: seeded, checkpointed every epoch (atomically), resumable to the same end point
// after a kill at any moment, stoppable with Ctrl-C, one run per folder.
// All randomness is a function of (seed, epoch, step), so a run resumed from the checkpoint of epoch k
// replays epochs k+1... exactly as the uninterrupted run would have.
import { existsSync, mkdirSync } from 'node:fs';
import { appendFile, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { tf, backendInfo, trainingMemoryProblem } from '../backend/index.js';
import { Dgiqa, configFrom, modelCost } from '../model/index.js';
import type { DgiqaConfig } from '../model/index.js';
import { loadModel, loadPretrainedBackbones, readSafetensors, readSafetensorsMetadata, saveModel, writeSafetensors } from '../weights/index.js';
import type { RawTensor } from '../weights/index.js';
import { seedFor } from '../util/rng.js';
import { AdamW } from './adamw.js';
import { cosineLr } from './schedule.js';
import { chooseTrainEngine, createStepEngine } from './engine.js';
import type { StepEngine } from './engine.js';
import type { TrainConfig } from './config.js';
import { Progress } from './progress.js';
import { noteProgress } from '../util/progress.js';
import { removeStaleTemporaries, syncFolder, writeFileAtomic } from '../util/atomic.js';
import { faultPoint } from '../util/faults.js';
import { lockFolder } from '../util/lock.js';
import { StoppedError, handleInterrupts, stopRequested } from './stop.js';

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
  /** optimizer steps taken (the checkpoint files carry it too: how a resume knows they belong together) */
  step: number;
  pretrained: boolean;
  finished: boolean;
  /** set when a run was stopped inside an epoch (SIGINT): how far into epoch `epoch + 1` it got */
  partial?: { batches: number; seen: number; sum: number; seconds: number };
}

export interface FitResult {
  model: Dgiqa;
  state: RunState;
  epochs: Record<string, number>[];
}

const FILES = { config: 'config.json', state: 'state.json', model: 'model.safetensors', optimizer: 'optimizer.safetensors', log: 'log.jsonl' };

/** Appends to the run's log; a failure (ENOSPC) names the file (issue 20). */
async function appendLog(path: string, text: string): Promise<void> {
  try {
    await appendFile(path, text);
  } catch (err) {
    throw new Error(`${path}: cannot write: ${(err as Error).message}`, { cause: err });
  }
}

/** A checkpoint is written beside the current one, committed by state.json, then moved into place. */
const NEXT = (file: string): string => file.replace(/\.safetensors$/, '.next.safetensors');

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
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
  if (!Number.isInteger(t) || t < 0) throw new Error(`${source}: optimizer step count "${t}" is not a count`);
  opt.t = t;
}

/**
 * The `step` a checkpoint file was written at (its metadata), or undefined when unreadable. Files of
 * kit versions before the step was recorded count as `state`'s when their epoch is its epoch.
 */
async function checkpointStep(path: string, state: RunState): Promise<number | undefined> {
  try {
    const meta = await readSafetensorsMetadata(path);
    if (meta.step !== undefined) return Number(meta.step);
    return meta.epoch === String(state.epoch) && !state.partial ? state.step : undefined;
  } catch {
    return undefined; // a torn or foreign file: never the committed checkpoint
  }
}

/** A JSON file of the run folder, or a one-line error naming it. */
async function readRunJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    throw new Error(`${path}: unreadable (${(err as Error).message.split('\n')[0]}); the run folder was changed by hand, start it afresh`);
  }
}

/**
 * Brings a run folder back to its last committed checkpoint after a kill at any point: finishes the
 * moves of a committed checkpoint, drops an uncommitted one and stray temporaries, checks that the
 * model and optimizer files are the ones state.json names, and cuts the log back to that step.
 */
async function recover(dir: string, state: RunState): Promise<void> {
  await removeStaleTemporaries(dir);
  const started = state.epoch > 0 || state.partial !== undefined;
  for (const file of [FILES.model, FILES.optimizer]) {
    const next = join(dir, NEXT(file));
    if (!existsSync(next)) continue;
    if (started && (await checkpointStep(next, state)) === state.step) await rename(next, join(dir, file));
    else await unlink(next);
  }
  for (const file of started ? [FILES.model, FILES.optimizer] : []) {
    const got = await checkpointStep(join(dir, file), state);
    if (got !== state.step) throw new Error(`${join(dir, file)}: is from step ${got ?? '(unreadable)'}, but ${FILES.state} names step ${state.step}; the run folder was changed by hand, start it afresh`);
  }
  const logPath = join(dir, FILES.log);
  if (!existsSync(logPath)) return;
  const lines = (await readFile(logPath, 'utf8')).split('\n');
  const kept = lines.filter((line) => {
    try {
      const r = JSON.parse(line) as { kind?: string; step?: number; epoch?: number };
      return r.kind === 'step' ? (r.step ?? Infinity) <= state.step : r.kind === 'epoch' ? (r.epoch ?? Infinity) <= state.epoch : false;
    } catch {
      return false; // a line torn by the kill
    }
  });
  if (kept.length !== lines.filter(Boolean).length) await writeFileAtomic(logPath, kept.map((l) => l + '\n').join(''));
}

/** Train (or resume) a model; writes config, log, checkpoints and state under `runDir`. */
export async function fit(o: FitOptions): Promise<FitResult> {
  const c = o.config;
  const dir = o.runDir;
  mkdirSync(dir, { recursive: true });
  const release = await lockFolder(dir);
  try {
    return await fitLocked(o, c, dir);
  } finally {
    await release();
  }
}

async function fitLocked(o: FitOptions, c: TrainConfig, dir: string): Promise<FitResult> {
  handleInterrupts();
  const statePath = join(dir, FILES.state);
  const info = await backendInfo();
  const header = { config: c, meta: o.meta ?? {}, backend: info.name, gpu: info.gpu, versions: { node: process.version, tfjs: tf.version_core } };

  let state: RunState = { epoch: 0, step: 0, pretrained: c.pretrained !== '', finished: false };
  if (existsSync(statePath)) {
    if (!o.resume) throw new Error(`${dir}: a run is already there (pass --resume to continue it, or choose another output folder)`);
    const saved = await readRunJson<{ config: TrainConfig }>(join(dir, FILES.config));
    if (JSON.stringify(saved.config) !== JSON.stringify(c)) throw new Error(`${join(dir, FILES.config)}: the run was started with another config; resume it with the same one`);
    state = await readRunJson<RunState>(statePath);
  } else {
    await writeJsonAtomic(join(dir, FILES.config), header);
  }
  await recover(dir, state);
  const started = state.epoch > 0 || state.partial !== undefined;

  const modelConfig: DgiqaConfig = configFrom(c.model, 'train config "model"');
  const tooBig = trainingMemoryProblem(info.name, modelCost(modelConfig, 1).params, 'this model');
  if (tooBig) throw new Error(`${dir}: ${tooBig}`);
  let model: Dgiqa;
  if (started) {
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
  let engine: StepEngine;
  try {
    if (started) {
      const saved = await readSafetensors(join(dir, FILES.optimizer));
      restoreOptimizer(optimizer, saved.tensors, Number(saved.metadata.t), join(dir, FILES.optimizer));
      if (!o.quiet) process.stderr.write(`resumed ${dir} after ${state.partial ? `step ${state.step} (inside epoch ${state.epoch + 1})` : `epoch ${state.epoch} (step ${state.step})`}\n`);
    }
    // after the resume: the engine starts from the model's and optimizer's state
    const choice = chooseTrainEngine(model);
    engine = await createStepEngine(choice.name, model, optimizer);
    if (!o.quiet) process.stderr.write(`training step: ${engine.name === 'onnx' ? `ONNX Runtime, ${engine.threads} threads` : `TensorFlow.js (${info.name})`} (${choice.why})\n`);
  } catch (err) {
    optimizer.dispose();
    model.dispose();
    throw err;
  }

  /**
   * Writes model and optimizer beside the current checkpoint and the epoch's log line, commits them
   * with state.json, then moves them into place: a kill before the commit leaves the last checkpoint
   * (recover() drops the rest), a kill after it leaves this one.
   */
  const checkpoint = async (next: RunState, logLine?: Record<string, unknown>): Promise<void> => {
    engine.sync();
    const stepMeta = { step: String(next.step), epoch: String(next.epoch) };
    await writeSafetensors(join(dir, NEXT(FILES.optimizer)), optimizerTensors(optimizer), { t: String(optimizer.t), ...stepMeta });
    faultPoint('checkpoint');
    await saveModel(model, join(dir, NEXT(FILES.model)), { ...stepMeta, seed: String(c.seed), pretrained: String(next.pretrained) }, next.step);
    faultPoint('checkpoint');
    if (logLine) await appendLog(join(dir, FILES.log), JSON.stringify(logLine) + '\n');
    faultPoint('log');
    await writeJsonAtomic(statePath, next); // the commit point
    faultPoint('checkpoint');
    await rename(join(dir, NEXT(FILES.optimizer)), join(dir, FILES.optimizer));
    await rename(join(dir, NEXT(FILES.model)), join(dir, FILES.model));
    await syncFolder(dir);
    state = next;
  };

  const epochs: Record<string, number>[] = [];
  // named after the run: parallel trainings interleave their lines
  const runName = typeof o.meta?.label === 'string' ? o.meta.label : dir;
  const tMax = c.numEpochs * c.tMaxFraction;
  const stepsPerEpoch = Math.max(1, Math.ceil(o.imagesPerEpoch / c.batchSize));
  // A failed run (a crash in the data, a non-finite loss) releases its tensors before it reports.
  try {
    for (let epoch = state.epoch; epoch < c.numEpochs; epoch++) {
      // annealed per step at the fractional epoch: short runs get the whole curve, and at whole
      // epochs the rate equals PyTorch's CosineAnnealingLR stepped per epoch
      let lr = cosineLr(epoch, c.lr, tMax, c.minLr);
      const progress = new Progress(`${runName}, epoch ${epoch + 1}/${c.numEpochs}`, o.imagesPerEpoch);
      // a run stopped inside this epoch goes on from where it stopped, with its sums so far
      const partial = state.partial ?? { batches: 0, seen: 0, sum: 0, seconds: 0 };
      let { seen, sum } = partial;
      let step = state.step;
      const t0 = performance.now() - partial.seconds * 1000;
      let inEpoch = 0;
      for await (const hb of o.batches(epoch)) {
        lr = cosineLr(epoch + Math.min(inEpoch++, stepsPerEpoch) / stepsPerEpoch, c.lr, tMax, c.minLr);
        // batches already trained on before a stop are drawn (the order and crops stay the same) and passed over
        if (inEpoch <= partial.batches) continue;
        const batch = tf.tidy(() => ({
          rgb: tf.tensor4d(hb.rgb, [hb.n, hb.size, hb.size, 3]),
          depth: hb.depth ? tf.tensor4d(hb.depth, [hb.n, hb.size, hb.size, 3]) : undefined,
          labels: tf.tensor1d(hb.labels),
          ...(hb.ref ? { ref: { rgb: tf.tensor4d(hb.ref.rgb, [hb.n, hb.size, hb.size, 3]), depth: hb.ref.depth ? tf.tensor4d(hb.ref.depth, [hb.n, hb.size, hb.size, 3]) : undefined } } : {}),
        }));
        const r = await engine.step(batch, { lr, lambda: c.lambda, seed: seedFor(c.seed, epoch, step) });
        const owned: tf.Tensor[] = [batch.rgb, batch.labels];
        for (const t of [batch.depth, batch.ref?.rgb, batch.ref?.depth]) if (t) owned.push(t);
        tf.dispose(owned);
        faultPoint('step');
        if (!Number.isFinite(r.loss) || !r.gradsFinite) {
          const what = Number.isFinite(r.loss) ? 'non-finite gradient' : 'non-finite loss';
          throw new Error(`${dir}: ${what} at epoch ${epoch + 1}, step ${step + 1}; stopped without applying it, the checkpoint of epoch ${state.epoch} (step ${state.step}) is kept (resume with --resume; lower lr? bad labels?)`);
        }
        step++;
        seen += hb.n;
        sum += r.loss * hb.n;
        if (step % c.logEvery === 0) await appendLog(join(dir, FILES.log), JSON.stringify({ kind: 'step', epoch: epoch + 1, step, lr, loss: r.loss, mse: r.mse, consistency: r.consistency }) + '\n');
        if (!o.quiet) progress.update(seen, seen, { loss: r.loss, lr });
        if (stopRequested()) {
          const at = { batches: inEpoch, seen, sum, seconds: (performance.now() - t0) / 1000 };
          await checkpoint({ ...state, step, partial: at });
          throw new StoppedError(`${dir}: stopped on request at epoch ${epoch + 1}, step ${step}; saved, continue with --resume`);
        }
      }
      const seconds = (performance.now() - t0) / 1000;
      faultPoint('evaluate');
      engine.sync();
      const metrics = o.evaluate ? await o.evaluate(model, epoch) : {};
      const record = { epoch: epoch + 1, step, lr, loss: sum / Math.max(seen, 1), images: seen, seconds, imagesPerSecond: seen / seconds, ...metrics };
      epochs.push(record);
      await checkpoint({ epoch: epoch + 1, step, pretrained: state.pretrained, finished: epoch + 1 === c.numEpochs }, { kind: 'epoch', engine: engine.name, ...(engine.threads === null ? {} : { threads: engine.threads }), ...record });
      noteProgress(`${runName}: epoch ${epoch + 1}/${c.numEpochs}, loss ${record.loss.toFixed(4)}, ${record.imagesPerSecond.toFixed(1)} img/s`);
      if (stopRequested() && epoch + 1 < c.numEpochs) throw new StoppedError(`${dir}: stopped on request after epoch ${epoch + 1}; saved, continue with --resume`);
    }
  } catch (err) {
    await engine.dispose();
    optimizer.dispose();
    model.dispose();
    throw err;
  }
  await engine.dispose();
  optimizer.dispose();
  return { model, state, epochs };
}

/** The epoch records of a run's log, for curves and reports. */
export async function readLog(runDir: string): Promise<Record<string, number | string>[]> {
  const text = await readFile(join(runDir, FILES.log), 'utf8');
  const lines = text.split('\n').filter(Boolean);
  return lines.flatMap((l, i) => {
    try {
      return [JSON.parse(l) as Record<string, number | string>];
    } catch (err) {
      // only the last line can be torn (a run killed while appending; its resume cuts it away)
      if (i === lines.length - 1) return [];
      throw new Error(`${join(runDir, FILES.log)}: line ${i + 1} is not JSON (${(err as Error).message.split('\n')[0]})`);
    }
  });
}
