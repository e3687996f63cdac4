// The plan on a real Slurm: a single-node cluster on localhost (munged, slurmctld, slurmd from Debian's
// slurm-wlm and munge, started here as child processes with a slurm.conf in a temporary folder, no
// cgroups), the smoke plan reduced to four entries submitted with its own submit.sh, and the results
// compared with a local run of the same entries. Reduced: the whole smoke plan is 11 trainings and 5
// evaluations, several minutes of CPU here; these four cover every path: a training scancel'ed
// mid-way and resubmitted (it resumes from the step it saved at), a training that finishes, one that
// fails (its run folder is blocked by a file) while the others go on, and an evaluation chained
// after the trainings with afterok. Skips, saying why, only where Slurm cannot start (not Linux, not
// root, a program missing, a daemon that does not come up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { platform, tmpdir, totalmem } from 'node:os';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { initBackend } from '../src/backend/index.js';
import { PROFILES, coursePlan, paths } from '../src/experiments/index.js';
import type { RunResult } from '../src/experiments/index.js';
import { entryUnit, stateFileOf } from '../src/cluster/index.js';
import type { ClusterPlan, JobState } from '../src/cluster/index.js';

const run = promisify(execFile);
const KIT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(KIT, 'bin', 'dgiqa.js');
const PROGRAMS = ['munged', 'munge', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'sinfo'];

/** Why Slurm cannot start on this machine, or undefined when it may. */
function cannotStart(): string | undefined {
  if (platform() !== 'linux') return `not Linux (${platform()})`;
  if (process.getuid?.() !== 0) return 'not root: slurmd must run as root to start jobs as their user (Debian packages slurm-wlm and munge, run as root)';
  const missing = PROGRAMS.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  if (missing.length > 0) return `${missing.join(', ')} not found (apt-get install -y --no-install-recommends slurm-wlm munge)`;
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

/** A single-node Slurm on localhost in `dir`; stop() ends what start() started. */
class LocalSlurm {
  readonly env: NodeJS.ProcessEnv;
  private readonly children: ChildProcess[] = [];
  constructor(private readonly dir: string) {
    this.env = { ...process.env, SLURM_CONF: join(dir, 'slurm.conf') };
  }

  async start(): Promise<string | undefined> {
    const d = this.dir;
    chmodSync(d, 0o755);
    mkdirSync(join(d, 'state'));
    mkdirSync(join(d, 'spool'));
    writeFileSync(join(d, 'munge.key'), randomBytes(128), { mode: 0o600 });
    const socket = join(d, 'munge.sock');
    const [ctldPort, dPort] = [await freePort(), await freePort()];
    const memMb = Math.floor((totalmem() / 2 ** 20) * 0.8);
    writeFileSync(join(d, 'slurm.conf'), [
      'ClusterName=dgiqatest', 'SlurmctldHost=localhost', 'AuthType=auth/munge', `AuthInfo=socket=${socket}`, 'CredType=cred/munge',
      'SlurmUser=root', 'SlurmdUser=root', `SlurmctldPort=${ctldPort}`, `SlurmdPort=${dPort}`,
      `StateSaveLocation=${join(d, 'state')}`, `SlurmdSpoolDir=${join(d, 'spool')}`,
      `SlurmctldPidFile=${join(d, 'slurmctld.pid')}`, `SlurmdPidFile=${join(d, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(d, 'slurmctld.log')}`, `SlurmdLogFile=${join(d, 'slurmd.log')}`,
      // no cgroups: processes tracked through /proc, tasks not bound
      'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'JobAcctGatherType=jobacct_gather/none', 'AccountingStorageType=accounting_storage/none',
      'SchedulerType=sched/backfill', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_CPU', 'MpiDefault=none', 'ReturnToService=2',
      // what scancel leaves a task to save in before SIGKILL
      'KillWait=30', 'MinJobAge=600',
      `NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=${memMb} State=UNKNOWN`,
      'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP', '',
    ].join('\n'));
    const daemon = (cmd: string, args: string[], log: string): ChildProcess => {
      const child = spawn(cmd, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      child.stdout!.on('data', (c: Buffer) => chunks.push(c));
      child.stderr!.on('data', (c: Buffer) => chunks.push(c));
      child.on('exit', () => writeFileSync(join(d, log), Buffer.concat(chunks)));
      this.children.push(child);
      return child;
    };
    daemon('munged', ['-F', `--socket=${socket}`, `--key-file=${join(d, 'munge.key')}`, `--log-file=${join(d, 'munged.log')}`, `--pid-file=${join(d, 'munged.pid')}`, `--seed-file=${join(d, 'munged.seed')}`], 'munged.out');
    try {
      await waitFor('munged', () => spawnSync('munge', ['-n', `--socket=${socket}`]).status === 0, 20_000);
      daemon('slurmctld', ['-D', '-i', '-f', join(d, 'slurm.conf')], 'slurmctld.out');
      await sleep(1000);
      daemon('slurmd', ['-D', '-N', 'localhost', '-f', join(d, 'slurm.conf')], 'slurmd.out');
      await waitFor('the node to be idle', () => spawnSync('sinfo', ['-h', '-o', '%t'], { env: this.env, encoding: 'utf8' }).stdout.trim() === 'idle', 60_000);
      return undefined;
    } catch (err) {
      const logs = ['munged.log', 'slurmctld.log', 'slurmd.log'].filter((f) => existsSync(join(d, f))).map((f) => `${f}: ${readFileSync(join(d, f), 'utf8').trim().split('\n').slice(-3).join(' / ')}`);
      return `Slurm did not start (${(err as Error).message}); ${logs.join('; ')}`;
    }
  }

  async sbatch(...args: string[]): Promise<string> {
    const { stdout } = await run('sbatch', ['--parsable', ...args], { env: this.env });
    return stdout.trim().split(';')[0]!;
  }

  /** Our cluster's jobs still queued, running or completing. */
  jobs(): string[] {
    return spawnSync('squeue', ['-h', '-o', '%i %T'], { env: this.env, encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  }

  async stop(): Promise<void> {
    if (this.children.length > 1) {
      spawnSync('scancel', ['--full', ...this.jobs().map((l) => l.split(' ')[0]!.replace(/_.*$/, ''))], { env: this.env });
      await waitFor('the jobs to end', () => this.jobs().length === 0, 60_000).catch(() => undefined);
    }
    for (const c of [...this.children].reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => c.kill('SIGKILL'))]);
    }
  }
}

const TRAIN_FAIL = 'smoke/protocol/synth-A/split-01';
const TRAIN_OK = 'smoke/ablation/cfg1/split-00';
const TRAIN_KILLED = 'smoke/ablation/cfg5/split-00';
const EVALUATION = `${TRAIN_KILLED}/test-synth-B`;

test('the smoke plan on a real Slurm: the same results as a local run, a scancel\'ed task resumes, a failure is reported while the others finish', { timeout: 20 * 60_000 }, async (t) => {
  const why = cannotStart();
  if (why) {
    process.stdout.write(`# slurm test skipped: ${why}\n`);
    t.skip(why);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-slurm-'));
  chmodSync(dir, 0o755); // munged wants every folder above its socket searchable by all
  const slurm = new LocalSlurm(join(dir, 'slurm'));
  mkdirSync(join(dir, 'slurm'));
  try {
    const failed = await slurm.start();
    if (failed) {
      process.stdout.write(`# slurm test skipped: ${failed}\n`);
      t.skip(failed);
      return;
    }
    const folders = { DGIQA_RESULTS: join(dir, 'results'), DGIQA_SYNTH: join(dir, 'synth') };
    const out = join(dir, 'cluster');
    const made = await run(process.execPath, [BIN, 'plan', '--profile', 'smoke', '--slurm', out, '--only', [TRAIN_FAIL, TRAIN_OK, EVALUATION].join(',')], { env: { ...process.env, ...folders } });
    assert.match(made.stdout, /3 trainings, 1 evaluation;/);
    const plan = JSON.parse(readFileSync(join(out, 'plan.json'), 'utf8')) as ClusterPlan;
    const index = (id: string): number => plan.runs.findIndex((e) => e.id === id);
    assert.deepEqual(plan.runs.map((e) => e.id), [TRAIN_FAIL, TRAIN_OK, TRAIN_KILLED, EVALUATION]);
    // the failing task: its run folder's "run" is a file, so the training cannot make its checkpoint folder
    mkdirSync(join(folders.DGIQA_RESULTS, TRAIN_FAIL), { recursive: true });
    writeFileSync(join(folders.DGIQA_RESULTS, TRAIN_FAIL, 'run'), 'not a folder\n');

    // phase 1: submit.sh as a user runs it; the training of TRAIN_KILLED is cancelled after its first logged steps
    const submitted = await run('bash', [join(out, 'submit.sh')], { env: slurm.env });
    const trainJob = /^train: job (\d+)$/m.exec(submitted.stdout)![1]!;
    assert.match(submitted.stdout, /^evaluate: job \d+$/m);
    const log = join(folders.DGIQA_RESULTS, TRAIN_KILLED, 'run', 'log.jsonl');
    await waitFor(`${TRAIN_KILLED} to log its first steps`, () => existsSync(log) && readFileSync(log, 'utf8').includes('"kind":"step"'), 5 * 60_000);
    await run('scancel', [`${trainJob}_${index(TRAIN_KILLED)}`], { env: slurm.env });

    // meanwhile, the same entries run locally: the course's own units, in this process, in another results folder
    process.env.DGIQA_SYNTH = paths.synth = folders.DGIQA_SYNTH; // generated by the first task, before any training logged
    process.env.DGIQA_RESULTS = paths.results = join(dir, 'local');
    await initBackend();
    const course = (await coursePlan(PROFILES.smoke)).pending;
    const local = new Map<string, RunResult>();
    for (const id of [TRAIN_OK, TRAIN_KILLED]) {
      const job = course.find((j) => j.task.kind === 'run' && j.task.spec.dir === join(paths.results, id))!;
      local.set(id, (await job.local()) as RunResult);
    }
    local.set(EVALUATION, (await (await entryUnit(PROFILES.smoke, plan.runs[index(EVALUATION)]!)).run()) as RunResult);

    await waitFor('the first submission to end', () => slurm.jobs().length === 0, 10 * 60_000);
    const state = (id: string): JobState => JSON.parse(readFileSync(stateFileOf(plan, plan.runs[index(id)]!), 'utf8')) as JobState;
    const runState = JSON.parse(readFileSync(join(folders.DGIQA_RESULTS, TRAIN_KILLED, 'run', 'state.json'), 'utf8')) as { partial?: { batches: number } };
    assert.ok(runState.partial && runState.partial.batches > 0, `scancel stopped ${TRAIN_KILLED} inside its epoch and it saved there: ${JSON.stringify(runState)}`);
    assert.equal(state(TRAIN_KILLED).stopped, true);
    let status = await run(process.execPath, [BIN, 'status', out, '--json']).then(() => assert.fail('status exits 1 with a failure'), (err: { code: number; stdout: string }) => err);
    assert.equal(status.code, 1);
    type Status = { counts: Record<string, number>; entries: { id: string; state: string; detail: string; lastLines: string[] }[] };
    let report = JSON.parse(status.stdout.trim()) as Status;
    const entry = (id: string): Status['entries'][number] => report.entries.find((e) => e.id === id)!;
    assert.deepEqual(report.entries.map((e) => e.state), ['failed', 'done', 'failed', 'pending'], JSON.stringify(report.entries));
    assert.match(entry(TRAIN_FAIL).detail, /^failed on .*: .*EEXIST/);
    assert.ok(entry(TRAIN_FAIL).lastLines.some((l) => l.startsWith('dgiqa job: ') && l.includes(join(TRAIN_FAIL, 'run'))), entry(TRAIN_FAIL).lastLines.join('\n'));
    assert.match(entry(TRAIN_KILLED).detail, /^stopped \(saved: a resubmitted task resumes\)/);

    // phase 2: the cancelled task resubmitted alone, then the evaluations after it
    const again = await slurm.sbatch(`--array=${index(TRAIN_KILLED)}`, join(out, '1-train.sbatch'));
    await slurm.sbatch(`--dependency=afterok:${again}`, join(out, '2-evaluate.sbatch'));
    await waitFor('the resubmission to end', () => slurm.jobs().length === 0, 10 * 60_000);
    assert.match(readFileSync(join(out, 'logs', `${index(TRAIN_KILLED)}.log`), 'utf8'), /resumed .* after step \d+ \(inside epoch 1\)/);
    status = await run(process.execPath, [BIN, 'status', out, '--json']).then(() => assert.fail('the failure is still reported'), (err: { code: number; stdout: string }) => err);
    report = JSON.parse(status.stdout.trim()) as Status;
    assert.deepEqual(report.counts, { done: 3, running: 0, failed: 1, pending: 0 });

    // bit-identical: every prediction of Slurm's runs equals the local run's
    for (const id of [TRAIN_OK, TRAIN_KILLED, EVALUATION]) {
      const file = id === EVALUATION ? join(folders.DGIQA_RESULTS, `${id}.json`) : join(folders.DGIQA_RESULTS, id, 'result.json');
      const onSlurm = JSON.parse(readFileSync(file, 'utf8')) as RunResult;
      assert.deepEqual(onSlurm.predictions, local.get(id)!.predictions, id);
      assert.deepEqual(onSlurm.metrics, local.get(id)!.metrics, id);
    }
  } finally {
    await slurm.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
