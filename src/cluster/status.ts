// Where a plan stands, from the shared folders alone (no scheduler asked, so it reads the same under
// Slurm, Kubernetes or by hand): an entry is done when its result file exists; otherwise the state
// `dgiqa job` recorded says running or failed; otherwise it is pending. A task killed outright (SIGKILL,
// a lost node) leaves "running": on this host the process is looked up, and a gone one is reported
// as failed; on another host it stays "running" until its task is resubmitted.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { resultFileOf, stateFileOf } from './planFile.js';
import type { ClusterPlan, Stage } from './planFile.js';
import { LAST_LINES } from './job.js';
import type { JobState } from './job.js';

export type EntryState = 'done' | 'running' | 'failed' | 'pending';

export interface EntryStatus {
  index: number;
  id: string;
  stage: Stage;
  state: EntryState;
  /** where and since when (running), or the one-line error (failed) */
  detail: string;
  /** a failure's last lines: what the task printed last (its scheduler log where there is one) */
  lastLines: string[];
}

/** Whether a process of this host lives (signal 0 checks without sending). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The last lines of a scheduler log (Slurm's --output), if the folder has one for this entry. */
function logTail(logDir: string | undefined, index: number): string[] {
  if (!logDir) return [];
  const file = join(logDir, `${index}.log`);
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.split('\r').filter(Boolean).at(-1) ?? '').filter((l) => l.trim() !== '');
  return lines.slice(-LAST_LINES);
}

/** Each entry's state; `logDir` is the folder of the scheduler's logs (`<plan folder>/logs`). */
export async function planStatus(plan: ClusterPlan, logDir?: string): Promise<EntryStatus[]> {
  const out: EntryStatus[] = [];
  for (const e of plan.runs) {
    const base = { index: e.index, id: e.id, stage: e.stage };
    if (existsSync(resultFileOf(plan, e))) {
      out.push({ ...base, state: 'done', detail: '', lastLines: [] });
      continue;
    }
    const file = stateFileOf(plan, e);
    let s: JobState | undefined;
    if (existsSync(file)) {
      try {
        s = JSON.parse(await readFile(file, 'utf8')) as JobState;
      } catch {
        s = undefined; // written atomically: unreadable only when foreign; treated as no state
      }
    }
    if (!s) {
      out.push({ ...base, state: 'pending', detail: '', lastLines: [] });
      continue;
    }
    const where = `${s.task} on ${s.host}, pid ${s.pid}, since ${s.started}`;
    if (s.state === 'running' && !(s.host === hostname() && !alive(s.pid))) {
      out.push({ ...base, state: 'running', detail: where, lastLines: [] });
      continue;
    }
    const log = logTail(logDir, e.index);
    const own = s.lastLines ?? [];
    const lastLines = log.length > 0 ? log : own;
    const detail = s.state === 'running' ? `${where}: the process is gone without a result (killed?)`
      : s.state === 'done' ? `${s.task} on ${s.host} ended ${s.ended ?? '?'}, but ${resultFileOf(plan, e)} is missing`
      : `${s.stopped ? 'stopped (saved: a resubmitted task resumes)' : 'failed'} on ${s.host} (${s.task}) at ${s.ended ?? '?'}: ${s.error ?? '?'}`;
    out.push({ ...base, state: 'failed', detail, lastLines });
  }
  return out;
}

/** Entries per state. */
export function statusCounts(rows: EntryStatus[]): Record<EntryState, number> {
  const counts: Record<EntryState, number> = { done: 0, running: 0, failed: 0, pending: 0 };
  for (const r of rows) counts[r.state]++;
  return counts;
}
