// A polite stop: the first SIGINT (Ctrl-C) asks running trainings to save a checkpoint after the
// step in progress and return; a second one exits at once. Trainings in worker threads get the
// request from their parent (signals reach the main thread only).
import { isMainThread } from 'node:worker_threads';

let requested = false;
let installed = false;
const listeners = new Set<() => void>();

export function requestStop(): void {
  requested = true;
  for (const l of listeners) l();
}

export function stopRequested(): boolean {
  return requested;
}

/** Called on a stop request (parallel.ts forwards it to its workers). */
export function onStop(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Installs the SIGINT handler once, in the main thread. */
export function handleInterrupts(): void {
  if (installed || !isMainThread) return;
  installed = true;
  process.on('SIGINT', () => {
    if (requested) {
      process.stderr.write('\nsecond interrupt: exiting without saving the step in progress\n');
      process.exit(130);
    }
    process.stderr.write('\ninterrupt: saving after the current step (press Ctrl-C again to exit at once)\n');
    requestStop();
  });
}

/** Thrown by `fit` after a requested stop: the run is saved and resumes with --resume. */
export class StoppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoppedError';
  }
}
