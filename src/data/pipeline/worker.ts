// Worker-thread entry of the decode pool (pool.ts): runs sample jobs as they arrive and sends the
// crops back, transferring their buffers (no copy).
import { parentPort } from 'node:worker_threads';
import { oneLine } from './decode.js';
import { runJob } from './sample.js';
import type { SampleJob, SampleResult } from './sample.js';

export interface JobRequest {
  id: number;
  job: SampleJob;
}

export type JobReply = { id: number; ok: true; result: SampleResult } | { id: number; ok: false; error: string };

if (parentPort) {
  const port = parentPort;
  port.on('message', (req: JobRequest) => {
    runJob(req.job).then(
      (result) => port.postMessage({ id: req.id, ok: true, result } satisfies JobReply, [result.rgb.buffer, result.depth.buffer]),
      (err: unknown) => port.postMessage({ id: req.id, ok: false, error: oneLine(err) } satisfies JobReply),
    );
  });
}
