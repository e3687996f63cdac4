// The plan on a cluster without a cluster: the Slurm scripts (submitted through a stand-in sbatch that
// records its arguments), the Kubernetes manifests against the pinned schema subset, each entry
// resolved to the course's own unit, `dgiqa job` running one entry as the course does, and `dgiqa
// status` reading the states. test/slurm.test.ts submits to a real Slurm where one can start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { PROFILES, coursePlan, datasetImages, paths, planOf } from '../src/experiments/index.js';
import type { Profile, RunResult } from '../src/experiments/index.js';
import { RESOURCE_DEFAULTS, clusterPlan, entryUnit, k8sEnv, k8sFiles, slurmFiles, stateFileOf } from '../src/cluster/index.js';
import type { ClusterPlan, JobState } from '../src/cluster/index.js';
import { validate } from './support/jsonSchema.js';
import type { Schema } from './support/jsonSchema.js';

const run = promisify(execFile);
const KIT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(KIT, 'bin', 'dgiqa.js');
const SCHEMA = JSON.parse(readFileSync(join(KIT, 'test', 'fixtures', 'k8s', 'batch-v1-job.schema.json'), 'utf8')) as Schema;

/** A child `dgiqa` with its exit code, stdout and stderr (never throws). */
async function dgiqa(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [BIN, ...args], { env, maxBuffer: 1 << 26 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

const FOLDERS = (dir: string): Record<string, string> => ({ DGIQA_RESULTS: join(dir, 'results'), DGIQA_SYNTH: join(dir, 'synth'), DGIQA_DATA: join(dir, 'datasets'), DGIQA_DEPTH: join(dir, 'depth') });

test('Slurm: one array job per stage, requests from the cost model, overrides, submit.sh chains the stages with afterok', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-slurm-files-'));
  try {
    const plan = clusterPlan(PROFILES.paper, { env: FOLDERS(dir) });
    const trainings = plan.runs.filter((e) => e.stage === 'train').length;
    assert.equal(trainings, planOf(PROFILES.paper).filter((e) => e.kind === 'train').length);
    assert.ok(plan.runs.every((e, i) => e.index === i && (i < trainings) === (e.stage === 'train')), 'trainings first, indices in order');
    const files = slurmFiles(plan, { dir, launcher: 'npx dgiqa', maxParallel: 8 });
    assert.deepEqual(Object.keys(files).sort(), ['1-train.sbatch', '2-evaluate.sbatch', 'plan.json', 'submit.sh']);
    const train = files['1-train.sbatch']!;
    assert.match(train, new RegExp(`^#SBATCH --array=0-${trainings - 1}%8$`, 'm'));
    assert.match(train, /^#SBATCH --gres=gpu:1$/m);
    assert.match(train, /^#SBATCH --signal=B:INT@\d+$/m);
    const longest = Math.max(...plan.runs.filter((e) => e.stage === 'train').map((e) => e.resources.minutes));
    const time = /^#SBATCH --time=(?:(\d+)-)?(\d\d):(\d\d):00$/m.exec(train)!;
    assert.equal(Number(time[1] ?? 0) * 1440 + Number(time[2]) * 60 + Number(time[3]), longest, 'the stage asks for its longest entry');
    assert.match(train, new RegExp(`^exec npx dgiqa job ${join(dir, 'plan.json')} --index "\\$SLURM_ARRAY_TASK_ID"$`, 'm'));
    assert.match(train, new RegExp(`^export DGIQA_RESULTS=${join(dir, 'results')}$`, 'm'));
    assert.match(files['2-evaluate.sbatch']!, new RegExp(`^#SBATCH --array=${trainings}-${plan.runs.length - 1}%8$`, 'm'));
    assert.match(files['2-evaluate.sbatch']!, /^#SBATCH --kill-on-invalid-dep=yes$/m);
    // every entry's estimate is positive, and the smoke profile asks for no GPU
    // (a set whose size the kit does not know, D2G, gets the least request and no estimate)
    assert.ok(plan.runs.every((e) => (e.resources.hours > 0 || e.test.some((id) => datasetImages(PROFILES.paper, id) === null)) && e.resources.gpus === 1));
    assert.ok(plan.runs.every((e) => e.resources.minutes >= RESOURCE_DEFAULTS.minMinutes));
    assert.deepEqual([...new Set(plan.runs.filter((e) => !(e.resources.hours > 0)).flatMap((e) => e.test))], ['d2g']);
    const smoke = slurmFiles(clusterPlan(PROFILES.smoke, { env: FOLDERS(dir) }), { dir, launcher: 'dgiqa' });
    assert.doesNotMatch(smoke['1-train.sbatch']!, /--gres/);

    // overrides and extras
    const extras = join(dir, 'extras');
    writeFileSync(extras, '# our site\n#SBATCH --account=vision\n\n#SBATCH --qos=long\n');
    const custom = slurmFiles(plan, { dir, launcher: 'dgiqa', partition: 'gpu', gres: 'gpu:a100:1', time: '2-00:00:00', mem: '64G', extras })['1-train.sbatch']!;
    for (const line of ['--partition=gpu', '--gres=gpu:a100:1', '--time=2-00:00:00', '--mem=64G', '--account=vision', '--qos=long']) assert.match(custom, new RegExp(`^#SBATCH ${line}$`, 'm'));
    writeFileSync(extras, '#SBATCH --account=vision\nmodule load cuda\n');
    assert.throws(() => slurmFiles(plan, { dir, launcher: 'dgiqa', extras }), new RegExp(`^Error: ${extras}: line 2 is not an #SBATCH option line`));
    writeFileSync(extras, '#SBATCH --array=0-3\n');
    assert.throws(() => slurmFiles(plan, { dir, launcher: 'dgiqa', extras }), /line 1: --array=0-3 is set by the plan's scripts/);

    // submit.sh through the CLI, with a stand-in sbatch that records its arguments and answers an id
    const out = join(dir, 'cluster');
    const made = await dgiqa(['plan', '--profile', 'smoke', '--slurm', out, '--max-parallel', '2', '--partition', 'cpu'], { ...process.env, ...FOLDERS(dir) });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /11 trainings, 11 evaluations; estimated [\d.]+ CPU-core hours/);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'sbatch'), `#!/bin/sh\necho "$@" >> ${join(dir, 'sbatch.log')}\nn=$(wc -l < ${join(dir, 'sbatch.log')})\necho "$((100 + n));cluster"\n`);
    chmodSync(join(bin, 'sbatch'), 0o755);
    const submitted = await run('bash', [join(out, 'submit.sh')], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    assert.equal(submitted.stdout, 'train: job 101\nevaluate: job 102\n');
    assert.deepEqual(readFileSync(join(dir, 'sbatch.log'), 'utf8').trim().split('\n'), [
      `--parsable ${join(out, '1-train.sbatch')}`,
      `--parsable --dependency=afterok:101 ${join(out, '2-evaluate.sbatch')}`,
    ]);
    assert.ok(existsSync(join(out, 'logs')));

    const bad = await dgiqa(['plan', '--profile', 'smoke', '--slurm', out, '--max-parallel', '0']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'dgiqa plan: --max-parallel must be a positive integer, got "0"\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Kubernetes: an Indexed Job per stage and the plan as a ConfigMap, valid against the pinned schema subset', async () => {
  for (const profile of [PROFILES.paper, PROFILES.smoke]) {
    const o = { image: 'registry.example/dgiqa:0.1.0', claim: 'dgiqa-shared', mount: '/shared', launcher: 'dgiqa', namespace: 'iqa', maxParallel: 4 };
    const plan = clusterPlan(profile, { env: k8sEnv(o, {}) });
    const files = k8sFiles(plan, o);
    assert.deepEqual(Object.keys(files).sort(), ['0-plan-configmap.json', '1-train-job.json', '2-evaluate-job.json', 'apply.sh', 'plan.json']);
    for (const name of Object.keys(files).filter((f) => f.endsWith('.json') && f !== 'plan.json')) {
      const manifest = JSON.parse(files[name]!) as Record<string, unknown>;
      assert.deepEqual(validate(manifest, SCHEMA), [], `${profile.name} ${name}`);
    }
    const cm = JSON.parse(files['0-plan-configmap.json']!) as { data: Record<string, string> };
    assert.equal(cm.data['plan.json'], files['plan.json']);
    assert.ok(Buffer.byteLength(files['0-plan-configmap.json']!) < 1 << 20, 'a ConfigMap holds at most 1 MiB');
    let first = 0;
    for (const [stage, file] of [['train', '1-train-job.json'], ['evaluate', '2-evaluate-job.json']] as const) {
      type Job = { spec: { completionMode: string; completions: number; parallelism: number; backoffLimitPerIndex: number; template: { spec: { restartPolicy: string; containers: { command: string[]; env: { name: string; value: string }[]; resources: { requests: Record<string, string>; limits: Record<string, string> } }[] } } } };
      const job = JSON.parse(files[file]!) as Job;
      const n = plan.runs.filter((e) => e.stage === stage).length;
      assert.equal(job.spec.completions, n);
      assert.equal(job.spec.parallelism, Math.min(4, n));
      // the API server's own rules: a per-index backoff needs the Indexed mode and restartPolicy Never
      assert.equal(job.spec.completionMode, 'Indexed');
      assert.equal(job.spec.template.spec.restartPolicy, 'Never');
      const c = job.spec.template.spec.containers[0]!;
      assert.equal(c.command[2], `exec dgiqa job /etc/dgiqa/plan.json --index $((${first} + JOB_COMPLETION_INDEX))`);
      assert.ok(c.env.some((e) => e.name === 'DGIQA_RESULTS' && e.value === '/shared/results'));
      // an extended resource is asked for through its limit only (requests would have to equal it)
      assert.equal(c.resources.limits['nvidia.com/gpu'], profile.name === 'paper' ? '1' : undefined);
      assert.equal(c.resources.requests['nvidia.com/gpu'], undefined);
      first += n;
    }
    assert.match(files['apply.sh']!, /kubectl wait -n iqa --for=condition=complete --timeout=-1s job\/dgiqa-[a-z]+-train\nkubectl apply -n iqa -f 2-evaluate-job.json/);
  }
  // the checker bites: a misspelt field, a bad quantity, a name the API refuses
  const job = JSON.parse(k8sFiles(clusterPlan(PROFILES.smoke, { env: {} }), { image: 'x', claim: 'c', mount: '/s', launcher: 'dgiqa' })['1-train-job.json']!) as { metadata: { name: string }; spec: Record<string, unknown> & { template: { spec: { containers: { resources: { requests: Record<string, string> } }[] } } } };
  job.spec.completion = 3;
  job.spec.template.spec.containers[0]!.resources.requests.memory = '4 GB';
  job.metadata.name = 'DGIQA_smoke';
  const errors = validate(job, { $ref: '#/definitions/Job' }, SCHEMA);
  for (const want of [/unknown field completion/, /"4 GB" does not match/, /"DGIQA_smoke" does not match/]) assert.ok(errors.some((e) => want.test(e)), `${want}: ${errors.join('; ')}`);
});

test('each entry of the smoke plan is the course\'s own unit: the RunSpec coursePlan queues for its folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-cluster-units-'));
  process.env.DGIQA_SYNTH = paths.synth = join(dir, 'synth');
  process.env.DGIQA_RESULTS = paths.results = join(dir, 'results');
  try {
    const profile = PROFILES.smoke;
    const course = await coursePlan(profile);
    const specs = new Map<string, unknown>();
    for (const job of course.pending) if (job.task.kind === 'run') specs.set(relative(paths.results, job.task.spec.dir), job.task.spec);
    const plan = clusterPlan(profile, { env: FOLDERS(dir) });
    for (const e of plan.runs) {
      const unit = await entryUnit(profile, e);
      if (e.kind === 'train' && e.experiment !== 'table6') assert.deepEqual(unit.spec, specs.get(e.id), e.id);
      else assert.equal(unit.spec, undefined, e.id);
    }
    assert.equal(plan.runs.filter((e) => e.kind === 'train').length, course.pending.length);
    await assert.rejects(entryUnit(profile, { ...plan.runs[0]!, id: 'smoke/protocol/synth-A/split-07' }), /^Error: plan entry smoke\/protocol\/synth-A\/split-07: not a training of the smoke profile's course/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dgiqa job runs an entry as the course does, never twice; an evaluation waits for its training; dgiqa status reads the states', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-cluster-job-'));
  const env = { ...process.env, ...FOLDERS(dir) };
  const out = join(dir, 'cluster');
  try {
    const training = 'smoke/ablation/cfg5/split-00';
    const made = await dgiqa(['plan', '--profile', 'smoke', '--slurm', out, '--only', `${training}/test-synth-B`], env);
    assert.equal(made.code, 0, made.stderr);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as ClusterPlan;
    assert.deepEqual(plan.runs.map((e) => e.id), [training, `${training}/test-synth-B`]);

    // one-line refusals: the evaluation before its training, an index past the end, a broken plan
    const early = await dgiqa(['job', out, '--index', '1'], env);
    assert.equal(early.code, 1);
    assert.equal(early.stderr.trim().split('\n').at(-1), `dgiqa job: ${join(out, 'plan.json')}: entry 1 (${training}/test-synth-B) needs ${training}, not done yet (dgiqa status shows why)`);
    const past = await dgiqa(['job', join(out, 'plan.json'), '--index', '2'], env);
    assert.equal(past.stderr, `dgiqa job: ${join(out, 'plan.json')}: no entry 2 (the plan has 2: 0 to 1)\n`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify({ ...plan, format: 'dgiqa-cluster-plan/0' }));
    assert.match((await dgiqa(['job', broken, '--index', '0'], env)).stderr, new RegExp(`^dgiqa job: ${broken}: format is "dgiqa-cluster-plan/0", expected "dgiqa-cluster-plan/1" \\(made by another version of the kit\\?\\)\\n$`));
    let status = await dgiqa(['status', out, '--all'], env);
    assert.equal(status.code, 0, 'nothing failed yet');
    assert.match(status.stdout, /done 0, running 0, failed 0, pending 2 \(of 2\)/);

    // the training by dgiqa job, then again (read back, not redone)
    const first = await dgiqa(['job', out, '--index', '0'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout.trim().split('\n').at(-1)!) as { status: string }).status, 'ran');
    const again = await dgiqa(['job', out, '--index', '0'], env);
    assert.equal((JSON.parse(again.stdout.trim().split('\n').at(-1)!) as { status: string }).status, 'already-done');
    const byJob = JSON.parse(readFileSync(join(dir, 'results', training, 'result.json'), 'utf8')) as RunResult;
    const state = JSON.parse(readFileSync(stateFileOf(plan, plan.runs[0]!), 'utf8')) as JobState;
    assert.equal(state.state, 'done');

    // the course's own unit for the same folder, in this process, in another results folder
    process.env.DGIQA_SYNTH = paths.synth = join(dir, 'synth');
    process.env.DGIQA_RESULTS = paths.results = join(dir, 'local');
    await initBackend();
    const local = (await coursePlan(PROFILES.smoke)).pending.find((j) => j.task.kind === 'run' && relative(paths.results, j.task.spec.dir) === training)!;
    const mine = (await local.local()) as RunResult;
    assert.deepEqual(byJob.predictions, mine.predictions, 'bit-identical predictions');

    // states as dgiqa status reads them: a live task, a dead one, a failure with its last lines
    const evaluation = plan.runs[1]!;
    const write = (s: Partial<JobState>): void => {
      mkdirSync(dirname(stateFileOf(plan, evaluation)), { recursive: true });
      writeFileSync(stateFileOf(plan, evaluation), JSON.stringify({ id: evaluation.id, index: 1, host: hostname(), pid: process.pid, task: 'local', started: '2026-01-01T00:00:00Z', ...s }));
    };
    write({ state: 'running' });
    status = await dgiqa(['status', out], env);
    assert.equal(status.code, 0);
    assert.match(status.stdout, new RegExp(`   1  running  ${evaluation.id}  \\(local on ${hostname()}, pid ${process.pid}`));
    write({ state: 'running', pid: 2 ** 22 + 1 });
    status = await dgiqa(['status', out], env);
    assert.equal(status.code, 1);
    assert.match(status.stdout, /failed .*the process is gone without a result/);
    write({ state: 'failed', error: 'x.png: cannot decode', lastLines: ['opening synth-B', 'x.png: cannot decode'] });
    status = await dgiqa(['status', out, '--json'], env);
    assert.equal(status.code, 1);
    const json = JSON.parse(status.stdout.trim()) as { counts: Record<string, number>; entries: { state: string; lastLines: string[] }[] };
    assert.deepEqual(json.counts, { done: 1, running: 0, failed: 1, pending: 0 });
    assert.deepEqual(json.entries[1]!.lastLines, ['opening synth-B', 'x.png: cannot decode']);
    status = await dgiqa(['status', out], env);
    assert.match(status.stdout, /last lines of 1 \(smoke\/ablation\/cfg5\/split-00\/test-synth-B\):\n {2}\| opening synth-B\n {2}\| x.png: cannot decode/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the paper profile\'s kinds of entry resolve to the course\'s units: whole-set Table 5 models, Fig. 6 rows, repeated DGIQA-FR', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-cluster-paper-units-'));
  process.env.DGIQA_SYNTH = paths.synth = join(dir, 'synth');
  process.env.DGIQA_RESULTS = paths.results = join(dir, 'results');
  try {
    // the smoke benchmark with the paper's ways of running Tables 5 and 6 and Fig. 6 (the paper's own sets need their files)
    const profile: Profile = {
      ...PROFILES.smoke, lrByKind: { synthetic: 1e-3, authentic: 5e-4 }, ablationCross: { train: 'synth-A', tests: ['synth-B', 'synth-A'] },
      cropsModel: { train: 'synth-A', test: 'synth-B' }, fullReferenceSplits: 2, fullReferenceTrain: { numEpochs: 1, lr: 2e-3 },
      // the density study on whole-set models, and a t-SNE panel from Table 3's model, as the paper's
      densityTrain: 'synth-A', tsne: [...PROFILES.smoke.tsne, { figure: 'fig14', model: 'whole', train: 'synth-A', test: 'synth-B' }],
    };
    const course = await coursePlan(profile);
    const specs = new Map<string, unknown>();
    for (const job of course.pending) if (job.task.kind === 'run') specs.set(relative(paths.results, job.task.spec.dir), job.task.spec);
    const plan = clusterPlan(profile, { env: FOLDERS(dir) });
    for (const kind of ['table5', 'fig6', 'table6', 'density', 'tsne', 'gradcam']) assert.ok(plan.runs.some((e) => e.experiment === kind), kind);
    assert.deepEqual(plan.runs.filter((e) => e.experiment === 'density' && e.train !== null).map((e) => e.depends), [['smoke/cross/synth-A__full'], ['smoke/cross/synth-A__cfg5']]);
    for (const e of plan.runs) {
      const unit = await entryUnit(profile, e);
      if (e.kind === 'train' && e.experiment !== 'table6') assert.deepEqual(unit.spec, specs.get(e.id), e.id);
      else assert.equal(unit.spec, undefined, e.id);
      // the plan's learning rate is the one the spec trains with (the synth sets are not in SYNTHETIC_DATASETS: the authentic rate)
      if (unit.spec) assert.equal((unit.spec as { trainOverrides?: { lr?: number } }).trainOverrides?.lr, e.lr, e.id);
    }
    assert.equal(plan.runs.filter((e) => e.kind === 'train').length, course.pending.length);
    assert.ok(course.pending.filter((j) => j.task.kind === 'fr').length === 2 * profile.fullReference.length);
    await assert.rejects(entryUnit(profile, { ...plan.runs.find((e) => e.experiment === 'fig6')!, id: 'smoke/crops/synth-A__synth-B/crops-3' }), /: not a (training|evaluation) of the smoke profile's course/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the README\'s cluster section gives the paper plan\'s current totals', () => {
  const readme = readFileSync(join(KIT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Run the paper\'s protocol on a cluster');
  assert.ok(start >= 0, 'the section is there');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const plan = clusterPlan(PROFILES.paper, { env: {} });
  const trainings = plan.runs.filter((e) => e.stage === 'train');
  const hours = plan.runs.reduce((s, e) => s + e.resources.hours, 0);
  const longest = Math.max(...trainings.map((e) => e.resources.minutes));
  for (const want of [
    `${trainings.length} trainings and ${plan.runs.length - trainings.length} evaluations`,
    `${hours.toFixed(1)} GPU hours`,
    `${RESOURCE_DEFAULTS.gpuTflops} TFLOP/s`,
    `${Math.floor(longest / 60)} h ${longest % 60} min`,
  ]) assert.ok(section.includes(want), `README says "${want}"`);
});
