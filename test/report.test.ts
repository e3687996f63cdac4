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
import type { DensityPanel } from '../src/experiments/analysis.js';
import { densitySeparation } from '../src/eval/index.js';
import {
  COURSE_OUTPUTS, architectureWalk, curveRows, densityByDataset, densityBySubset, densityTable, formatSeconds, kitSource, missingOutputs,
  outputFiles, readPaperTable, reportMarkdown, scanOutputs, shrinkHeat, table1, table2, table3, table4, table5, table6, tableDocument,
  tcbSavingPct, writeCourseTable,
} from '../src/report/index.js';
import type { AblationInput, CourseTable } from '../src/report/index.js';

const ENV: Environment = {
  node: 'v20.0.0', platform: 'linux test', cpu: 'Test CPU', cores: 2, memoryGb: 8, backend: 'wasm', gpu: false,
  backendMessage: 'backend: wasm (test)', packages: { '@tensorflow/tfjs-core': '4.22.0' },
};

const columnKeys = (t: CourseTable): string[] => t.columns.map((c) => (typeof c === 'string' ? c : c.key));

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
  const rows: AblationInput[] = [4, 3].map((cfg) => ({ cfg, name: `v${cfg}`, tcb: cfg !== 3, depthCar: true, dilation: true, paperParams: cfg === 4 ? 80 : 100, params: 10, srocc: 0.5, plcc: 0.6, crossSrocc: 0.3, crossPlcc: 0.35 }));
  const t5 = table5('demo', 'synth-A', 'synth-B', rows);
  assert.ok(columnKeys(t5).includes('LIVE-C_srocc') && columnKeys(t5).includes('synth-B_srocc'));
  assert.equal(t5.rows.find((r) => r.config === 'v4')!['synth-B_plcc'], 0.35);
  const t6 = table6('smoke', [{ dataset: 'synth-A', srocc: 0.9, plcc: 0.91 }, { dataset: 'synth-B', srocc: 0.8, plcc: 0.81 }]);
  const fr = t6.rows.find((r) => r.model === 'DGIQA-FR (this kit)')!;
  assert.deepEqual([fr['synth-A_srocc'], fr['synth-B_plcc']], [0.9, 0.81]);
  assert.equal(t6.rows.filter((r) => r.source === 'paper').length, 8);
});

test('table4: yes/no switches, parameter counts, and the TCB saving in the notes', () => {
  assert.equal(tcbSavingPct(80, 100), 20);
  const rows: AblationInput[] = [
    { cfg: 3, name: 'DGIQA without TCB', tcb: false, depthCar: true, dilation: true, paperParams: 127_554_869, params: 2_616_541, srocc: 0.5, plcc: 0.6, crossSrocc: 0.2, crossPlcc: 0.3 },
    { cfg: 4, name: 'DGIQA full', tcb: true, depthCar: true, dilation: true, paperParams: 102_878_829, params: 1_668_441, srocc: 0.55, plcc: 0.65, crossSrocc: 0.25, crossPlcc: 0.35 },
  ];
  const t = table4('demo', 'synth-A', rows);
  const kit = t.rows.filter((r) => r.source !== 'paper');
  assert.deepEqual(kit.map((r) => [r.cfg, r.tcb, r.depth_car, r.params, r.params_paper_size]), [[3, 'no', 'yes', 2_616_541, 127_554_869], [4, 'yes', 'yes', 1_668_441, 102_878_829]]);
  const paperFull = t.rows.find((r) => r.source === 'paper' && r.cfg === 4)!;
  assert.equal(paperFull.params_paper_size, '103M');
  assert.equal(paperFull.config, 'DGIQA full');
  assert.ok(t.notes.some((n) => n.includes('19.3%') && n.includes('23.3%')), t.notes.join(' | '));
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
    assert.match(md, /- \*\*fig08-density\*\*: Fig\. 8: [^\n]*\(\[HTML\]\(fig08-density\.html\) · \[PNG\]\(fig08-density\.png\)\)/);
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

test('density panels: per subset (Fig. 8), pooled per dataset (Fig. 2), and their table', () => {
  const clean = [0.8, 0.85, 0.9, 0.82];
  const panel = (subset: string, distorted: number[]): DensityPanel => ({ dataset: 'synth-B', subset, clean, distorted, ...densitySeparation(clean, distorted) });
  const panels = [panel('haze', [0.4, 0.5, 0.45]), panel('low_light', [0.6, 0.7, 0.65])];
  const bySubset = densityBySubset(panels);
  assert.deepEqual(bySubset.map((p) => p.dataset), ['synth-B: haze', 'synth-B: low_light']);
  assert.equal(bySubset[0]!.overlapPct, panels[0]!.overlap_pct);
  const byDataset = densityByDataset(panels);
  assert.equal(byDataset.length, 1);
  assert.equal(byDataset[0]!.distorted.length, 6);
  // repeating the clean scores leaves their fit unchanged
  assert.ok(Math.abs(byDataset[0]!.fitted.mean_clean - panels[0]!.mean_clean) < 1e-12);
  assert.ok(Math.abs(byDataset[0]!.fitted.std_clean - panels[0]!.std_clean) < 1e-12);
  const t = densityTable('demo', panels);
  assert.deepEqual(t.rows.map((r) => r.subset), ['haze', 'low_light', 'all (Fig. 2)']);
  assert.ok(t.rows.every((r) => String(r.source).includes('not comparable')));
});

test('curveRows keeps the step records of a training log', () => {
  const log: Record<string, number | string>[] = [
    { kind: 'step', epoch: 1, step: 2, loss: 0.3, lr: 1e-3 },
    { kind: 'step', epoch: 1, step: 4, loss: 0.2, lr: 1e-3 },
    { kind: 'epoch', epoch: 1, loss: 0.25, lr: 1e-3, seconds: 10 },
  ];
  assert.deepEqual(curveRows(log), [{ step: 2, epoch: 1, loss: 0.3, lr: 1e-3 }, { step: 4, epoch: 1, loss: 0.2, lr: 1e-3 }]);
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
    assert.equal(rows.find((r) => r.block.startsWith('resize to'))!.output, `[1, 4, 4, ${8 + 16 + 32 + 64}]`);
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
