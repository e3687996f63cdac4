// `dgiqa plan` works the course out from the profile alone. What keeps it honest: for the smoke
// profile its trainings are exactly the folders coursePlan (which opens the data) would train.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PROFILES, coursePlan, paths, planOf, resultPath } from '../src/experiments/index.js';
import type { PlanEntry } from '../src/experiments/index.js';

const run = promisify(execFile);
/** dist/test -> the worktree's root (bin/dgiqa.js runs the dist/ beside it) */
const KIT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(KIT, 'bin', 'dgiqa.js');

const trainingIds = (plan: PlanEntry[]): string[] => plan.filter((e) => e.kind === 'train').map((e) => e.id).sort();

test('the smoke plan lists the very trainings of coursePlan, without opening the data', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-plan-'));
  // the generated benchmark and the results in a temporary folder, as in course.test.ts
  process.env.DGIQA_SYNTH = paths.synth = join(dir, 'synth');
  process.env.DGIQA_RESULTS = paths.results = join(dir, 'results');
  try {
    const profile = PROFILES.smoke;
    const plan = planOf(profile); // before the benchmark exists: no data needed
    const course = await coursePlan(profile);
    assert.equal(course.saved, 0);
    const dirs = course.pending.map((job) => {
      const t = job.task as { kind: string; spec?: { dir: string }; dataset?: string };
      // DGIQA-FR saves its run beside its row (fullReference.ts: full-reference/<dataset>)
      const folder = t.kind === 'run' ? t.spec!.dir : resultPath(profile, 'full-reference', t.dataset!);
      return relative(paths.results, folder).split('\\').join('/');
    });
    assert.deepEqual(trainingIds(plan), [...dirs].sort());
    // on the embedded benchmark the estimated training images are the splits' own counts
    for (const [i, job] of course.pending.entries()) {
      const spec = (job.task as { spec?: { train: unknown[] } }).spec;
      if (spec) assert.equal(plan.find((e) => e.id === dirs[i])?.trainImages, spec.train.length, dirs[i]);
    }
    assert.equal(new Set(plan.map((e) => e.id)).size, plan.length, 'each id once');
    for (const e of plan.filter((x) => x.kind === 'evaluate')) for (const d of e.depends) assert.ok(trainingIds(plan).includes(d), `${e.id} needs ${d}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dgiqa plan --json: every entry has its fields; the paper plan needs no dataset', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-plan-cli-'));
  const env = { ...process.env, DGIQA_DATA: join(dir, 'datasets'), DGIQA_RESULTS: join(dir, 'results'), DGIQA_SYNTH: join(dir, 'synth') };
  try {
    const { stdout } = await run(process.execPath, [BIN, 'plan', '--profile', 'paper', '--json'], { env, maxBuffer: 1 << 24 });
    const last = stdout.trim().split('\n').at(-1)!;
    const out = JSON.parse(last) as { profile: string; runs: Record<string, unknown>[] };
    assert.equal(out.profile, 'paper');
    for (const e of out.runs) {
      for (const k of ['id', 'experiment', 'model', 'train', 'split', 'test', 'seed', 'lr', 'epochs', 'lambda', 'selection', 'depends']) assert.ok(k in e, `${String(e.id)} has ${k}`);
      assert.ok(Number.isInteger(e.split) || e.split === 'all');
      assert.ok(Array.isArray(e.test) && Array.isArray(e.depends));
      assert.ok(e.selection === 'validation' || e.selection === 'last');
    }
    const ids = new Set(out.runs.map((e) => e.id));
    for (const d of PROFILES.paper.protocol) for (let k = 0; k < PROFILES.paper.splits; k++) assert.ok(ids.has(`paper/protocol/${d}/split-${String(k).padStart(2, '0')}`), `${d} split ${k}`);
    // the full model of the ablations and the default lambda are the protocol's runs, listed once
    assert.ok(!ids.has('paper/ablation/cfg4/split-00') && !ids.has('paper/lambda/lambda-0.5/split-00'));

    const text = await run(process.execPath, [BIN, 'plan', '--profile', 'paper'], { env, maxBuffer: 1 << 24 });
    assert.match(text.stdout, /trainings by experiment: table2 70, table4 40, fig11 40, table3 4, table6 4/);
    assert.match(text.stdout, /estimate from the cost model, not a measurement/);

    const bad = await run(process.execPath, [BIN, 'plan', '--profile', 'nope'], { env }).then(() => null, (err: { code: number; stderr: string }) => err);
    assert.ok(bad, 'an unknown profile is refused');
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /unknown profile "nope"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
