// One plan entry, run as a cluster task (`dgiqa job PLAN --index N`): the course's own unit of work
// (resolve.ts) under the plan's settings. The guarantees come from the run machinery: results are
// written atomically, a training resumes from its last checkpoint (or the step it was stopped at), a
// finished entry is never redone (its result file is read back), and two tasks on one folder are kept
// apart by the run lock. What this file adds: the dependencies checked first, the task's state for
// `dgiqa status` (results/jobs/<id>.json: running, then failed with its last lines, or done), and
// SIGTERM (scancel, a Kubernetes eviction) taken as a polite stop: the training saves after the step
// in progress, so the resubmitted task resumes from there.
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { ensureSynth, paths } from '../experiments/index.js';
import { requestStop } from '../train/index.js';
import { lockFolder } from '../util/lock.js';
import { writeFileAtomic } from '../util/atomic.js';
import { applyPlanEnv, planProfile, resultFileOf, stateFileOf } from './planFile.js';
import type { ClusterEntry, ClusterPlan } from './planFile.js';
import { entryUnit } from './resolve.js';

/** How many of the task's last stderr lines a failure keeps for `dgiqa status`. */
export const LAST_LINES = 20;

export interface JobState {
  state: 'running' | 'failed' | 'done';
  id: string;
  index: number;
  host: string;
  pid: number;
  /** the Slurm job (array job _ task) or Kubernetes pod, where the task knows it */
  task: string;
  started: string;
  ended?: string;
  /** a failure: its one-line error, whether it was a requested stop (saved: a resubmission resumes), the last stderr lines */
  error?: string;
  stopped?: boolean;
  lastLines?: string[];
}

/** The scheduler's name for this task, from the variables Slurm and Kubernetes set (not the kit's own). */
function taskName(): string {
  const e = process.env;
  if (e.SLURM_ARRAY_JOB_ID && e.SLURM_ARRAY_TASK_ID) return `slurm ${e.SLURM_ARRAY_JOB_ID}_${e.SLURM_ARRAY_TASK_ID}`;
  if (e.SLURM_JOB_ID) return `slurm ${e.SLURM_JOB_ID}`;
  if (e.JOB_COMPLETION_INDEX !== undefined && e.HOSTNAME) return `pod ${e.HOSTNAME}`;
  return 'local';
}

async function writeState(file: string, state: JobState): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  await writeFileAtomic(file, JSON.stringify(state, null, 1) + '\n');
}

/** The last lines this process writes to stderr, kept while `run` runs (progress bars redraw with \r: the last state of a line is kept). */
async function keepingStderr<T>(run: () => Promise<T>, lines: string[]): Promise<T> {
  const original = process.stderr.write.bind(process.stderr);
  let partial = '';
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = partial + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) lines.push(p.split('\r').filter(Boolean).at(-1) ?? '');
    if (lines.length > LAST_LINES) lines.splice(0, lines.length - LAST_LINES);
    return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    return await run();
  } finally {
    process.stderr.write = original;
    if (partial) lines.push(partial.split('\r').filter(Boolean).at(-1) ?? '');
  }
}

/** SIGTERM asks for the same stop as Ctrl-C; a second one ends the process at once. */
function stopOnTerm(): () => void {
  let asked = false;
  const handler = (): void => {
    if (asked) process.exit(143);
    asked = true;
    process.stderr.write('\nSIGTERM: saving after the current step; a resubmitted task resumes from there\n');
    requestStop();
  };
  process.on('SIGTERM', handler);
  return () => void process.off('SIGTERM', handler);
}

/** The embedded benchmark generated once for all the tasks that share it: the first to get its lock makes it, the others wait. */
async function prepareSynth(plan: ClusterPlan, log: (line: string) => void): Promise<void> {
  const profile = planProfile(plan);
  if (profile.synth === null) return;
  mkdirSync(paths.synth, { recursive: true });
  for (let waited = 0; ; waited++) {
    let release: (() => Promise<void>) | undefined;
    try {
      release = await lockFolder(paths.synth);
    } catch (err) {
      if (waited % 30 === 0) log(`waiting for the embedded benchmark (${(err as Error).message})`);
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    try {
      await ensureSynth(profile, log);
      return;
    } finally {
      await release();
    }
  }
}

export interface JobOutcome {
  entry: ClusterEntry;
  /** done now, or found done (never redone) */
  status: 'ran' | 'already-done';
  seconds: number;
}

/**
 * Runs entry `index` of a plan read by readClusterPlan (`file` names it in errors). Throws one line
 * on failure, after recording it; a StoppedError after a requested stop (the training is saved).
 */
export async function runPlanEntry(file: string, plan: ClusterPlan, index: number, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<JobOutcome> {
  const entry = plan.runs[index];
  if (!Number.isInteger(index) || !entry) throw new Error(`${file}: no entry ${index} (the plan has ${plan.runs.length}: 0 to ${plan.runs.length - 1})`);
  applyPlanEnv(plan);
  const t0 = performance.now();
  if (existsSync(resultFileOf(plan, entry))) {
    log(`${entry.id}: already done (${resultFileOf(plan, entry)}); not redone`);
    return { entry, status: 'already-done', seconds: 0 };
  }
  const missing = entry.depends.filter((d) => !existsSync(resultFileOf(plan, plan.runs.find((r) => r.id === d)!)));
  if (missing.length > 0) throw new Error(`${file}: entry ${index} (${entry.id}) needs ${missing.join(', ')}, not done yet (dgiqa status shows why)`);

  const stateFile = stateFileOf(plan, entry);
  const state: JobState = { state: 'running', id: entry.id, index, host: hostname(), pid: process.pid, task: taskName(), started: new Date().toISOString() };
  await writeState(stateFile, state);
  const lines: string[] = [];
  const forget = stopOnTerm();
  try {
    await keepingStderr(async () => {
      log(`${entry.id}: ${entry.kind === 'train' ? 'training' : 'evaluation'} ${index} of the ${plan.profile} plan on ${state.host} (${state.task})`);
      await prepareSynth(plan, log);
      const unit = await entryUnit(planProfile(plan), entry);
      await unit.run();
    }, lines);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await writeState(stateFile, { ...state, state: 'failed', ended: new Date().toISOString(), error: message.split('\n')[0], stopped: err instanceof Error && err.name === 'StoppedError', lastLines: lines });
    throw err;
  } finally {
    forget();
  }
  await writeState(stateFile, { ...state, state: 'done', ended: new Date().toISOString() });
  return { entry, status: 'ran', seconds: (performance.now() - t0) / 1000 };
}
