// `dgiqa plan`: every training and evaluation a profile's course would run, from the profile alone
// (no data, no GPU), with an estimate of the training compute from the kit's cost model.
import { chmodSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KIT_ROOT, planOf, planSummary, planTotals, profileFrom } from '../experiments/index.js';
import type { PlanEntry, Profile } from '../experiments/index.js';
import { RESOURCE_DEFAULTS, clusterPlan, currentEnv, k8sEnv, k8sFiles, shellQuote, slurmFiles, usesGpu } from '../cluster/index.js';
import type { ClusterPlan } from '../cluster/index.js';
import { writeFileAtomic } from '../util/atomic.js';

const USAGE = `usage: dgiqa plan [--profile smoke|demo|paper] [--json | --summary] [--only ID,...]
                  [--slurm DIR [--partition P] [--gres G] [--time T] [--mem M] [--sbatch-extras FILE] [--launcher CMD]]
                  [--k8s DIR --image IMAGE --claim PVC [--mount PATH] [--namespace NS] [--launcher CMD]]
                  [--max-parallel N] [--gpu-tflops X]

Lists every training and evaluation the profile's course (dgiqa reproduce, the notebooks) would run,
worked out from the profile's settings alone: no dataset is opened and nothing is trained. One line
per entry (run folder under results/<profile>/, experiment, model, training set, split, test sets,
seed, learning rate, epochs, lambda, model selection, what it needs), then the totals and an estimate
of the training compute from the cost model (src/model/cost.ts), not a measurement.
  --profile P  smoke, demo or paper (default DGIQA_PROFILE, else demo)
  --json       the last line is {"profile": P, "runs": [...]}
  --summary    one Markdown row per experiment (what the README prints for the paper profile)
  --only IDS   keep these entries (comma-separated ids) and the trainings they need

On a cluster (README: "Run the paper's protocol on a cluster"): the plan as DIR/plan.json, stage by
stage (trainings, then the evaluations that need them), each entry with a resource request from the
cost model, and the settings every task runs with (DGIQA_RESULTS and the other shared folders, as
absolute paths: they must be on a file system every node mounts). Each task runs
\`dgiqa job DIR/plan.json --index N\`; \`dgiqa status DIR\` tells what is done, running, failed, pending.
  --slurm DIR          one array job per stage (DIR/1-train.sbatch, DIR/2-evaluate.sbatch) and
                       DIR/submit.sh, which submits them chained with --dependency=afterok
  --partition P        #SBATCH --partition
  --gres G             replaces the GPU request (gpu:1 on the paper profile, none on smoke and demo)
  --time T             replaces the estimated time request of every stage (e.g. 12:00:00, 2-00:00:00)
  --mem M              replaces the memory request (e.g. 64G)
  --sbatch-extras FILE #SBATCH lines added to every script (account, qos, constraint, ...)
  --launcher CMD       how a node starts the kit (default: this Node and this kit's bin/dgiqa.js for
                       Slurm, \`dgiqa\` on the image's PATH for Kubernetes), e.g. "npx dgiqa"
  --k8s DIR            Kubernetes Indexed Jobs, one per stage, the plan in a ConfigMap, and
                       DIR/apply.sh; --image (the kit built in), --claim (a ReadWriteMany
                       PersistentVolumeClaim for results and data), --mount (default /shared)
  --max-parallel N     at most N tasks of a stage at once (%N on the array; the Job's parallelism)
  --gpu-tflops X       the sustained GPU throughput the time estimates assume (default ${RESOURCE_DEFAULTS.gpuTflops})`;

const cell = (e: PlanEntry): string[] => [
  e.id, e.kind, e.experiment, e.model, e.train ?? '-', String(e.split), e.test.join(','), String(e.seed), String(e.lr ?? '-'), String(e.epochs ?? '-'), String(e.lambda ?? '-'), e.selection ?? '-',
  e.depends.join(',') || '-',
];

/** Columns padded to their widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c]!))).join('  '));
}

/** A positive integer option, or undefined. */
function positive(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got "${value}"`);
  return n;
}

/** Writes the files into `dir` (scripts executable) and says what is where. */
async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFileAtomic(path, text);
    if (name.endsWith('.sh') || name.endsWith('.sbatch')) chmodSync(path, 0o755);
  }
}

/** The totals of a cluster plan: trainings, evaluations, device hours. */
function clusterSummary(profile: Profile, plan: ClusterPlan): string {
  const trainings = plan.runs.filter((e) => e.stage === 'train');
  const hours = plan.runs.reduce((s, e) => s + e.resources.hours, 0);
  const n = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  return `${n(trainings.length, 'training')}, ${n(plan.runs.length - trainings.length, 'evaluation')}; estimated ${hours.toFixed(1)} ${usesGpu(profile) ? 'GPU' : 'CPU-core'} hours (cost model at an assumed throughput, not a measurement)`;
}

export async function planCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      profile: { type: 'string' }, json: { type: 'boolean', default: false }, summary: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false }, only: { type: 'string' },
      slurm: { type: 'string' }, k8s: { type: 'string' }, partition: { type: 'string' }, gres: { type: 'string' }, time: { type: 'string' }, mem: { type: 'string' },
      'sbatch-extras': { type: 'string' }, launcher: { type: 'string' }, 'max-parallel': { type: 'string' }, 'gpu-tflops': { type: 'string' },
      image: { type: 'string' }, claim: { type: 'string' }, mount: { type: 'string', default: '/shared' }, namespace: { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const profile = profileFrom(values.profile);
  const only = values.only?.split(',').map((x) => x.trim()).filter(Boolean);
  if (values.slurm !== undefined || values.k8s !== undefined) {
    if (values.slurm !== undefined && values.k8s !== undefined) throw new Error('--slurm and --k8s: one at a time (two folders, two commands)');
    if (values.time !== undefined && !/^(\d+-)?\d{1,2}(:\d{2}){0,2}$|^\d+$/.test(values.time)) throw new Error(`--time must be Slurm's [D-]HH:MM:SS or minutes, got "${values.time}"`);
    const gpuTflops = values['gpu-tflops'] === undefined ? undefined : Number(values['gpu-tflops']);
    if (gpuTflops !== undefined && !(gpuTflops > 0)) throw new Error(`--gpu-tflops must be a positive number, got "${values['gpu-tflops']}"`);
    const maxParallel = positive(values['max-parallel'], 'max-parallel');
    const common = { ...(only ? { only } : {}), ...(gpuTflops ? { gpuTflops } : {}) };
    let dir: string;
    let plan: ClusterPlan;
    let next: string;
    if (values.slurm !== undefined) {
      dir = resolve(values.slurm);
      plan = clusterPlan(profile, common);
      const launcher = values.launcher ?? `${shellQuote(process.execPath)} ${shellQuote(join(KIT_ROOT, 'bin', 'dgiqa.js'))}`;
      await writeFiles(dir, slurmFiles(plan, {
        dir, launcher, ...(maxParallel ? { maxParallel } : {}),
        ...(values.partition ? { partition: values.partition } : {}), ...(values.gres !== undefined ? { gres: values.gres } : {}),
        ...(values.time ? { time: values.time } : {}), ...(values.mem ? { mem: values.mem } : {}), ...(values['sbatch-extras'] ? { extras: resolve(values['sbatch-extras']) } : {}),
      }));
      next = `submit: bash ${join(dir, 'submit.sh')}`;
    } else {
      dir = resolve(values.k8s!);
      if (!values.image || !values.claim) throw new Error('--k8s needs --image (the kit built into a container image) and --claim (the shared PersistentVolumeClaim)');
      if (!values.mount.startsWith('/')) throw new Error(`--mount must be an absolute path in the container, got "${values.mount}"`);
      plan = clusterPlan(profile, { ...common, env: k8sEnv({ mount: values.mount }, without(currentEnv())) });
      await writeFiles(dir, k8sFiles(plan, { image: values.image, claim: values.claim, mount: values.mount, launcher: values.launcher ?? 'dgiqa', ...(values.namespace ? { namespace: values.namespace } : {}), ...(maxParallel ? { maxParallel } : {}) }));
      next = `apply: bash ${join(dir, 'apply.sh')}`;
    }
    process.stdout.write(`${profile.name} plan in ${dir}: ${clusterSummary(profile, plan)}\n${next}; progress: dgiqa status ${dir}\n`);
    return 0;
  }
  let runs = planOf(profile);
  if (only) runs = clusterPlan(profile, { only }).runs.map(({ index: _i, stage: _s, resources: _r, ...e }) => e);
  if (values.json && values.summary) throw new Error('--json and --summary: one at a time');
  if (values.json) {
    process.stdout.write(JSON.stringify({ profile: profile.name, runs }) + '\n');
    return 0;
  }
  if (values.summary) {
    process.stdout.write(planSummary(runs) + '\n');
    return 0;
  }
  const header = ['id', 'kind', 'experiment', 'model', 'train', 'split', 'test', 'seed', 'lr', 'epochs', 'lambda', 'selection', 'depends'];
  const t = planTotals(runs);
  const lines = [
    `plan of the ${profile.name} profile (results/${profile.name}/): ${t.trainings} trainings, ${t.evaluations} evaluations of trained models`,
    '',
    ...table([header, ...runs.map(cell)]),
    '',
    `trainings by experiment: ${Object.entries(t.byExperiment).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `estimated training compute: ${(t.gflop / 1e6).toFixed(3)} PFLOP (${Math.round(t.gflop).toLocaleString('en-US')} GFLOP): training images per epoch (from the datasets' sizes) x epochs x the cost model's training FLOPs per image; an estimate from the cost model, not a measurement (validation and test scoring not counted)`,
  ];
  if (t.unknown > 0) lines.push(`  ${t.unknown} training(s) not counted: their dataset's size is unknown without its files`);
  const hours = clusterPlan(profile, only ? { only } : {}).runs.reduce((s, e) => s + e.resources.hours, 0);
  const gpu = usesGpu(profile);
  lines.push(`estimated ${gpu ? 'GPU' : 'CPU-core'} hours: ${hours.toFixed(1)} (training with its validation and test scoring, and the evaluations, at an assumed ${gpu ? RESOURCE_DEFAULTS.gpuTflops : RESOURCE_DEFAULTS.cpuTflops} TFLOP/s sustained; src/cluster/resources.ts)`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** The settings of this process without the shared folders (Kubernetes puts them on its volume). */
function without(env: ReturnType<typeof currentEnv>): ReturnType<typeof currentEnv> {
  const { DGIQA_RESULTS: _r, DGIQA_SYNTH: _s, DGIQA_DATA: _d, DGIQA_DEPTH: _p, DGIQA_CACHE: _c, ...rest } = env;
  return rest;
}
