// Independent trainings (protocol splits, ablation variants, lambdas, DGIQA-FR datasets) run at the same time, each in
// a worker thread with its own TensorFlow.js, or, where the steps run on ONNX Runtime (whose Node
// binding cannot run in worker threads), in a child process with its share of the cores. Each
// training is seeded and self-contained: its result is the same as when run alone (tested).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { setting } from '../settings/index.js';
import { tf } from '../backend/tf.js';
import { onDeviceBackend } from '../backend/select.js';
import { savedOrPending } from './results.js';
import { trainAndTest, type CrossTestEntry, type RunResult, type RunSpec } from './run.js';
import type { Profile, ProfileName } from './profiles.js';
import type { Benchmark } from './datasets.js';
import { StoppedError, handleInterrupts, onStop, trainsOnOnnx } from '../train/index.js';

/**
 * Memory per training, with room to spare: the demo course peaked at 5.0 GB for a kernel and two
 * tfjs trainings; a process training on ONNX Runtime peaked at 4.2 GB (bench, demo preset, batch 16).
 */
const MEMORY_PER_TRAINING = 3 * 2 ** 30;
const MEMORY_PER_ONNX_TRAINING = 4.5 * 2 ** 30;

const WORKER_URL = new URL('./trainWorker.js', import.meta.url);
const PROCESS_FILE = fileURLToPath(new URL('./trainProcess.js', import.meta.url));

/**
 * How many trainings run at once: DGIQA_TRAIN_PARALLEL, else one on the GPU (a single device
 * serialises the work anyway), and otherwise one per core as memory allows: in worker threads on
 * TensorFlow.js, in processes of one ONNX Runtime thread each on ONNX Runtime (the demo step on 2
 * cores: 20.8 img/s on one thread, 27.1 on two; two trainings side by side use both cores fully).
 */
export function trainingParallelism(): number {
  const forced = setting('DGIQA_TRAIN_PARALLEL');
  if (forced !== undefined) return forced;
  if (onDeviceBackend()) return 1;
  const perTraining = trainsOnOnnx() ? MEMORY_PER_ONNX_TRAINING : MEMORY_PER_TRAINING;
  return Math.max(1, Math.min(availableParallelism(), Math.floor(totalmem() / perTraining)));
}

/**
 * What a lane can run (tasks.ts): a train-and-test unit, one DGIQA-FR dataset (fullReference.ts), or
 * Table 5's test of a trained ablation run on another set (protocol.ts, ablationCrossTest).
 */
export type WorkerTask =
  | { kind: 'run'; spec: RunSpec }
  | { kind: 'fr'; profile: ProfileName; dataset: string; split?: number }
  | { kind: 'cross-test'; profile: Profile; entries: CrossTestEntry[]; a: Benchmark; b: Benchmark };

/** A task, its name for messages, and how to run it on this thread when there is nothing to share. */
export interface Job<R> {
  task: WorkerTask;
  label: string;
  local: () => Promise<R>;
}

/** `trainAndTest` for every spec, `parallel` at a time; results in the specs' order. */
export async function trainAndTestAll(specs: RunSpec[], parallel = trainingParallelism()): Promise<RunResult[]> {
  const { saved: results, pending } = await savedOrPending<RunResult>(specs.map((s) => join(s.dir, 'result.json')));
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
  // ONNX Runtime's trainings in processes, each with its share of the cores (DGIQA_TRAIN_THREADS wins)
  const processes = trainsOnOnnx();
  const threads = Math.max(1, Math.floor(availableParallelism() / Math.min(parallel, jobs.length)));
  const lane = async (): Promise<void> => {
    const child = processes ? new TrainingProcess(threads) : undefined;
    try {
      while (failure === undefined && next < jobs.length) {
        const i = next++;
        try {
          results[i] = await (child ? child.run(jobs[i]!) : inWorker<R>(jobs[i]!));
        } catch (err) {
          failure ??= err;
        }
      }
    } finally {
      child?.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, lane));
  if (failure !== undefined) throw failure;
  return results;
}

/** The reply of a worker thread or process. */
type Reply<R> = { ok: true; result: R } | { ok: false; error: string; stopped: boolean };

/**
 * A child process (trainProcess.ts) that runs tasks one after another, its steps on `threads` ONNX
 * Runtime threads. It lives as long as its lane: a new process per training paid TensorFlow.js's
 * warm-up each time (the first trace of a process took 11.6 s here, the next 4.3 s).
 */
class TrainingProcess {
  private readonly child: ChildProcess;
  private pending: { label: string; resolve: (r: unknown) => void; reject: (e: Error) => void } | undefined;
  private exited: string | undefined;

  constructor(threads: number) {
    const env = { ...process.env, DGIQA_TRAIN_THREADS: String(setting('DGIQA_TRAIN_THREADS') ?? threads) };
    // 'advanced': tasks go over as structured clones, as to a worker thread
    this.child = fork(PROCESS_FILE, [], { serialization: 'advanced', env, stdio: 'inherit' });
    handleInterrupts();
    const forget = onStop(() => this.child.connected && this.child.send('stop'));
    this.child.on('message', (m: Reply<unknown>) => {
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(m.stopped ? new StoppedError(m.error) : new Error(m.error));
    });
    const fail = (why: string): void => {
      forget();
      this.exited = why;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(new Error(`${p.label}: training process ${why} before it finished (out of memory?)`));
    };
    this.child.on('error', (err) => fail(`failed (${err.message})`));
    this.child.on('exit', (code, signal) => fail(`exited with ${signal ?? `code ${code}`}`));
  }

  run<R>(job: Job<R>): Promise<R> {
    if (this.exited) return Promise.reject(new Error(`${job.label}: training process ${this.exited}`));
    return new Promise<R>((resolve, reject) => {
      this.pending = { label: job.label, resolve: resolve as (r: unknown) => void, reject };
      this.child.send({ task: job.task, backend: tf.getBackend() });
    });
  }

  /** Lets the process end (it exits when its channel closes). */
  close(): void {
    if (this.child.connected) this.child.disconnect();
  }
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
    worker.on('message', (m: Reply<R>) => {
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
