// The worker thread of parallel.ts: one training task on its own TensorFlow.js, its result sent back.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, type BackendName } from '../backend/index.js';
import { runTask } from './tasks.js';
import type { WorkerTask } from './parallel.js';
import { StoppedError, requestStop } from '../train/index.js';

const { task, backend } = workerData as { task: WorkerTask; backend: BackendName };
parentPort?.on('message', (m) => {
  if (m === 'stop') requestStop();
});
try {
  await initBackend(backend);
  const result = await runTask(task);
  parentPort?.postMessage({ ok: true, result });
} catch (err) {
  parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err), stopped: err instanceof StoppedError });
}
