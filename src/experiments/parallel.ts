// Independent trainings (protocol splits, ablation variants, lambdas) run at the same time, each in
// a worker thread with its own TensorFlow.js. The wasm backend computes on one core, so a 2-core
// machine trains two models in about the time of one. Each training is seeded and self-contained:
// its result is the same as when run alone (tested).
import { Worker } from 'node:worker_threads';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { tf } from '../backend/tf.js';
import { readResult } from './results.js';
import { trainAndTest, type RunResult, type RunSpec } from './run.js';
import { StoppedError, handleInterrupts, onStop } from '../train/index.js';

/** Memory per training, with room to spare: the demo course peaked at 5.0 GB for a kernel and two. */
const MEMORY_PER_TRAINING = 3 * 2 ** 30;

const WORKER_URL = new URL('./trainWorker.js', import.meta.url);

/**
 * How many trainings run at once: DGIQA_TRAIN_PARALLEL, else one per core as memory allows on the
 * CPU backends, and one on the GPU (a single device serialises the work anyway).
 */
export function trainingParallelism(): number {
  const forced = process.env.DGIQA_TRAIN_PARALLEL;
  if (forced !== undefined && forced !== '') {
    const n = Number(forced);
    if (!Number.isInteger(n) || n < 1) throw new Error(`DGIQA_TRAIN_PARALLEL must be a positive integer, got "${forced}"`);
    return n;
  }
  if (tf.getBackend() === 'tensorflow') return 1;
  return Math.max(1, Math.min(availableParallelism(), Math.floor(totalmem() / MEMORY_PER_TRAINING)));
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
  if (parallel <= 1 || pending.length <= 1) {
    for (const i of pending) results[i] = await trainAndTest(specs[i]!);
    return results as RunResult[];
  }
  // Lanes take the next spec until none is left; after a failure they start no new one, the
  // trainings already running finish (their checkpoints stay for a rerun), then the error is thrown.
  let next = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < pending.length) {
      const i = pending[next++]!;
      try {
        results[i] = await inWorker(specs[i]!);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, pending.length) }, lane));
  if (failure !== undefined) throw failure;
  return results as RunResult[];
}

/** One training in a worker thread, on the backend this thread uses. */
function inWorker(spec: RunSpec): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_URL, { workerData: { spec, backend: tf.getBackend() } });
    // Ctrl-C reaches the main thread only: pass the stop request on, so the worker saves and returns
    handleInterrupts();
    const forget = onStop(() => worker.postMessage('stop'));
    worker.on('exit', forget);
    let settled = false;
    worker.on('message', (m: { ok: true; result: RunResult } | { ok: false; error: string; stopped: boolean }) => {
      settled = true;
      if (m.ok) resolve(m.result);
      else reject(m.stopped ? new StoppedError(m.error) : new Error(m.error));
      void worker.terminate();
    });
    worker.on('error', (err) => {
      settled = true;
      reject(new Error(`${spec.label}: training worker failed (${err.message})`));
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`${spec.label}: training worker exited with code ${code} before it finished (out of memory?)`));
    });
  });
}
