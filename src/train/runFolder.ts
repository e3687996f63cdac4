// A training's run folder and its commit protocol: config.json (written once), log.jsonl (appended),
// model and optimizer checkpoints, and state.json, whose atomic rewrite is the one commit point.
// A checkpoint is written beside the current one (`.next` files), committed by state.json, then moved
// into place, so a kill at any moment leaves a folder that `RunFolder.open` brings back to the last
// committed checkpoint. The fault points let tests kill a run between any two of these writes.
import { existsSync } from 'node:fs';
import { appendFile, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import type { Dgiqa, DgiqaConfig } from '../model/index.js';
import { loadModel, readSafetensors, readSafetensorsMetadata, saveModel, writeSafetensors } from '../weights/index.js';
import type { RawTensor } from '../weights/index.js';
import { removeStaleTemporaries, syncFolder, writeFileAtomic } from '../util/atomic.js';
import { faultPoint } from '../util/faults.js';
import type { AdamW } from './adamw.js';
import type { TrainConfig } from './config.js';

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

/** What a checkpoint holds besides the state: the weights, the optimizer, the seed they came from. */
export interface CheckpointParts {
  model: Dgiqa;
  optimizer: AdamW;
  seed: number;
}

const FILES = { config: 'config.json', state: 'state.json', model: 'model.safetensors', optimizer: 'optimizer.safetensors', log: 'log.jsonl' };

/** A checkpoint file's uncommitted twin, written beside it. */
const NEXT = (file: string): string => file.replace(/\.safetensors$/, '.next.safetensors');

/** Appends to the run's log; a failure (ENOSPC) names the file (issue 20). */
async function appendLog(path: string, text: string): Promise<void> {
  try {
    await appendFile(path, text);
  } catch (err) {
    throw new Error(`${path}: cannot write: ${(err as Error).message}`, { cause: err });
  }
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 1) + '\n');
}

/** A JSON file of the run folder, or a one-line error naming it. */
async function readRunJson<T>(path: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    throw new Error(`${path}: unreadable (${(err as Error).message.split('\n')[0]}); the run folder was changed by hand, start it afresh`);
  }
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

/** True once a run has a checkpoint (a whole epoch, or a stop inside the first). */
const hasStarted = (state: RunState): boolean => state.epoch > 0 || state.partial !== undefined;

/**
 * Brings a run folder back to its last committed checkpoint after a kill at any point: finishes the
 * moves of a committed checkpoint, drops an uncommitted one and stray temporaries, checks that the
 * model and optimizer files are the ones state.json names, and cuts the log back to that step.
 */
async function recover(dir: string, state: RunState): Promise<void> {
  await removeStaleTemporaries(dir);
  const started = hasStarted(state);
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

/** One run folder, opened (and recovered) for training; `state` is its last committed checkpoint's. */
export class RunFolder {
  private constructor(readonly dir: string, public state: RunState) {}

  /**
   * Opens `dir` for a training with `config`: starts it (writing `header` as config.json), or, with
   * `resume`, checks that the run there has the same config and recovers its last checkpoint.
   */
  static async open(dir: string, config: TrainConfig, header: Record<string, unknown>, resume: boolean): Promise<RunFolder> {
    let state: RunState = { epoch: 0, step: 0, pretrained: config.pretrained !== '', finished: false };
    if (existsSync(join(dir, FILES.state))) {
      if (!resume) throw new Error(`${dir}: a run is already there (pass --resume to continue it, or choose another output folder)`);
      const saved = await readRunJson<{ config: TrainConfig }>(join(dir, FILES.config));
      if (JSON.stringify(saved.config) !== JSON.stringify(config)) throw new Error(`${join(dir, FILES.config)}: the run was started with another config; resume it with the same one`);
      state = await readRunJson<RunState>(join(dir, FILES.state));
    } else {
      await writeJsonAtomic(join(dir, FILES.config), header);
    }
    await recover(dir, state);
    return new RunFolder(dir, state);
  }

  /** True when the folder holds a checkpoint to resume from. */
  get started(): boolean {
    return hasStarted(this.state);
  }

  /** The checkpoint's model. */
  async loadModel(config: DgiqaConfig): Promise<Dgiqa> {
    return (await loadModel(join(this.dir, FILES.model), config)).model;
  }

  /** Sets `optimizer` to the checkpoint's optimizer state. */
  async restoreOptimizer(optimizer: AdamW): Promise<void> {
    const path = join(this.dir, FILES.optimizer);
    const saved = await readSafetensors(path);
    restoreOptimizer(optimizer, saved.tensors, Number(saved.metadata.t), path);
  }

  /** Appends one record to log.jsonl (a resume cuts away records after its checkpoint). */
  async appendLog(record: Record<string, unknown>): Promise<void> {
    await appendLog(join(this.dir, FILES.log), JSON.stringify(record) + '\n');
  }

  /**
   * Writes model and optimizer beside the current checkpoint and the epoch's log line, commits them
   * with state.json, then moves them into place: a kill before the commit leaves the last checkpoint
   * (recover() drops the rest), a kill after it leaves this one.
   */
  async commit(next: RunState, parts: CheckpointParts, logLine?: Record<string, unknown>): Promise<void> {
    const dir = this.dir;
    const stepMeta = { step: String(next.step), epoch: String(next.epoch) };
    await writeSafetensors(join(dir, NEXT(FILES.optimizer)), optimizerTensors(parts.optimizer), { t: String(parts.optimizer.t), ...stepMeta });
    faultPoint('checkpoint');
    await saveModel(parts.model, join(dir, NEXT(FILES.model)), { ...stepMeta, seed: String(parts.seed), pretrained: String(next.pretrained) }, next.step);
    faultPoint('checkpoint');
    if (logLine) await this.appendLog(logLine);
    faultPoint('log');
    await writeJsonAtomic(join(dir, FILES.state), next); // the commit point
    faultPoint('checkpoint');
    await rename(join(dir, NEXT(FILES.optimizer)), join(dir, FILES.optimizer));
    await rename(join(dir, NEXT(FILES.model)), join(dir, FILES.model));
    await syncFolder(dir);
    this.state = next;
  }
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
