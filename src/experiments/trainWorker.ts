// The worker thread of parallel.ts: one training task on its own TensorFlow.js, its result sent back.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, type BackendName } from '../backend/index.js';
import { trainAndTest } from './run.js';
import { frDataset, frSplit } from './fullReference.js';
import { PROFILES } from './profiles.js';
import type { WorkerTask } from './parallel.js';
import { StoppedError, requestStop } from '../train/index.js';

const { task, backend } = workerData as { task: WorkerTask; backend: BackendName };
parentPort?.on('message', (m) => {
  if (m === 'stop') requestStop();
});
try {
  await initBackend(backend);
  const result = task.kind === 'run' ? await trainAndTest(task.spec) : task.split === undefined ? await frDataset(PROFILES[task.profile], task.dataset) : await frSplit(PROFILES[task.profile], task.dataset, task.split);
  parentPort?.postMessage({ ok: true, result });
} catch (err) {
  parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err), stopped: err instanceof StoppedError });
}
