// The report layer on small fake results: the paper's tables with the kit's rows beside them (the
// right columns, the source of every row), the files they are written to, REPORT.md, the check for
// missing outputs, the density panels, the training-log rows, and the architecture walk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, tf } from '../src/backend/index.js';
import { Dgiqa, configFrom } from '../src/model/index.js';
import type { Environment } from '../src/util/environment.js';
import { cleanAbovePct, type DensityPanel } from '../src/experiments/density.js';
import { densitySeparation, meanInterval, pairedComparison } from '../src/eval/index.js';
import type { AblationRun, LambdaRow } from '../src/experiments/index.js';
import { lambdaFigure } from '../src/plots/index.js';
import type { ScatterTrace } from '../src/plots/index.js';
import {
  COURSE_OUTPUTS, ablationFindings, architectureWalk, curveRows, densityByDataset, densityBySubset, densityTable, depthGuidance,
  depthGuidanceFindings, depthGuidanceTable, differenceText, formatSeconds, kitSource, lambdaFindings, missingOutputs, outputFiles,
  readPaperTable, reportMarkdown, scanOutputs, shrinkHeat, table1, table2, table3, table4, table5, table6, tableDocument, tcbSavingPct,
  withInterval, writeCourseTable,
} from '../src/report/index.js';
import type { AblationInput, CourseTable } from '../src/report/index.js';
import {
  lossTermRows, lossTermsFigure, protocolSplitSpec, selectionFigure, selectionRows, startFigure, startTable,
} from '../src/report/index.js';
import type { StartRun } from '../src/report/index.js';
import { PROFILES, paths, protocolSpecs } from '../src/experiments/index.js';
import type { RunResult } from '../src/experiments/index.js';

const ENV: Environment = {
  node: 'v20.0.0', platform: 'linux test', cpu: 'Test CPU', cores: 2, memoryGb: 8, backend: 'wasm', gpu: false,
  backendMessage: 'backend: wasm (test)', packages: { '@tensorflow/tfjs-core': '4.22.0' },
};

const columnKeys = (t: CourseTable): string[] => t.columns.map((c) => (typeof c === 'string' ? c : c.key));

/** A run of the ablation study; unset scores are `base` (NaN for the distortion groups, as on a set without types). */
function run(split: number, scores: Partial<Omit<AblationRun, 'split'>> = {}, base = 0.5): AblationRun {
  return { split, srocc: base, plcc: base, crossSrocc: base, crossPlcc: base, depthDependentSrocc: NaN, depthIndependentSrocc: NaN, ...scores };
}

type Switches = Pick<AblationInput, 'cfg' | 'name' | 'tcb' | 'depthCar' | 'dilation' | 'depth' | 'paperParams' | 'params'>;

/** An ablation row as `runAblations` saves it: means, intervals and the comparison with `full`'s runs, from its runs. */
function ablationRow(s: Switches, runs: AblationRun[], full?: AblationRun[]): AblationInput {
  const col = (k: keyof AblationRun, rs = runs): number[] => rs.map((r) => r[k]);
  const ci = (k: keyof AblationRun): [number, number] => {
    const iv = meanInterval(col(k));
    return [iv.lo, iv.hi];
  };
  return {
    ...s,
    srocc: meanInterval(col('srocc')).mean, plcc: meanInterval(col('plcc')).mean,
    crossSrocc: meanInterval(col('crossSrocc')).mean, crossPlcc: meanInterval(col('crossPlcc')).mean,
    sroccCi: ci('srocc'), plccCi: ci('plcc'), crossSroccCi: ci('crossSrocc'),
    ...(full ? { vsFull: { srocc: pairedComparison(col('srocc'), col('srocc', full)), crossSrocc: pairedComparison(col('crossSrocc'), col('crossSrocc', full)) } } : {}),
    runs,
  };
}

const FULL: Switches = { cfg: 4, name: 'DGIQA full', tcb: true, depthCar: true, dilation: true, depth: true, paperParams: 102_878_829, params: 1_668_441 };
const NO_TCB: Switches = { cfg: 3, name: 'DGIQA without TCB', tcb: false, depthCar: true, dilation: true, depth: true, paperParams: 127_554_869, params: 2_616_541 };
const RGB_ONLY: Switches = { cfg: 5, name: 'RGB only (no depth input)', tcb: true, depthCar: false, dilation: true, depth: false, paperParams: 90_000_000, params: 1_500_000 };

// Student's t with 2 degrees of freedom has closed forms: the expected numbers of 3-split tests are
// computed from these, not from the library's @stdlib quantile and CDF.
const T975_DF2 = (2 * 0.975 - 1) * Math.sqrt(2 / (4 * 0.975 * 0.025));
const pDf2 = (t: number): number => 1 - Math.abs(t) / Math.sqrt(2 + t * t);
/** Mean, 95% interval and two-sided p of 3 values, by hand. */
function byHand3(v: number[]): { mean: number; lo: number; hi: number; p: number } {
  const mean = (v[0]! + v[1]! + v[2]!) / 3;
  const se = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / 2) / Math.sqrt(3);
  return { mean, lo: mean - T975_DF2 * se, hi: mean + T975_DF2 * se, p: pDf2(mean / se) };
}
const f3 = (x: number): string => x.toFixed(3);
const s3 = (x: number): string => `${x > 0 ? '+' : ''}${x.toFixed(3)}`;

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'dgiqa-report-'));
}

test('readPaperTable: numbers as numbers, empty cells as null', () => {
  const t2 = readPaperTable(2);
  assert.equal(t2.length, 13);
  const dgiqa = t2.find((r) => r.model === 'DGIQA')!;
  assert.equal(dgiqa.LIVE_srocc, 0.982);
  assert.equal(dgiqa['LIVE-FB_plcc'], 0.685);
  assert.equal(t2.find((r) => r.model === 'MUSIQ')!.CSIQ_srocc, null);
  assert.equal(readPaperTable(4).find((r) => r.cfg === 4)!.params, '103M');
});

test('kitSource says embedded benchmark results cannot be compared with the paper', () => {
  assert.equal(kitSource('demo', ['synth-A']), 'this run, profile demo, embedded benchmark synth-A (not comparable with the paper)');
  assert.equal(kitSource('paper', ['koniq10k', 'livec'], ' -> '), 'this run, profile paper, official files koniq10k -> livec');
});

test('table2: the kit\'s rows beside the paper\'s, extra columns for the embedded benchmark, every row with a source', () => {
  const t = table2('smoke', [{ dataset: 'synth-A', splits: 2, srocc: { mean: 0.5, std: 0.1 }, plcc: { mean: 0.6, std: 0.05 } }]);
  const keys = columnKeys(t);
  assert.equal(keys[0], 'model');
  assert.deepEqual(keys.slice(1, 3), ['LIVE_srocc', 'LIVE_plcc']);
  assert.ok(keys.includes('synth-A_srocc') && keys.indexOf('synth-A_srocc') > keys.indexOf('LIVE-FB_plcc'), 'kit datasets after the paper\'s');
  assert.equal(keys[keys.length - 1], 'source');
  assert.equal(t.rows.length, 15);
  assert.ok(t.rows.slice(0, 13).every((r) => r.source === 'paper'));
  const [mean, std] = t.rows.slice(13);
  assert.equal(mean!.model, 'DGIQA (this kit), mean');
  assert.equal(mean!['synth-A_srocc'], 0.5);
  assert.equal(std!['synth-A_plcc'], 0.05);
  assert.equal(mean!.LIVE_srocc, undefined);
  assert.match(String(mean!.source), /profile smoke, embedded benchmark synth-A \(not comparable with the paper\)/);
  const md = tableDocument(t);
  assert.match(md, /^# Table 2/);
  assert.match(md, /\| DGIQA \(this kit\), mean \| - \| - \|/);
  // with a real dataset the kit's numbers go in the paper's own columns
  const real = table2('paper', [{ dataset: 'live', splits: 10, srocc: { mean: 0.97, std: 0.01 }, plcc: { mean: 0.96, std: 0.01 } }]);
  assert.equal(columnKeys(real).length, columnKeys(table2('smoke', [])).length);
  assert.equal(real.rows[13]!.LIVE_srocc, 0.97);
  assert.equal(real.rows[13]!.source, 'this run, profile paper, official files live');
});

test('table3, table5 and table6 map dataset ids to the paper\'s names', () => {
  const t3 = table3('demo', [{ train: 'koniq10k', test: 'livec', srocc: 0.8, plcc: 0.82 }, { train: 'synth-A', test: 'synth-B', srocc: 0.4, plcc: 0.5 }]);
  const kit = t3.rows.filter((r) => r.source !== 'paper');
  assert.deepEqual(kit.map((r) => [r.train, r.test, r.model]), [['KonIQ-10k', 'LIVE-C', 'DGIQA (this kit)'], ['synth-A', 'synth-B', 'DGIQA (this kit)']]);
  assert.match(String(kit[1]!.source), /synth-A -> synth-B \(not comparable/);
  // one split (the smoke profile): means alone, no interval, no test
  const fullRuns = [run(0, { srocc: 0.5, plcc: 0.6, crossSrocc: 0.3, crossPlcc: 0.35 })];
  const rows: AblationInput[] = [ablationRow({ ...FULL, name: 'v4' }, fullRuns), ablationRow({ ...NO_TCB, name: 'v3' }, [run(0, { crossSrocc: 0.2 })], fullRuns)];
  const t5 = table5('demo', 'synth-A', 'synth-B', rows);
  assert.ok(columnKeys(t5).includes('LIVE-C_srocc') && columnKeys(t5).includes('synth-B_srocc'));
  assert.equal(t5.rows.find((r) => r.config === 'v4')!['synth-B_plcc'], '0.350');
  const v3 = t5.rows.find((r) => r.config === 'v3')!;
  assert.deepEqual([v3['synth-B_srocc'], v3.splits, v3.vs_full, v3.p_vs_full, v3.significant], ['0.200', 1, '-0.100', null, null]);
  assert.ok(t5.notes.some((n) => /One split per variant/.test(n)), t5.notes.join(' | '));
  const t6 = table6('smoke', [{ dataset: 'synth-A', srocc: 0.9, plcc: 0.91 }, { dataset: 'synth-B', srocc: 0.8, plcc: 0.81 }]);
  const fr = t6.rows.find((r) => r.model === 'DGIQA-FR (this kit)')!;
  assert.deepEqual([fr['synth-A_srocc'], fr['synth-B_plcc']], [0.9, 0.81]);
  assert.equal(t6.rows.filter((r) => r.source === 'paper').length, 8);
});

test('table4: yes/no switches, parameter counts, and the TCB saving in the notes', () => {
  assert.equal(tcbSavingPct(80, 100), 20);
  const full = [run(0, { srocc: 0.55, plcc: 0.65 }), run(1, { srocc: 0.6, plcc: 0.7 }), run(2, { srocc: 0.65, plcc: 0.75 })];
  const rows: AblationInput[] = [
    ablationRow(NO_TCB, [run(0, { srocc: 0.5 }), run(1, { srocc: 0.56 }), run(2, { srocc: 0.6 })], full),
    ablationRow(FULL, full),
    ablationRow(RGB_ONLY, full.map((r) => ({ ...r, srocc: r.srocc - 0.05 })), full),
  ];
  const t = table4('demo', 'synth-A', rows);
  const kit = t.rows.filter((r) => r.source !== 'paper');
  assert.deepEqual(kit.map((r) => [r.cfg, r.tcb, r.depth_car, r.depth, r.params, r.params_paper_size]), [[3, 'no', 'yes', 'yes', 2_616_541, 127_554_869], [4, 'yes', 'yes', 'yes', 1_668_441, 102_878_829], [5, 'yes', 'no', 'no', 1_500_000, 90_000_000]]);
  assert.equal(kit[2]!.config, 'RGB only (no depth input) (kit\'s addition, not in the paper)');
  const paperFull = t.rows.find((r) => r.source === 'paper' && r.cfg === 4)!;
  assert.equal(paperFull.params_paper_size, '103M');
  assert.equal(paperFull.config, 'DGIQA full');
  assert.equal(paperFull.srocc, 0.891, 'the paper\'s rows stay as printed');
  assert.ok(t.notes.some((n) => n.includes('19.3%') && n.includes('23.3%')), t.notes.join(' | '));
  assert.ok(t.notes.some((n) => /kit's addition, not a row of the paper/.test(n)));
  // the full model: mean with its interval, 3 splits, no comparison with itself
  const h = byHand3([0.55, 0.6, 0.65]);
  assert.equal(kit[1]!.srocc, `0.600 [${f3(h.lo)}, ${f3(h.hi)}]`);
  assert.deepEqual([kit[1]!.splits, kit[1]!.vs_full, kit[1]!.significant], [3, null, null]);
  // without TCB: differences -0.05, -0.04, -0.05 (an interval below 0); RGB only: exactly -0.05 each time (no spread, no p)
  const d = byHand3([-0.05, -0.04, -0.05]);
  assert.equal(kit[0]!.vs_full, `${s3(d.mean)} [${s3(d.lo)}, ${s3(d.hi)}]`);
  assert.equal(kit[0]!.p_vs_full, f3(d.p));
  assert.equal(kit[0]!.significant, 'yes');
  const md = tableDocument(t);
  assert.match(md, /\| SROCC − full \[95% CI\] \| p \(paired t\) \| significant \(95%\) \|/);
  assert.ok(md.includes(`| 3 | ${kit[0]!.vs_full} | ${f3(d.p)} | yes |`), md);
});

test('intervals print as mean [lo, hi], the mean alone without one; differences are signed', () => {
  assert.equal(withInterval(0.812, [0.774, 0.85]), '0.812 [0.774, 0.850]');
  assert.equal(withInterval(0.812, [NaN, NaN]), '0.812');
  assert.equal(withInterval(NaN, [NaN, NaN]), null);
  assert.equal(differenceText({ n: 3, meanDiff: -0.031, lo: -0.052, hi: -0.01, p: 0.01, significant: true, level: 0.95 }), '-0.031 [-0.052, -0.010]');
  assert.equal(differenceText({ n: 3, meanDiff: 0.02, lo: -0.01, hi: 0.05, p: 0.2, significant: false, level: 0.95 }), '+0.020 [-0.010, +0.050]');
});

test('a significant difference is marked, a non-significant one is not, in the tables and the findings', () => {
  const full = [run(0, { srocc: 0.8, crossSrocc: 0.6 }), run(1, { srocc: 0.7, crossSrocc: 0.5 }), run(2, { srocc: 0.9, crossSrocc: 0.7 })];
  // within: the variant is about 0.1 lower on every split (small spread: significant); across: -0.1, +0.1, +0.06 (not significant)
  const variant = [run(0, { srocc: 0.7, crossSrocc: 0.5 }), run(1, { srocc: 0.61, crossSrocc: 0.6 }), run(2, { srocc: 0.8, crossSrocc: 0.76 })];
  const rows = [ablationRow(NO_TCB, variant, full), ablationRow(FULL, full)];
  const t4 = table4('demo', 'synth-A', rows).rows.find((r) => r.cfg === 3 && r.source !== 'paper')!;
  const t5 = table5('demo', 'synth-A', 'synth-B', rows).rows.find((r) => r.config === 'DGIQA without TCB' && r.source !== 'paper')!;
  assert.equal(t4.significant, 'yes');
  assert.equal(t5.significant, 'no');
  const [line] = ablationFindings(rows);
  assert.match(line!, /^DGIQA without TCB: SROCC minus the full model's -0\.097 \[.*\] \(p = [0-9.]+\): significantly lower than the full model \(95%\); across datasets \+0\.020 \[.*\] \(p = [0-9.]+\): not significant at 95%/);
});

test('ablation rows saved by an older kit get a one-line error naming the file', () => {
  const old = { cfg: 4, name: 'DGIQA full', tcb: true, depthCar: true, dilation: true, paperParams: 1, params: 1, srocc: 0.5, plcc: 0.6, crossSrocc: 0.3, crossPlcc: 0.35 } as unknown as AblationInput;
  assert.throws(() => table4('demo', 'synth-A', [old]), /results[\\/]demo[\\/]ablation[\\/]summary\.json: row "DGIQA full" has no depth, sroccCi, plccCi, crossSroccCi, runs \(saved by an older kit/);
  assert.throws(() => table5('demo', 'synth-A', 'synth-B', [old]), /summary\.json: row "DGIQA full"/);
  assert.throws(() => depthGuidanceTable('demo', 'synth-A', [old]), /summary\.json: row "DGIQA full"/);
});

test('depth guidance: full against RGB only per distortion group, paired by split, numbers by hand', () => {
  // 3 splits; the RGB-only runs come in another order, so pairing must go by split number
  const full = [
    run(0, { srocc: 0.75, depthDependentSrocc: 0.8, depthIndependentSrocc: 0.6 }),
    run(1, { srocc: 0.72, depthDependentSrocc: 0.79, depthIndependentSrocc: 0.65 }),
    run(2, { srocc: 0.78, depthDependentSrocc: 0.81, depthIndependentSrocc: 0.7 }),
  ];
  const rgbOnly = [
    run(2, { srocc: 0.7, depthDependentSrocc: 0.6, depthIndependentSrocc: 0.66 }),
    run(0, { srocc: 0.7, depthDependentSrocc: 0.6, depthIndependentSrocc: 0.54 }),
    run(1, { srocc: 0.71, depthDependentSrocc: 0.6, depthIndependentSrocc: 0.69 }),
  ];
  const rows = [ablationRow(FULL, full), ablationRow(NO_TCB, full, full), ablationRow(RGB_ONLY, rgbOnly, full)];
  const t = depthGuidanceTable('demo', 'synth-A', rows);
  assert.equal(t.name, 'table-depth-guidance');
  const [dep, indep, all] = t.rows;
  // depth-dependent: full 0.80, 0.79, 0.81; RGB only 0.60 each time; differences 0.20, 0.19, 0.21
  const fd = byHand3([0.8, 0.79, 0.81]);
  const dd = byHand3([0.2, 0.19, 0.21]);
  assert.deepEqual([dep!.group, dep!.distortions, dep!.splits], ['depth-dependent', 'haze, defocus', 3]);
  assert.equal(dep!.full, `0.800 [${f3(fd.lo)}, ${f3(fd.hi)}]`);
  assert.equal(dep!.rgb_only, '0.600 [0.600, 0.600]');
  assert.equal(dep!.diff, `+0.200 [${s3(dd.lo)}, ${s3(dd.hi)}]`);
  assert.ok(dd.p < 0.001);
  assert.deepEqual([dep!.p, dep!.significant], ['<0.001', 'yes']);
  // the control: full 0.60, 0.65, 0.70; RGB only 0.54, 0.69, 0.66; differences 0.06, -0.04, 0.04
  const fi = byHand3([0.6, 0.65, 0.7]);
  const ri = byHand3([0.54, 0.69, 0.66]);
  const di = byHand3([0.06, -0.04, 0.04]);
  assert.equal(indep!.group, 'depth-independent (control)');
  assert.ok(!String(indep!.distortions).includes('haze') && String(indep!.distortions).includes('jpeg'));
  assert.ok(!String(indep!.distortions).includes('salt_pepper'), 'only the types of synth-A\'s family');
  assert.equal(indep!.full, `0.650 [${f3(fi.lo)}, ${f3(fi.hi)}]`);
  assert.equal(indep!.rgb_only, `0.630 [${f3(ri.lo)}, ${f3(ri.hi)}]`);
  assert.equal(indep!.diff, `+0.020 [${s3(di.lo)}, ${s3(di.hi)}]`);
  assert.deepEqual([indep!.p, indep!.significant], [f3(di.p), 'no']);
  // all distortions: differences 0.05, 0.01, 0.08
  const da = byHand3([0.05, 0.01, 0.08]);
  assert.equal(all!.diff, `${s3(da.mean)} [${s3(da.lo)}, ${s3(da.hi)}]`);
  assert.ok(t.rows.every((r) => String(r.source).startsWith('this run, profile demo')));
  const groups = depthGuidance(rows, 'synth-A');
  assert.ok(Math.abs(groups[0]!.diff!.meanDiff - 0.2) < 1e-12 && Math.abs(groups[0]!.diff!.p - dd.p) < 1e-9);
  const lines = depthGuidanceFindings(groups);
  assert.match(lines[0]!, /^Depth-dependent distortions \(haze, defocus\): full 0\.800 .*significantly higher than the RGB-only model/);
  assert.match(lines[1]!, /^Depth-independent distortions, the control \(.*not significant at 95%/);
});

test('depth guidance on a set without distortion types: only the "all" row, and a note', () => {
  const full = [run(0, { srocc: 0.7 }), run(1, { srocc: 0.8 })];
  const rows = [ablationRow(FULL, full), ablationRow(RGB_ONLY, [run(0, { srocc: 0.6 }), run(1, { srocc: 0.75 })], full)];
  const t = depthGuidanceTable('paper', 'koniq10k', rows);
  assert.deepEqual(t.rows.map((r) => r.splits), [0, 0, 2]);
  assert.deepEqual([t.rows[0]!.full, t.rows[0]!.diff, t.rows[0]!.significant], [null, null, null]);
  assert.ok(t.notes.some((n) => /no distortion types/.test(n)));
  assert.match(tableDocument(t), /\| depth-dependent \| haze, defocus \| 0 \| - \| - \| - \| - \| - \|/);
  assert.throws(() => depthGuidanceTable('paper', 'koniq10k', [rows[0]!]), /no RGB-only model/);
});

test('fig11 from the lambda sweep: means with 95% error bars, the number of splits in the title', () => {
  const sweep: LambdaRow[] = [
    { lambda: 1, srocc: 0.8, plcc: 0.82, sroccCi: [0.75, 0.86], plccCi: [0.8, 0.85], vsDefault: pairedComparison([0.8, 0.7, 0.9], [0.82, 0.71, 0.93]), runs: [0, 1, 2].map((split) => ({ split, srocc: 0.8, plcc: 0.82 })) },
    { lambda: 0.5, srocc: 0.82, plcc: 0.84, sroccCi: [0.8, 0.83], plccCi: [0.81, 0.9], runs: [0, 1, 2].map((split) => ({ split, srocc: 0.82, plcc: 0.84 })) },
  ];
  const fig = lambdaFigure(sweep, { title: 'Fig. 11' });
  assert.equal(fig.title, 'Fig. 11 (mean of 3 splits per point; bars: 95% t intervals)');
  const [srocc, plcc] = fig.data as ScatterTrace[];
  assert.deepEqual(srocc!.x, [0.5, 1]);
  assert.equal(srocc!.error_y!.type, 'data');
  assert.deepEqual(srocc!.error_y!.array.map(f3), ['0.010', '0.060']);
  assert.deepEqual(srocc!.error_y!.arrayminus.map(f3), ['0.020', '0.050']);
  assert.deepEqual(plcc!.error_y!.array.map(f3), ['0.060', '0.030']);
  // one split (smoke): no bars, and the title says so
  const single = lambdaFigure(sweep.map((r) => ({ ...r, sroccCi: [NaN, NaN], plccCi: [NaN, NaN], runs: r.runs.slice(0, 1) })));
  assert.equal((single.data[0] as ScatterTrace).error_y, undefined);
  assert.match(single.title, /\(1 split per point: no interval\)$/);
  assert.match(lambdaFindings(sweep)[0]!, /^λ = 1: SROCC 0\.800 \[0\.750, 0\.860\]; minus the default λ = 0\.5: -0\.020 \[.*\] \(p = [0-9.]+\): /);
});

test('table1: the paper\'s datasets, then this run\'s', () => {
  const t = table1([{ dataset: 'synth-A', type: 'synthetic + natural (embedded)', images: 144, distortions: 12, score: 'score01', source: 'this run, profile smoke, embedded benchmark (generated)' }]);
  assert.equal(t.rows.length, 8);
  assert.equal(t.rows[7]!.images, 144);
  assert.ok(t.notes.some((n) => /cannot be compared/.test(n)));
});

test('writeCourseTable writes Markdown with title and notes, and CSV with a source column', async () => {
  const dir = await tempDir();
  try {
    const t = table3('smoke', [{ train: 'synth-A', test: 'synth-B', srocc: 0.1234, plcc: -0.5 }]);
    const { markdown, csv } = await writeCourseTable(t, dir);
    assert.equal(markdown, join(dir, 'table3-cross-dataset.md'));
    const md = await readFile(markdown, 'utf8');
    assert.match(md, /^# Table 3/);
    assert.match(md, /^- Paper rows/m);
    const lines = (await readFile(csv, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'train,test,model,srocc,plcc,source');
    assert.equal(lines[lines.length - 1], 'synth-A,synth-B,DGIQA (this kit),0.123,-0.500,"this run, profile smoke, embedded benchmark synth-A -> synth-B (not comparable with the paper)"');
    await assert.rejects(writeCourseTable({ ...t, name: '../x' }, dir), /not a plain file name/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('missingOutputs and scanOutputs: expected files, figures and tables grouped by name', async () => {
  const dir = await tempDir();
  try {
    const all = COURSE_OUTPUTS.flatMap((o) => outputFiles(o));
    assert.deepEqual(missingOutputs(dir), all);
    for (const f of ['fig06-crops.html', 'fig06-crops.png', 'fig06-crops.svg', 'table2-benchmarks.csv', 'table2-benchmarks.md', 'extra-plot.html', 'REPORT.md']) await writeFile(join(dir, f), 'x');
    const missing = missingOutputs(dir);
    assert.equal(missing.length, all.length - 5);
    assert.ok(!missing.includes('fig06-crops.png') && missing.includes('fig11-lambda.svg'));
    // without Chromium only the HTML of a figure is expected
    assert.ok(!missingOutputs(dir, false).some((f) => f.endsWith('.png') || f.endsWith('.svg')));
    const { figures, tables } = scanOutputs(dir);
    assert.deepEqual(figures.map((g) => g.name), ['fig06-crops', 'extra-plot']);
    assert.deepEqual(figures[0]!.files, ['fig06-crops.html', 'fig06-crops.png', 'fig06-crops.svg']);
    assert.deepEqual(tables.map((g) => g.name), ['table2-benchmarks']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('reportMarkdown: profile, notebook times, links to every output, the environment, and the warning for the embedded benchmark', async () => {
  const dir = await tempDir();
  try {
    for (const f of ['fig08-density.html', 'fig08-density.png', 'table4-ablation.md', 'table4-ablation.csv']) await writeFile(join(dir, f), 'x');
    const notebooks = [
      { notebook: '01-environment.ipynb', seconds: 6.8, ok: true, executed: join(dir, '..', 'executed', '01-environment.ipynb') },
      { notebook: '02-data.ipynb', seconds: 125, ok: false, error: 'cell 4: Error: boom' },
      { notebook: '03-model.ipynb', seconds: 0, ok: false, skipped: true },
    ];
    const md = reportMarkdown({ profile: 'smoke', figuresDir: dir, notebooks, environment: ENV, missing: ['fig06-crops.png'], date: '2026-01-01' });
    assert.match(md, /^# DGIQA kit: reproduction report/);
    assert.match(md, /Profile \*\*smoke\*\*, run of 2026-01-01/);
    assert.match(md, /cannot be compared with the paper's numbers/);
    assert.match(md, /\| 01-environment\.ipynb \| 6\.8 s \| ok \| \[01-environment\.ipynb\]\(\.\.\/executed\/01-environment\.ipynb\) \|/);
    assert.match(md, /\| 02-data\.ipynb \| 2 min 05 s \| failed \| - \|/);
    assert.match(md, /\| 03-model\.ipynb \| - \| not run \| - \|/);
    assert.match(md, /## Failures\n\n- \*\*02-data\.ipynb\*\*: cell 4: Error: boom/);
    assert.match(md, /## Missing outputs\n\n- fig06-crops\.png/);
    assert.match(md, /- \*\*fig08-density\*\*: Fig\. 8: [^\n]*\(\[PNG\]\(fig08-density\.png\)\)/);
    // figures/*.html is not committed: the report links only files that are
    assert.doesNotMatch(md, /\]\([^)]*\.html\)/);
    assert.match(md, /- \*\*table4-ablation\*\*: Table 4[^\n]*\[CSV\]\(table4-ablation\.csv\)/);
    assert.match(md, /## Environment\n\n- backend: \*\*wasm\*\*/);
    const paper = reportMarkdown({ profile: 'paper', figuresDir: dir, notebooks: notebooks.slice(0, 1), environment: ENV, missing: [] });
    assert.doesNotMatch(paper, /cannot be compared/);
    assert.doesNotMatch(paper, /## Failures|## Missing outputs/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('formatSeconds', () => {
  assert.equal(formatSeconds(6.84), '6.8 s');
  assert.equal(formatSeconds(125), '2 min 05 s');
  assert.equal(formatSeconds(3 * 3600 + 7 * 60), '3 h 07 min');
});

test('density panels: per subset and scorer (Fig. 8), pooled per dataset and scorer (Fig. 2), and their table', () => {
  const clean = [0.8, 0.85, 0.9, 0.82];
  const panel = (subset: string, distorted: number[], scorer: DensityPanel['scorer'] = 'dgiqa'): DensityPanel => ({ dataset: 'synth-B', subset, scorer, clean, distorted, ...densitySeparation(clean, distorted) });
  // given scorer-major (as runDensity returns them), shown distortion-major with the scorers side by side
  const panels = [panel('haze', [0.4, 0.5, 0.45]), panel('low_light', [0.6, 0.7, 0.65]), panel('haze', [0.7, 0.75, 0.72], 'niqe'), panel('low_light', [0.3, 0.2, 0.25], 'niqe')];
  const bySubset = densityBySubset(panels);
  assert.deepEqual(bySubset.map((p) => p.dataset), [
    'synth-B: haze · DGIQA', 'synth-B: haze · NIQE (lower is better)', 'synth-B: low_light · DGIQA', 'synth-B: low_light · NIQE (lower is better)',
  ]);
  assert.equal(bySubset[0]!.overlapPct, panels[0]!.overlap_pct);
  assert.equal(bySubset[1]!.overlapPct, panels[2]!.overlap_pct);
  const byDataset = densityByDataset(panels);
  assert.deepEqual(byDataset.map((p) => p.dataset), ['synth-B: all natural distortions · DGIQA', 'synth-B: all natural distortions · NIQE (lower is better)']);
  assert.deepEqual(byDataset[0]!.distorted, [0.4, 0.5, 0.45, 0.6, 0.7, 0.65]);
  assert.deepEqual(byDataset[1]!.distorted, [0.7, 0.75, 0.72, 0.3, 0.2, 0.25]);
  // repeating the clean scores leaves their fit unchanged
  assert.ok(Math.abs(byDataset[0]!.fitted.mean_clean - panels[0]!.mean_clean) < 1e-12);
  assert.ok(Math.abs(byDataset[0]!.fitted.std_clean - panels[0]!.std_clean) < 1e-12);
  const t = densityTable('demo', panels);
  assert.deepEqual(t.rows.map((r) => `${r.subset} ${r.scorer}`), [
    'haze DGIQA', 'haze NIQE (lower is better)', 'low_light DGIQA', 'low_light NIQE (lower is better)', 'all (Fig. 2) DGIQA', 'all (Fig. 2) NIQE (lower is better)',
  ]);
  assert.ok(t.rows.every((r) => String(r.source).includes('not comparable')));
  // panels saved without their pairing (an older kit) leave the pairs column empty
  assert.ok(t.rows.every((r) => Number.isNaN(r.clean_above_pct)));
});

test('the pairs criterion: clean scored better than its distorted version, at level 3 and worse, in the scorer\'s direction', () => {
  // clean scores 0.8 and 0.6; distorted: level 1 (not counted), level 3 and 5 of each clean image
  const clean = [0.8, 0.6];
  const distorted = [0.9, 0.7, 0.5, 0.1, 0.65, 0.2];
  const pairs = [{ clean: 0, level: 1 }, { clean: 0, level: 3 }, { clean: 0, level: 5 }, { clean: 1, level: 1 }, { clean: 1, level: 3 }, { clean: 1, level: 5 }];
  const panel = (scorer: DensityPanel['scorer'], subset: string): DensityPanel => ({ dataset: 'synth-B', subset, scorer, clean, distorted, pairs, ...densitySeparation(clean, distorted) });
  // DGIQA (higher is better): 0.8 > 0.7, 0.8 > 0.5, 0.6 < 0.65, 0.6 > 0.2: 3 of 4
  assert.deepEqual(cleanAbovePct(panel('dgiqa', 'haze')), { pct: 75, above: 3, n: 4 });
  // NIQE (lower is better): 1 of 4
  assert.deepEqual(cleanAbovePct(panel('niqe', 'haze')), { pct: 25, above: 1, n: 4 });
  // a set without levels counts every pair: 0.8 < 0.9 and 0.6 > 0.1 join them, 4 of 6
  assert.deepEqual(cleanAbovePct({ ...panel('dgiqa', 'x'), pairs: pairs.map((p) => ({ ...p, level: null })) }), { pct: (100 * 4) / 6, above: 4, n: 6 });
  // the table's pooled row counts every pair of the dataset's subsets
  const t = densityTable('demo', [panel('dgiqa', 'haze'), { ...panel('dgiqa', 'blur'), distorted: [0.9, 0.1, 0.1, 0.1, 0.1, 0.1] }]);
  const pooledRow = t.rows.find((r) => r.subset === 'all (Fig. 2)')!;
  assert.equal(pooledRow.clean_above_pct, 87.5);
  assert.equal(pooledRow.pairs_counted, 8);
});

test('curveRows keeps the step records of a training log', () => {
  const log: Record<string, number | string>[] = [
    { kind: 'step', epoch: 1, step: 2, loss: 0.3, lr: 1e-3 },
    { kind: 'step', epoch: 1, step: 4, loss: 0.2, lr: 1e-3 },
    { kind: 'epoch', epoch: 1, loss: 0.25, lr: 1e-3, seconds: 10 },
  ];
  assert.deepEqual(curveRows(log), [{ step: 2, epoch: 1, loss: 0.3, lr: 1e-3 }, { step: 4, epoch: 1, loss: 0.2, lr: 1e-3 }]);
});

/** A training log as trainer.fit writes it: step records with both loss terms, epoch records with validation scores. */
function trainingLog(valSrocc: number[], lossScale = 1): Record<string, number | string>[] {
  return valSrocc.flatMap((v, i): Record<string, number | string>[] => [
    { kind: 'step', epoch: i + 1, step: 2 * i + 1, lr: 1e-3, loss: lossScale * (0.05 + 0.5 * 0.002), mse: lossScale * 0.05, consistency: 0.002 },
    { kind: 'epoch', epoch: i + 1, step: 2 * i + 2, lr: 1e-3, loss: lossScale * (0.1 - 0.01 * i), images: 8, seconds: 2, imagesPerSecond: 4, valSrocc: v, valPlcc: v - 0.05 },
  ]);
}

/** A run result with what the start comparison reads. */
function startResult(srocc: number, curve: number[], picked: number): RunResult {
  return {
    label: 'synth-A split 0', metrics: { srocc, plcc: srocc + 0.02, krocc: 0.5, rmse: 0.1, plcc_logistic: srocc, n: 60 }, perDistortion: {}, predictions: [], params: 10, pretrained: true,
    trainSeconds: 42, evalSeconds: 3, evalCrops: 2, evalSeed: 0, modelConfig: {}, trainConfig: {}, selection: { epoch: picked, valSrocc: curve[picked - 1]!, valCurve: curve, valImages: 12 },
  };
}

test('selectionRows: one row per epoch in order, the last record of an epoch wins, NaN without validation', () => {
  const log = trainingLog([0.4, 0.7, 0.6]);
  const rows = selectionRows([log[3]!, ...log, { kind: 'epoch', epoch: 2, loss: 0.5, lr: 1e-4, valSrocc: 0.75, valPlcc: 0.7 }]);
  assert.deepEqual(rows.map((r) => r.epoch), [1, 2, 3]);
  assert.deepEqual(rows[1], { epoch: 2, loss: 0.5, lr: 1e-4, valSrocc: 0.75, valPlcc: 0.7 });
  const bare = selectionRows([{ kind: 'epoch', epoch: 1, loss: 0.2, lr: 1e-3 }]);
  assert.ok(Number.isNaN(bare[0]!.valSrocc) && Number.isNaN(bare[0]!.valPlcc));
});

test('selectionFigure: the validation curves and the tested epoch marked; a run without validation refused', () => {
  const rows = selectionRows(trainingLog([0.4, 0.7, 0.6]));
  const fig = selectionFigure(rows, 2);
  assert.equal(fig.name, 'training-selection');
  const traces = fig.data as ScatterTrace[];
  assert.deepEqual(traces[0]!.y, [0.4, 0.7, 0.6]);
  assert.deepEqual([traces[2]!.x, traces[2]!.y], [[2], [0.7]]);
  assert.throws(() => selectionFigure(rows, 5), /epoch 5 has no validation SROCC/);
  assert.throws(() => selectionFigure(selectionRows([{ kind: 'epoch', epoch: 1, loss: 0.2, lr: 1e-3 }]), 1), /no validation SROCC \(a run without a validation part\)/);
  assert.throws(() => selectionFigure([], 1), /no epoch records/);
});

test('lossTermsFigure: MSE and lambda times the consistency term per step, adding up to the logged loss', () => {
  const log = trainingLog([0.4, 0.7]);
  assert.deepEqual(lossTermRows(log), [{ step: 1, epoch: 1, mse: 0.05, consistency: 0.002 }, { step: 3, epoch: 2, mse: 0.05, consistency: 0.002 }]);
  const fig = lossTermsFigure(log, 0.5);
  const [mse, consistency] = fig.data as ScatterTrace[];
  const steps = log.filter((r) => r.kind === 'step');
  steps.forEach((r, i) => assert.ok(Math.abs(mse!.y[i]! + consistency!.y[i]! - Number(r.loss)) < 1e-12));
  assert.equal((fig.layout.yaxis as { type: string }).type, 'log');
  // lambda = 0: the term is 0, which a log axis cannot show
  assert.equal((lossTermsFigure(log, 0).layout.yaxis as { type: string }).type, 'linear');
  assert.throws(() => lossTermsFigure([{ kind: 'step', epoch: 1, step: 1, loss: 0.1, lr: 1e-3 }], 0.5), /no step records with mse and consistency/);
});

test('startFigure and startTable: loss and validation SROCC of both starts, their test scores side by side', () => {
  const runs: StartRun[] = [
    { start: 'pretrained', log: trainingLog([0.6, 0.8, 0.7]), result: startResult(0.81, [0.6, 0.8, 0.7], 2) },
    { start: 'from scratch', log: trainingLog([0.2, 0.3, 0.4], 2), result: startResult(0.42, [0.2, 0.3, 0.4], 3) },
  ];
  const fig = startFigure(runs);
  const traces = fig.data as ScatterTrace[];
  assert.equal(traces.length, 6, 'loss, validation SROCC and the tested epoch of each run');
  assert.deepEqual(traces.map((t) => t.yaxis ?? 'y'), ['y', 'y2', 'y2', 'y', 'y2', 'y2']);
  [0.2, 0.18, 0.16].forEach((v, i) => assert.ok(Math.abs(traces[3]!.y[i]! - v) < 1e-12, 'the second run\'s epoch losses'));
  assert.deepEqual([traces[5]!.x, traces[5]!.y], [[3], [0.4]]);
  assert.equal(traces[0]!.line!.color === traces[3]!.line!.color, false, 'one colour per run');
  assert.throws(() => startFigure([]), /1 to 4 runs/);
  const t = startTable(runs);
  assert.deepEqual(t.rows.map((r) => [r.start, r.srocc, r.epoch, r.val_srocc]), [['pretrained', 0.81, 2, 0.8], ['from scratch', 0.42, 3, 0.4]]);
  assert.ok(t.notes.some((n) => n.includes('no interval')));
});

test('protocolSplitSpec: split 0 of the protocol as protocolSpecs makes it, its validation part kept apart', async () => {
  const dir = await tempDir();
  const saved = { synth: paths.synth, results: paths.results, env: [process.env.DGIQA_SYNTH, process.env.DGIQA_RESULTS] };
  process.env.DGIQA_SYNTH = paths.synth = join(dir, 'synth');
  process.env.DGIQA_RESULTS = paths.results = join(dir, 'results');
  try {
    const profile = PROFILES.smoke;
    const spec = await protocolSplitSpec(profile);
    const [first] = (await protocolSpecs(profile, profile.protocol[0]!)).specs;
    assert.deepEqual(spec, first);
    assert.ok((spec.val ?? []).length > 0, 'a validation part');
    const train = new Set(spec.train.map((i) => i.relImage));
    const test = new Set(spec.test.map((i) => i.relImage));
    assert.ok(spec.val!.every((i) => !train.has(i.relImage) && !test.has(i.relImage)), 'validation images are neither trained on nor tested');
  } finally {
    paths.synth = saved.synth;
    paths.results = saved.results;
    for (const [k, v] of [['DGIQA_SYNTH', saved.env[0]], ['DGIQA_RESULTS', saved.env[1]]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await rm(dir, { recursive: true, force: true });
  }
});

test('shrinkHeat average-pools a large map and keeps a small one', () => {
  const big = Array.from({ length: 56 }, (_, y) => Array.from({ length: 56 }, (_, x) => (x < 28 ? 0 : 1) + y * 0));
  const small = shrinkHeat(big, 28);
  assert.equal(small.length, 28);
  assert.equal(small[0]!.length, 28);
  assert.equal(small[5]![0], 0);
  assert.equal(small[5]![27], 1);
  const tiny = [[1, 2], [3, 4]];
  assert.equal(shrinkHeat(tiny), tiny);
});

test('architectureWalk: a row per block, parameters adding up to the model\'s, no leaked tensors', async () => {
  await initBackend('wasm');
  const m = new Dgiqa(configFrom('demo'));
  try {
    const before = tf.memory().numTensors;
    const rows = architectureWalk(m);
    assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
    const total = rows[rows.length - 1]!;
    assert.equal(total.block, 'total');
    assert.equal(total.params, m.numParams());
    assert.equal(rows.find((r) => r.block.startsWith('Swin-T stage 4'))!.output, '[1, 4, 4, 128]');
    // the demo fuses at stage 3's side (8x8), not the last stage's 4x4: fuseStage 3
    assert.equal(rows.find((r) => r.block.startsWith('resize to'))!.output, `[1, 8, 8, ${8 + 16 + 32 + 64}]`);
    assert.equal(rows.find((r) => r.block.startsWith('linear + sigmoid'))!.output, '[1]');
  } finally {
    m.dispose();
  }
});

test('the expected outputs are named after the paper\'s figures and tables', () => {
  const names = COURSE_OUTPUTS.map((o) => o.name);
  for (const n of ['fig02-density', 'fig05-gradcam', 'fig06-crops', 'fig07-tsne', 'fig08-density', 'fig09-examples', 'fig11-lambda', 'fig12-distortions', 'fig13-natural', 'fig14-tsne', 'fig15-gradcam', 'fig16-examples', 'training-curves']) {
    assert.ok(names.includes(n), n);
  }
  for (let i = 1; i <= 6; i++) assert.ok(names.some((n) => n.startsWith(`table${i}-`)), `table ${i}`);
  assert.equal(new Set(names).size, names.length);
});

test('table5 with whole-set models (the paper profile): one column pair per test set, every test set shown', () => {
  const tests = (srocc: number): AblationInput['crossTests'] => [
    { train: 'koniq10k', test: 'livec', srocc, plcc: srocc + 0.01 },
    { train: 'koniq10k', test: 'livefb', srocc: srocc - 0.2, plcc: srocc - 0.19 },
  ];
  const runs = [run(0, {}), run(1, {})];
  const rows: AblationInput[] = [
    { ...ablationRow(FULL, runs), crossTests: tests(0.85) },
    { ...ablationRow(NO_TCB, runs, runs), crossTests: tests(0.8) },
  ];
  const t5 = table5('paper', 'livec', 'koniq10k', rows);
  const kit = t5.rows.filter((r) => r.source !== 'paper');
  assert.equal(kit.length, 2);
  const full = kit.find((r) => r.config === 'DGIQA full')!;
  assert.deepEqual([full.train, full['LIVE-C_srocc'], full['LIVE-C_plcc'], full['LIVE-FB_srocc']], ['KonIQ-10k', 0.85, 0.86, 0.85 - 0.2]);
  assert.equal(kit.find((r) => r.config === 'DGIQA without TCB')!['LIVE-FB_plcc'], 0.8 - 0.19);
  assert.ok(kit.every((r) => r['KonIQ-10k_srocc'] === undefined && r.splits === undefined), 'no column of the ablation set, no split count');
  assert.equal(full.source, 'this run, profile paper, official files koniq10k, livec, livefb');
  assert.ok(t5.notes.some((n) => /trained on all of KonIQ-10k/.test(n) && /LIVE-C and LIVE-FB/.test(n)), t5.notes.join(' | '));
});
