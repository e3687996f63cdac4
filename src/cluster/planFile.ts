// The plan as a file a cluster runs: `dgiqa plan`'s entries, trainings first and then the
// evaluations that need them (the two stages), each with its index (a Slurm array task, a Kubernetes
// completion index), its resource request, and the settings every task runs with (the shared results
// folder, the data, the choices that change a result), so that a task on any node computes what the
// local course computes and writes it where the others look.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PROFILE_NAMES, PROFILES, paths, planOf } from '../experiments/index.js';
import type { PlanEntry, Profile, ProfileName } from '../experiments/index.js';
import { ENV, SETTING_NAMES, setting } from '../settings/index.js';
import type { SettingName } from '../settings/index.js';
import { entryResources } from './resources.js';
import type { ResourceOptions, Resources } from './resources.js';

export const PLAN_FORMAT = 'dgiqa-cluster-plan/1';
export const PLAN_FILE = 'plan.json';

export type Stage = 'train' | 'evaluate';
export const STAGES: readonly Stage[] = ['train', 'evaluate'];

export interface ClusterEntry extends PlanEntry {
  /** position in `runs`: the array task id (Slurm) or the stage's first index plus the completion index (Kubernetes) */
  index: number;
  stage: Stage;
  resources: Resources;
}

export interface ClusterPlan {
  format: typeof PLAN_FORMAT;
  profile: ProfileName;
  /** DGIQA_* settings every task runs with (`dgiqa job` applies them; the scripts export them too) */
  env: Partial<Record<SettingName, string>>;
  runs: ClusterEntry[];
}

/** Settings that locate the shared folders: pinned to absolute paths when the plan is made. */
const FOLDERS: readonly [SettingName, () => string][] = [
  [ENV.DGIQA_RESULTS, () => paths.results],
  [ENV.DGIQA_SYNTH, () => paths.synth],
  [ENV.DGIQA_DATA, () => paths.datasets],
  [ENV.DGIQA_DEPTH, () => paths.depth],
];

/** Settings that change what a run computes or how it reads its data: passed on where set. */
const CHOICES: readonly SettingName[] = [ENV.DGIQA_CACHE, ENV.DGIQA_PRETRAINED, ENV.DGIQA_FROM_SCRATCH, ENV.DGIQA_SKIP_BAD, ENV.DGIQA_BACKEND, ENV.DGIQA_ENGINE, ENV.DGIQA_TRAIN_ENGINE];

/** The settings of this process that a plan pins (folders made absolute). */
export function currentEnv(): Partial<Record<SettingName, string>> {
  const env: Partial<Record<SettingName, string>> = {};
  for (const [name, folder] of FOLDERS) env[name] = folder();
  for (const name of CHOICES) {
    const v = setting(name);
    if (v !== undefined) env[name] = String(v);
  }
  const cache = env[ENV.DGIQA_CACHE];
  if (cache !== undefined) env[ENV.DGIQA_CACHE] = resolve(cache);
  return env;
}

export interface PlanOptions extends ResourceOptions {
  /** keep these entries (ids) and the trainings they need; all when absent */
  only?: string[];
  /** the settings tasks run with (default: this process's, currentEnv()) */
  env?: Partial<Record<SettingName, string>>;
}

/** The profile's plan in stage order, with indices and resource requests. */
export function clusterPlan(profile: Profile, options: PlanOptions = {}): ClusterPlan {
  let runs: PlanEntry[] = planOf(profile);
  if (options.only) {
    const known = new Set(runs.map((e) => e.id));
    const unknown = options.only.filter((id) => !known.has(id));
    if (unknown.length > 0) throw new Error(`--only: no entry ${unknown.join(', ')} in the ${profile.name} plan (see dgiqa plan --profile ${profile.name})`);
    const keep = new Set(options.only);
    for (const e of runs) if (keep.has(e.id)) for (const d of e.depends) keep.add(d);
    runs = runs.filter((e) => keep.has(e.id));
  }
  const ordered = STAGES.flatMap((stage) => runs.filter((e) => stageOf(e) === stage));
  return {
    format: PLAN_FORMAT,
    profile: profile.name,
    env: options.env ?? currentEnv(),
    runs: ordered.map((e, index) => ({ ...e, index, stage: stageOf(e), resources: entryResources(profile, e, options) })),
  };
}

const stageOf = (e: PlanEntry): Stage => (e.kind === 'train' ? 'train' : 'evaluate');

/** The entries of one stage (contiguous in `runs`). */
export function stageEntries(plan: ClusterPlan, stage: Stage): ClusterEntry[] {
  return plan.runs.filter((e) => e.stage === stage);
}

/** The plan file of a folder made by `dgiqa plan --slurm|--k8s`, or the file itself. */
export function planFileOf(pathOrDir: string): string {
  return pathOrDir.endsWith('.json') ? resolve(pathOrDir) : resolve(pathOrDir, PLAN_FILE);
}

/** Reads and checks a plan file; one line naming the file on any problem. */
export async function readClusterPlan(pathOrDir: string): Promise<{ file: string; plan: ClusterPlan }> {
  const file = planFileOf(pathOrDir);
  if (!existsSync(file)) throw new Error(`${file}: no plan file (make one with dgiqa plan --profile P --slurm DIR)`);
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not a JSON plan (${(err as Error).message.split('\n')[0]})`);
  }
  const bad = (problem: string): Error => new Error(`${file}: ${problem}`);
  if (typeof data !== 'object' || data === null) throw bad('not a plan object');
  const p = data as Record<string, unknown>;
  if (p.format !== PLAN_FORMAT) throw bad(`format is ${JSON.stringify(p.format)}, expected "${PLAN_FORMAT}" (made by another version of the kit?)`);
  if (!(PROFILE_NAMES as readonly unknown[]).includes(p.profile)) throw bad(`unknown profile ${JSON.stringify(p.profile)}`);
  if (typeof p.env !== 'object' || p.env === null) throw bad('"env" is not an object');
  for (const [k, v] of Object.entries(p.env)) {
    if (!(SETTING_NAMES as readonly string[]).includes(k)) throw bad(`"env" names ${k}, which the kit does not declare`);
    if (typeof v !== 'string') throw bad(`"env".${k} is not a string`);
  }
  if (!Array.isArray(p.runs)) throw bad('"runs" is not a list');
  const ids = new Set<string>();
  for (const [i, e] of (p.runs as unknown[]).entries()) {
    const r = e as Partial<ClusterEntry> | null;
    if (typeof r !== 'object' || r === null || typeof r.id !== 'string') throw bad(`entry ${i} has no id`);
    if (r.index !== i) throw bad(`entry ${i} (${r.id}) has index ${String(r.index)}`);
    if (!STAGES.includes(r.stage as Stage) || (r.kind !== 'train' && r.kind !== 'evaluate')) throw bad(`entry ${i} (${r.id}): bad stage or kind`);
    if (!Array.isArray(r.depends) || !Array.isArray(r.test) || typeof r.experiment !== 'string' || typeof r.train !== 'string') throw bad(`entry ${i} (${r.id}): missing fields`);
    if (ids.has(r.id)) throw bad(`entry ${r.id} is listed twice`);
    ids.add(r.id);
  }
  for (const r of p.runs as ClusterEntry[]) for (const d of r.depends) if (!ids.has(d)) throw bad(`entry ${r.id} needs ${d}, which the plan does not list`);
  return { file, plan: data as ClusterPlan };
}

/** The profile of a plan. */
export const planProfile = (plan: ClusterPlan): Profile => PROFILES[plan.profile];

/**
 * Makes this process use the plan's settings: the environment (read later by the settings readers,
 * and by any child) and the folders `paths` resolved when the kit was loaded.
 */
export function applyPlanEnv(plan: ClusterPlan): void {
  for (const [name, value] of Object.entries(plan.env) as [SettingName, string][]) process.env[name] = value;
  process.env[ENV.DGIQA_PROFILE] = plan.profile;
  const folder = (name: SettingName, set: (value: string) => void): void => {
    const value = plan.env[name];
    if (value !== undefined) set(value);
  };
  folder(ENV.DGIQA_RESULTS, (v) => (paths.results = resolve(v)));
  folder(ENV.DGIQA_SYNTH, (v) => (paths.synth = resolve(v)));
  folder(ENV.DGIQA_DATA, (v) => (paths.datasets = resolve(v)));
  folder(ENV.DGIQA_DEPTH, (v) => (paths.depth = resolve(v)));
  folder(ENV.DGIQA_PRETRAINED, (v) => (paths.pretrained = v));
}

/** The results root the plan's tasks write to. */
export const resultsRoot = (plan: ClusterPlan): string => resolve(plan.env[ENV.DGIQA_RESULTS] ?? paths.results);

/** The file whose presence means the entry is done: a training's result.json, an evaluation's JSON. */
export function resultFileOf(plan: ClusterPlan, e: PlanEntry): string {
  return e.kind === 'train' ? join(resultsRoot(plan), e.id, 'result.json') : join(resultsRoot(plan), `${e.id}.json`);
}

/** Where `dgiqa job` records a task's state (running, failed): results/jobs/<id>.json, beside no result. */
export function stateFileOf(plan: ClusterPlan, e: PlanEntry): string {
  return join(resultsRoot(plan), 'jobs', `${e.id}.json`);
}
