// Worker-thread entry: runs scenes sent by the pool in generate.ts, one at a time.
import { parentPort } from 'node:worker_threads';
import { runScene, type SceneJob, type ScenePart } from './sceneWork.js';

export interface SceneRequest { job: SceneJob; index: number; key: string }
export type SceneReply = { ok: true; index: number; part: ScenePart } | { ok: false; index: number; error: string };

if (parentPort) {
  const port = parentPort;
  port.on('message', (req: SceneRequest) => {
    runScene(req.job, req.index, req.key).then(
      (part) => port.postMessage({ ok: true, index: req.index, part } satisfies SceneReply),
      (err: unknown) => port.postMessage({ ok: false, index: req.index, error: err instanceof Error ? err.message : String(err) } satisfies SceneReply),
    );
  });
}
