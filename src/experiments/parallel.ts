// Independent trainings (protocol splits, ablation variants, lambdas, DGIQA-FR datasets) run at the same time, each in
// a worker thread with its own TensorFlow.js. The wasm backend computes on one core, so a 2-core
// machine trains two models in about the time of one. Each training is seeded and self-contained:
// its result is the same as when run alone (tested).
import { Worker } from 'node:worker_threads';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { setting } from '../settings/index.js';
import { tf } from '../backend/tf.js';
import { onDeviceBackend } from '../backend/select.js';
import { readResult } from './results.js';
import { trainAndTest, type RunResult, type RunSpec } from './run.js';
import type { ProfileName } from './profiles.js';
import { StoppedError, handleInterrupts, onStop, trainsOnOnnx } from '../train/index.js';

/** Memory per training, with room to spare: the demo course peaked at 5.0 GB for a kernel and two. */
const MEMORY_PER_TRAINING = 3 * 2 ** 30;

const WORKER_URL = new URL('./trainWorker.js', import.meta.url);

/**
 * How many trainings run at once: DGIQA_TRAIN_PARALLEL, else one when a training's steps run on ONNX
 * Runtime (every core in one training, on the main thread), one on the GPU (a single device
 * serialises the work anyway), and otherwise one per core as memory allows.
 */
export function trainingParallelism(): number {
  const forced = setting('DGIQA_TRAIN_PARALLEL');
  if (forced !== undefined) return forced;
  if (onDeviceBackend() || trainsOnOnnx()) return 1;
  return Math.max(1, Math.min(availableParallelism(), Math.floor(totalmem() / MEMORY_PER_TRAINING)));
}

/** What a worker thread can run: a train-and-test unit, or one DGIQA-FR dataset (fullReference.ts). */
export type WorkerTask = { kind: 'run'; spec: RunSpec } | { kind: 'fr'; profile: ProfileName; dataset: string; split?: number };

/** A task, its name for messages, and how to run it on this thread when there is nothing to share. */
export interface Job<R> {
  task: WorkerTask;
  label: string;
  local: () => Promise<R>;
}

/** `trainAndTest` for every spec, `parallel` at a time; results in the specs' order. */
export async function trainAndTestAll(specs: RunSpec[], parallel = trainingParallelism()): Promise<RunResult[]> {
  const results: (RunResult | undefined)[] = new Array(specs.length);
  const pending: number[] = [];
  for (const [i, spec] of specs.entries()) {
    const saved = await readResult<RunResult>(join(spec.dir, 'result.json'));
    if (saved) results[i] = saved;
    else pending.push(i);
  }
  const done = await runJobs(pending.map((i): Job<RunResult> => ({ task: { kind: 'run', spec: specs[i]! }, label: specs[i]!.label, local: () => trainAndTest(specs[i]!) })), parallel);
  pending.forEach((i, k) => (results[i] = done[k]));
  return results as RunResult[];
}

/** Runs jobs `parallel` at a time in worker threads (on this thread when one at a time); results in order. */
export async function runJobs<R>(jobs: Job<R>[], parallel = trainingParallelism()): Promise<R[]> {
  const results: R[] = new Array(jobs.length);
  if (parallel <= 1 || jobs.length <= 1) {
    for (const [i, job] of jobs.entries()) results[i] = await job.local();
    return results;
  }
  // Lanes take the next job until none is left; after a failure they start no new one, the
  // trainings already running finish (their checkpoints stay for a rerun), then the error is thrown.
  let next = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < jobs.length) {
      const i = next++;
      try {
        results[i] = await inWorker<R>(jobs[i]!);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, lane));
  if (failure !== undefined) throw failure;
  return results;
}

/** One task in a worker thread, on the backend this thread uses. */
function inWorker<R>(job: Job<R>): Promise<R> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: { task: job.task, backend: tf.getBackend() } });
    // Ctrl-C reaches the main thread only: pass the stop request on, so the worker saves and returns
    handleInterrupts();
    const forget = onStop(() => worker.postMessage('stop'));
    worker.on('exit', forget);
    let settled = false;
    worker.on('message', (m: { ok: true; result: R } | { ok: false; error: string; stopped: boolean }) => {
      settled = true;
      if (m.ok) resolve(m.result);
      else reject(m.stopped ? new StoppedError(m.error) : new Error(m.error));
      void worker.terminate();
    });
    worker.on('error', (err) => {
      settled = true;
      reject(new Error(`${job.label}: training worker failed (${err.message})`));
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`${job.label}: training worker exited with code ${code} before it finished (out of memory?)`));
    });
  });
}
