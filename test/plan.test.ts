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
import { readFileSync } from 'node:fs';
import { PROFILES, coursePlan, densityFile, paths, planOf, planSummary, pretrainedFor, resultPath, tsneFile } from '../src/experiments/index.js';
import { gradCamFile } from '../src/report/index.js';
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
      // an untrained scorer (NIQE) has no training set and so no rate, epochs, lambda or selection
      if (e.train === null) for (const k of ['lr', 'epochs', 'lambda', 'selection']) assert.equal(e[k], null, `${String(e.id)} ${k}`);
      else assert.ok(e.selection === 'validation' || e.selection === 'last');
    }
    const ids = new Set(out.runs.map((e) => e.id));
    for (const d of PROFILES.paper.protocol) for (let k = 0; k < PROFILES.paper.splits; k++) assert.ok(ids.has(`paper/protocol/${d}/split-${String(k).padStart(2, '0')}`), `${d} split ${k}`);
    // the full model of the ablations and the default lambda are the protocol's runs, listed once
    assert.ok(!ids.has('paper/ablation/cfg4/split-00') && !ids.has('paper/lambda/lambda-0.5/split-00'));

    const text = await run(process.execPath, [BIN, 'plan', '--profile', 'paper'], { env, maxBuffer: 1 << 24 });
    assert.match(text.stdout, /trainings by experiment: table2 70, table4 40, fig11 4, table3 4, table5 4, table6 40/);
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

/** The paper plan's entries of one experiment. */
const of = (plan: PlanEntry[], experiment: string, kind?: PlanEntry['kind']): PlanEntry[] => plan.filter((e) => e.experiment === experiment && (!kind || e.kind === kind));

test('the paper plan runs each experiment on the sets and repeats the paper names', () => {
  const profile = PROFILES.paper;
  const plan = planOf(profile);
  const byId = new Map(plan.map((e) => [e.id, e]));
  const pad = (k: number): string => String(k).padStart(2, '0');

  // two learning rates by kind of set (Sec. 4.2): every training of a synthetic set at one, of an authentic set at the other
  const synthetic = new Set(['live', 'csiq', 'tid2013', 'kadid10k']);
  const authentic = new Set(['livec', 'koniq10k', 'livefb']);
  assert.ok(profile.lrByKind && profile.lrByKind.synthetic !== profile.lrByKind.authentic);
  for (const e of plan.filter((x) => x.experiment !== 'table6' && x.train !== null)) {
    const set = e.train!;
    assert.ok(synthetic.has(set) || authentic.has(set), e.id);
    assert.equal(e.lr, synthetic.has(set) ? profile.lrByKind.synthetic : profile.lrByKind.authentic, e.id);
  }

  // Table 4: LIVE-C over the protocol's splits; its full model's runs are Table 2's LIVE-C
  const t4 = of(plan, 'table4');
  assert.ok(t4.length > 0 && t4.every((e) => e.train === 'livec' && e.kind === 'train' && e.test.join() === 'livec'));
  assert.deepEqual([...new Set(t4.map((e) => e.split))].sort((a, b) => Number(a) - Number(b)), Array.from({ length: profile.splits }, (_, k) => k));
  for (let k = 0; k < profile.splits; k++) assert.equal(byId.get(`paper/protocol/livec/split-${pad(k)}`)?.experiment, 'table2');

  // Table 5: each variant trained on all of KonIQ-10k (the full model is Table 3's), tested on LIVE-C and LIVE-FB
  const t5 = of(plan, 'table5');
  assert.ok(t5.every((e) => e.train === 'koniq10k' && e.split === 'all'));
  const t5train = of(plan, 'table5', 'train');
  assert.equal(t5train.length, 4); // every variant but the full model
  for (const e of t5train) {
    assert.deepEqual(e.test, ['livec']);
    assert.ok(t5.some((x) => x.kind === 'evaluate' && x.depends[0] === e.id && x.test.join() === 'livefb'), `${e.id} on livefb`);
  }
  const full = byId.get('paper/cross/koniq10k__full');
  assert.equal(full?.experiment, 'table3');
  assert.equal(full?.split, 'all');
  assert.deepEqual(full?.test, ['livec']);
  assert.ok(byId.has('paper/cross/koniq10k__full/test-livefb'));

  // Fig. 6: Table 3's KADID-10k model scored on LIVE, one evaluation per crop count
  const f6 = of(plan, 'fig6');
  assert.equal(f6.length, profile.cropCounts.length);
  for (const e of f6) {
    assert.equal(e.kind, 'evaluate');
    assert.equal(e.train, 'kadid10k');
    assert.deepEqual(e.test, ['live']);
    assert.deepEqual(e.depends, ['paper/cross/kadid10k__full']);
  }
  assert.equal(byId.get('paper/cross/kadid10k__full')?.experiment, 'table3');

  // Fig. 11: LIVE-C, one seed per lambda (lambda 0.5's is Table 2's LIVE-C split 0)
  const f11 = of(plan, 'fig11');
  assert.equal(f11.length, profile.lambdas.length - 1);
  assert.ok(f11.every((e) => e.train === 'livec' && e.split === 0 && e.seed === 0));
  assert.deepEqual(f11.map((e) => e.lambda).sort(), profile.lambdas.filter((l) => l !== 0.5).sort());

  // DGIQA-FR: repeated over splits, each with its own rate and fewer epochs than the NR runs
  const t6 = of(plan, 'table6');
  assert.ok(profile.fullReferenceSplits > 1);
  assert.equal(t6.length, profile.fullReference.length * profile.fullReferenceSplits);
  const nr = byId.get('paper/protocol/live/split-00')!;
  for (const id of profile.fullReference) {
    const runs = t6.filter((e) => e.train === id);
    assert.deepEqual(runs.map((e) => e.split), Array.from({ length: profile.fullReferenceSplits }, (_, k) => k));
    assert.deepEqual(runs.map((e) => e.id), runs.map((e) => `paper/full-reference/${id}/split-${pad(Number(e.split))}`));
  }
  for (const e of t6) {
    assert.equal(e.lr, profile.fullReferenceTrain.lr);
    assert.ok(e.epochs! < nr.epochs! && e.lr !== nr.lr, e.id);
  }
});

test('the demo and smoke profiles keep their single-rate, split-model course', () => {
  for (const profile of [PROFILES.demo, PROFILES.smoke]) {
    const plan = planOf(profile);
    assert.equal(profile.lrByKind, null);
    assert.equal(new Set(plan.filter((e) => e.train !== null).map((e) => e.lr)).size, 1, profile.name);
    assert.equal(of(plan, 'fig6').length, 0);
    assert.ok(of(plan, 'table5').every((e) => e.kind === 'evaluate' && e.split !== 'all'));
    assert.deepEqual(of(plan, 'table6').map((e) => e.id), profile.fullReference.map((id) => `${profile.name}/full-reference/${id}`));
    assert.equal(of(plan, 'fig11').length, profile.lambdas.filter((l) => l !== 0.5).length * profile.lambdaSplits);
  }
});

test('the paper profile refuses to train from random backbones unless asked (--from-scratch / DGIQA_FROM_SCRATCH)', () => {
  const saved = process.env.DGIQA_FROM_SCRATCH;
  try {
    delete process.env.DGIQA_FROM_SCRATCH;
    if (!process.env.DGIQA_PRETRAINED) assert.throws(() => pretrainedFor(PROFILES.paper), /profile paper: no ImageNet backbones: set DGIQA_PRETRAINED .* or pass --from-scratch/);
    assert.equal(pretrainedFor(PROFILES.paper, true), '');
    process.env.DGIQA_FROM_SCRATCH = '1';
    assert.equal(pretrainedFor(PROFILES.paper), '');
  } finally {
    if (saved === undefined) delete process.env.DGIQA_FROM_SCRATCH;
    else process.env.DGIQA_FROM_SCRATCH = saved;
  }
});

test('the studies of trained models are plan entries: one per saved result, needing the models that make it', () => {
  const idOfFile = (file: string): string => relative(paths.results, file).split('\\').join('/').replace(/\.json$/, '');
  for (const profile of [PROFILES.smoke, PROFILES.demo, PROFILES.paper]) {
    const plan = planOf(profile);
    const trainings = new Set(trainingIds(plan));
    const studies = plan.filter((e) => ['density', 'tsne', 'gradcam'].includes(e.experiment));
    // exactly the files runDensity, runTsnePanels and runGradCam save
    const files = [
      ...profile.densityScorers.flatMap((s) => profile.natural.map((set) => densityFile(profile, s, set))),
      ...profile.tsne.map((t) => tsneFile(profile, t)),
      gradCamFile(profile),
    ].map(idOfFile);
    assert.deepEqual(studies.map((e) => e.id).sort(), [...files].sort(), profile.name);
    for (const e of studies) {
      assert.equal(e.kind, 'evaluate', e.id);
      for (const d of e.depends) assert.ok(trainings.has(d), `${e.id} needs ${d}, which the plan does not train`);
      assert.equal(e.depends.length === 0, e.train === null, `${e.id}: only the untrained scorer needs no model`);
    }
  }
  // the paper's: five sets with D2G, each scored by the KonIQ-10k models of Tables 3 and 5 and by NIQE
  const paper = planOf(PROFILES.paper);
  const density = of(paper, 'density');
  assert.deepEqual([...new Set(density.flatMap((e) => e.test))], ['lol', 'd2g', 'flare7k', 'ihaze', 'gopro']);
  for (const e of density) {
    const scorer = e.id.split('/')[2];
    const want = { dgiqa: ['paper/cross/koniq10k__full'], 'rgb-only': ['paper/cross/koniq10k__cfg5'], niqe: [] }[scorer as 'dgiqa' | 'rgb-only' | 'niqe'];
    assert.deepEqual(e.depends, want, e.id);
    assert.equal(e.train, scorer === 'niqe' ? null : 'koniq10k', e.id);
  }
  // t-SNE: the ten panels of Figs. 7 and 14, within from Table 2's split 0, across from Table 3's models
  const tsne = of(paper, 'tsne');
  assert.deepEqual(tsne.map((e) => `${e.train}->${e.test[0]}:${e.depends[0]}`), [
    'koniq10k->koniq10k:paper/protocol/koniq10k/split-00', 'kadid10k->kadid10k:paper/protocol/kadid10k/split-00',
    'kadid10k->live:paper/cross/kadid10k__full', 'koniq10k->livec:paper/cross/koniq10k__full',
    'livec->livec:paper/protocol/livec/split-00', 'csiq->csiq:paper/protocol/csiq/split-00', 'tid2013->tid2013:paper/protocol/tid2013/split-00',
    'livefb->livefb:paper/protocol/livefb/split-00', 'kadid10k->tid2013:paper/cross/kadid10k__full', 'tid2013->live:paper/cross/tid2013__full',
  ]);
  // Grad-CAM with vs without depth input: Table 4's full and RGB-only models of split 0
  assert.deepEqual(of(paper, 'gradcam')[0]!.depends, ['paper/protocol/livec/split-00', 'paper/ablation/cfg5/split-00']);
  // a profile whose density models the course does not train is refused, naming why
  assert.throws(() => planOf({ ...PROFILES.paper, densityTrain: 'csiq' }), /density study's dgiqa model is trained on all of csiq, but the course trains none \(no Table 3 pair/);
  assert.throws(() => planOf({ ...PROFILES.paper, densityTrain: 'livefb' }), /density study's rgb-only model is trained on all of livefb, but the course trains none \(Table 5/);
  assert.throws(() => planOf({ ...PROFILES.paper, tsne: [{ figure: 'fig07', model: 'whole', train: 'csiq', test: 'live' }] }), /no Table 3 model is trained on all of csiq/);
});

test('the README prints the paper plan as the plan makes it (dgiqa plan --summary)', async () => {
  const readme = readFileSync(join(KIT, 'README.md'), 'utf8');
  const block = /<!-- plan:paper -->\n([\s\S]*?)\n<!-- \/plan:paper -->/.exec(readme);
  assert.ok(block, 'README.md has the paper plan block');
  assert.equal(block[1], planSummary(planOf(PROFILES.paper)), 'README.md: the paper plan is stale (npx dgiqa plan --profile paper --summary)');
  const { stdout } = await run(process.execPath, [BIN, 'plan', '--profile', 'paper', '--summary']);
  assert.equal(stdout.trim(), block[1]);
  // a table that can fail: one training fewer changes it
  assert.notEqual(planSummary(planOf({ ...PROFILES.paper, splits: 9 })), block[1]);
});
