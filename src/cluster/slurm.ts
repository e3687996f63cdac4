// The plan as Slurm batch scripts: one array job per stage (the trainings, then the evaluations that
// need them), the array task id being the entry's index in plan.json, and submit.sh, which submits
// the stages chained with --dependency=afterok. An array job asks the same of every task, so a
// stage's request is its largest entry's (plan.json keeps each entry's own estimate).
//
//   dgiqa plan --profile paper --slurm runs/paper --partition gpu --max-parallel 8
//   bash runs/paper/submit.sh          # then: dgiqa status runs/paper
//
// Each task execs `dgiqa job plan.json --index $SLURM_ARRAY_TASK_ID`, so it is the batch step's
// process itself: scancel's SIGTERM and the SIGINT sent before the time limit (--signal=B:INT@...)
// reach the training, which saves after the step in progress; resubmitting resumes it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLAN_FILE, stageEntries } from './planFile.js';
import type { ClusterPlan, Stage } from './planFile.js';
import { slurmTime } from './resources.js';

export interface SlurmOptions {
  /** the folder the files are written to (absolute: the scripts name it; it must be on a shared file system) */
  dir: string;
  /** the command that starts the kit on a node, e.g. `node /home/me/dgiqa/bin/dgiqa.js` or `npx dgiqa` */
  launcher: string;
  partition?: string;
  /** replaces the GPU request (`gpu:1` for the paper profile, none for smoke and demo); '' drops it */
  gres?: string;
  /** replaces the time request of every stage (Slurm's format, e.g. 12:00:00 or 2-00:00:00) */
  time?: string;
  /** replaces the memory request, e.g. 64G */
  mem?: string;
  /** at most this many tasks of a stage at once (`%N` on the array) */
  maxParallel?: number;
  /** a file of extra `#SBATCH` lines (account, qos, constraint...), copied into every script */
  extras?: string;
  /** seconds before the time limit at which the training is asked to save (SIGINT) */
  saveBefore?: number;
}

/** Seconds before the time limit a task is asked to save: a checkpoint of the paper model takes well under this. */
const SAVE_BEFORE_S = 300;

const STAGE_FILE: Record<Stage, string> = { train: '1-train.sbatch', evaluate: '2-evaluate.sbatch' };

/** Single quotes for the shell. */
export const shellQuote = (s: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The `#SBATCH` lines of an extras file; one line naming the file when a line is something else. */
export function readExtras(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read the #SBATCH extras file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const lines = text.split('\n').map((l) => l.trim());
  for (const [i, l] of lines.entries()) {
    if (l === '' || (l.startsWith('#') && !l.startsWith('#SBATCH'))) continue;
    if (!/^#SBATCH\s+--?[A-Za-z]/.test(l)) throw new Error(`${file}: line ${i + 1} is not an #SBATCH option line: ${JSON.stringify(l.slice(0, 60))}`);
    if (/^#SBATCH\s+(--array|-a\b|--output|-o\b|--error|-e\b|--dependency|-d\b)/.test(l)) throw new Error(`${file}: line ${i + 1}: ${l.split(/\s+/)[1]} is set by the plan's scripts, not by extras`);
  }
  return lines.filter((l) => l.startsWith('#SBATCH'));
}

/** Index ranges as Slurm writes them: 0-10,14,16-18. */
export function arrayRanges(indices: number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < indices.length) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    parts.push(i === j ? String(indices[i]) : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function stageScript(plan: ClusterPlan, stage: Stage, o: SlurmOptions, extras: string[]): string {
  const entries = stageEntries(plan, stage);
  const gpus = Math.max(...entries.map((e) => e.resources.gpus));
  const cpus = Math.max(...entries.map((e) => e.resources.cpus));
  const memGb = Math.max(...entries.map((e) => e.resources.memGb));
  const minutes = Math.max(...entries.map((e) => e.resources.minutes));
  const hours = entries.reduce((s, e) => s + e.resources.hours, 0);
  const gres = o.gres ?? (gpus > 0 ? `gpu:${gpus}` : '');
  const array = arrayRanges(entries.map((e) => e.index)) + (o.maxParallel ? `%${o.maxParallel}` : '');
  const planFile = join(o.dir, PLAN_FILE);
  const sbatch = [
    `--job-name=dgiqa-${plan.profile}-${stage}`,
    `--array=${array}`,
    `--output=${join(o.dir, 'logs', '%a.log')}`,
    `--time=${o.time ?? slurmTime(minutes)}`,
    `--cpus-per-task=${cpus}`,
    `--mem=${o.mem ?? `${memGb}G`}`,
    ...(gres ? [`--gres=${gres}`] : []),
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    `--signal=B:INT@${o.saveBefore ?? SAVE_BEFORE_S}`,
    ...(stage === 'evaluate' ? ['--kill-on-invalid-dep=yes'] : []),
  ];
  const exports = Object.entries(plan.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  return [
    '#!/usr/bin/env bash',
    ...sbatch.map((s) => `#SBATCH ${s}`),
    ...extras,
    `# dgiqa plan, ${plan.profile} profile, stage "${stage}": ${entries.length} ${stage === 'train' ? 'trainings' : 'evaluations'}, entries ${arrayRanges(entries.map((e) => e.index))} of ${planFile}`,
    `# estimated ${hours.toFixed(2)} ${gpus > 0 ? 'GPU' : 'CPU'} hours in all (cost model; see the resources of each entry in plan.json); the request is the largest entry's`,
    '# rerun one entry: sbatch --array=N this-script (a finished entry is skipped, a stopped one resumes)',
    'set -euo pipefail',
    ...exports,
    `exec ${o.launcher} job ${shellQuote(planFile)} --index "$SLURM_ARRAY_TASK_ID"`,
    '',
  ].join('\n');
}

function submitScript(plan: ClusterPlan, stages: Stage[], o: SlurmOptions): string {
  const lines = [
    '#!/usr/bin/env bash',
    `# Submits the ${plan.profile} plan's stages to Slurm, each once the previous one has succeeded (afterok).`,
    '# An evaluation stage whose trainings failed is cancelled (--kill-on-invalid-dep); run this again after',
    '# fixing what failed: finished entries are skipped, stopped ones resume. Progress: dgiqa status <this folder>.',
    'set -euo pipefail',
    `mkdir -p ${shellQuote(join(o.dir, 'logs'))}`,
    'after=""',
  ];
  for (const stage of stages) {
    const v = stage === 'train' ? 'train' : 'evaluate';
    lines.push(
      `${v}=$(sbatch --parsable \${after:+--dependency=afterok:$after} ${shellQuote(join(o.dir, STAGE_FILE[stage]))})`,
      `${v}=\${${v}%%;*}`,
      `echo "${stage}: job $${v}"`,
      `after=$${v}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** The files of the Slurm form of a plan, by name (plan.json, the stage scripts, submit.sh). */
export function slurmFiles(plan: ClusterPlan, o: SlurmOptions): Record<string, string> {
  const extras = o.extras ? readExtras(o.extras) : [];
  const stages = (['train', 'evaluate'] as const).filter((s) => stageEntries(plan, s).length > 0);
  const files: Record<string, string> = { [PLAN_FILE]: JSON.stringify(plan, null, 1) + '\n' };
  for (const s of stages) files[STAGE_FILE[s]] = stageScript(plan, s, o, extras);
  files['submit.sh'] = submitScript(plan, stages, o);
  return files;
}
