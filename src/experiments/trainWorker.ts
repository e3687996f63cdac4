// The worker thread of parallel.ts: one training on its own TensorFlow.js, its result sent back.
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend, type BackendName } from '../backend/index.js';
import { trainAndTest, type RunSpec } from './run.js';
import { StoppedError, requestStop } from '../train/index.js';

const { spec, backend } = workerData as { spec: RunSpec; backend: BackendName };
parentPort?.on('message', (m) => {
  if (m === 'stop') requestStop();
});
try {
  await initBackend(backend);
  parentPort?.postMessage({ ok: true, result: await trainAndTest(spec) });
} catch (err) {
  parentPort?.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err), stopped: err instanceof StoppedError });
}
