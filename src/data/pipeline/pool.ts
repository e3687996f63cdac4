// Where sample jobs run: inline on the calling thread (workers = 0: tests, debugging), or on a pool
// of worker threads. A job's result does not depend on where it ran (sample.ts is pure).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
// sharp's documentation: on glibc Linux the main thread must load sharp before worker threads do,
// so that libvips stays loaded until every thread has finished. Importing it here guarantees that.
import 'sharp';
import { DEFAULT_MAX_WORKERS, JOBS_PER_WORKER } from './constants.js';
import { runJob } from './sample.js';
import type { SampleJob, SampleResult } from './sample.js';
import type { JobReply, JobRequest } from './worker.js';

/** Something that runs sample jobs, at most `capacity` at once to keep it busy without a backlog. */
export interface SampleExecutor {
  readonly capacity: number;
  run(job: SampleJob): Promise<SampleResult>;
  close(): Promise<void>;
}

/** Runs jobs on the calling thread, one at a time (decoding itself still happens in libvips' threads). */
export class InlineExecutor implements SampleExecutor {
  readonly capacity = 1;
  run(job: SampleJob): Promise<SampleResult> {
    return runJob(job);
  }
  async close(): Promise<void> {}
}

/** The default number of decode workers: min(2, cores). */
export function defaultWorkers(): number {
  return Math.min(DEFAULT_MAX_WORKERS, availableParallelism());
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

interface Slot {
  worker: Worker;
  busy: number;
  exited: boolean;
  /** The last uncaught error the worker reported, if any. */
  lastError: string | undefined;
}

/** Unexpected worker exits the pool replaces before it gives up (a worker that cannot start would loop). */
const MAX_RESPAWNS = 4;

interface Pending {
  resolve: (r: SampleResult) => void;
  reject: (e: Error) => void;
  slot: Slot;
  image: string;
}

/**
 * A pool of decode workers (node:worker_threads). Idle workers are unref'd, so a pool nobody closes
 * does not keep the process alive; `close()` terminates them. Share one pool between loaders (one
 * per epoch) to avoid starting workers each epoch; a loader closes only a pool it made itself.
 */
export class DecodePool implements SampleExecutor {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  private respawns = 0;
  /** Decode workers of every pool in this thread not yet exited: a run that ended leaves none. */
  static openWorkers = 0;
  /** Why the pool stopped taking jobs (its workers kept dying), or null. */
  private broken: string | null = null;

  constructor(workers: number = defaultWorkers()) {
    if (!Number.isInteger(workers) || workers < 1) throw new Error(`DecodePool: workers must be an integer >= 1, got ${workers}`);
    const path = fileURLToPath(WORKER_URL);
    if (!existsSync(path)) {
      throw new Error(`decode worker script ${path} not found: run the compiled build (npm run build), or pass workers: 0`);
    }
    this.size = workers;
    for (let i = 0; i < workers; i++) this.slots.push(this.spawn());
  }

  get capacity(): number {
    return this.size * JOBS_PER_WORKER;
  }

  /** Thread ids of the current workers. */
  get threadIds(): number[] {
    return this.slots.map((s) => s.worker.threadId);
  }

  /** Workers that have not exited yet (0 after close()). */
  get liveWorkers(): number {
    return this.slots.filter((s) => !s.exited).length;
  }

  run(job: SampleJob): Promise<SampleResult> {
    if (this.closed) return Promise.reject(new Error(`${job.image}: decode pool is closed`));
    if (this.broken !== null) return Promise.reject(new Error(`${job.image}: ${this.broken}`));
    let slot: Slot | undefined;
    for (const s of this.slots) if (!s.exited && (slot === undefined || s.busy < slot.busy)) slot = s;
    if (slot === undefined) return Promise.reject(new Error(`${job.image}: no decode worker is running`));
    const chosen = slot;
    const id = this.nextId++;
    return new Promise<SampleResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot: chosen, image: job.image });
      if (chosen.busy++ === 0) chosen.worker.ref();
      chosen.worker.postMessage({ id, job } satisfies JobRequest);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new Error(`${p.image}: decode pool closed before the image was done`));
    }
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL);
    const slot: Slot = { worker, busy: 0, exited: false, lastError: undefined };
    worker.unref();
    DecodePool.openWorkers++;
    worker.on('message', (reply: JobReply) => {
      const p = this.pending.get(reply.id);
      if (p === undefined) return;
      this.pending.delete(reply.id);
      if (--slot.busy === 0) worker.unref();
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new Error(reply.error));
    });
    const threadId = worker.threadId;
    worker.on('error', (err) => {
      slot.lastError = err.message.split('\n')[0];
      this.fail(slot, `decode worker ${threadId} failed (${slot.lastError})`);
    });
    worker.on('exit', (code) => {
      slot.exited = true;
      DecodePool.openWorkers--;
      if (this.closed) return;
      const why = `decode worker ${threadId} exited unexpectedly (code ${code}${slot.lastError ? `: ${slot.lastError}` : ''})`;
      this.fail(slot, why);
      if (this.respawns < MAX_RESPAWNS) {
        // Replace it, so that the pool keeps its size.
        this.respawns++;
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots[i] = this.spawn();
      } else {
        // Jobs already on the remaining workers finish; new ones are refused with this reason.
        this.broken = `decode workers keep exiting; giving up (last: ${why})`;
      }
    });
    return slot;
  }

  /** Rejects every job the slot holds, each with a one-line error naming its image. */
  private fail(slot: Slot, why: string): void {
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      p.reject(new Error(`${p.image}: ${why}`));
    }
    slot.busy = 0;
  }
}
