// What a lane of parallel.ts (a worker thread or a child process) runs: one task, by its kind.
import { trainAndTest } from './run.js';
import { frDataset, frSplit } from './fullReference.js';
import { ablationCrossTestsOf } from './protocol.js';
import { PROFILES } from './profiles.js';
import type { WorkerTask } from './parallel.js';

export async function runTask(task: WorkerTask): Promise<unknown> {
  switch (task.kind) {
    case 'run':
      return trainAndTest(task.spec);
    case 'fr':
      return task.split === undefined ? frDataset(PROFILES[task.profile], task.dataset) : frSplit(PROFILES[task.profile], task.dataset, task.split);
    case 'cross-test':
      return ablationCrossTestsOf(task.profile, task.entries, task.a, task.b);
  }
}
