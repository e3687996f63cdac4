// The child process of parallel.ts for trainings on ONNX Runtime, whose Node binding cannot run in
// worker threads: tasks received over IPC one at a time, each result sent back the same way; the
// process ends when its parent closes the channel.
import { initBackend, type BackendName } from '../backend/index.js';
import { runTask } from './tasks.js';
import type { WorkerTask } from './parallel.js';
import { StoppedError, handleInterrupts, requestStop } from '../train/index.js';

type Message = { task: WorkerTask; backend: BackendName } | 'stop';

// Ctrl-C reaches this process too (one process group): the polite stop, as in the parent. A closed
// channel (the lane is done, or the parent was killed) stops a training in progress after its step,
// saved for a rerun, and ends the process.
handleInterrupts();
let busy = false;
process.on('disconnect', () => {
  if (busy) requestStop();
  else process.exit(0);
});
process.on('message', (m: Message) => {
  if (m === 'stop') {
    requestStop();
    return;
  }
  void run(m.task, m.backend);
});

async function run(task: WorkerTask, backend: BackendName): Promise<void> {
  busy = true;
  let reply: { ok: true; result: unknown } | { ok: false; error: string; stopped: boolean };
  try {
    await initBackend(backend);
    const result = await runTask(task);
    reply = { ok: true, result };
  } catch (err) {
    reply = { ok: false, error: err instanceof Error ? err.message : String(err), stopped: err instanceof StoppedError };
  }
  busy = false;
  if (process.connected) process.send?.(reply);
  else process.exit(reply.ok ? 0 : 1); // the parent is gone: nobody to tell
}
