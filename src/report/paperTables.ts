// The paper's Tables 1-6 (data/paper/*.csv) with the kit's rows beside them. Every row carries a
// `source`: `paper`, or this run with its profile and data, so a number from the embedded benchmark
// is never mistaken for one from the paper. Wide tables (2, 5, 6) get one column pair per dataset:
// the paper's datasets first, then any the kit ran that the paper does not have (synth-A, synth-B).
import { readFileSync } from 'node:fs';
import type { AblationRow } from '../experiments/index.js';
import { join } from 'node:path';
import { parseCsv } from '../eval/csv.js';
import { meanInterval } from '../eval/intervals.js';
import type { PairedComparison } from '../eval/intervals.js';
import { KIT_ROOT, paths } from '../experiments/paths.js';
import type { TableColumn, TableRow } from '../plots/index.js';

/** Where the paper's tables are kept (committed with the kit). */
export const PAPER_DIR = join(KIT_ROOT, 'data', 'paper');

export const PAPER_FILES = {
  1: 'table1_datasets.csv',
  2: 'table2_benchmarks.csv',
  3: 'table3_cross_dataset.csv',
  4: 'table4_ablation_livec.csv',
  5: 'table5_ablation_cross.csv',
  6: 'table6_full_reference.csv',
} as const;
export type PaperTableNumber = keyof typeof PAPER_FILES;

/** The kit's dataset ids as the paper prints them. */
export const DATASET_LABELS: Readonly<Record<string, string>> = Object.freeze({
  live: 'LIVE',
  csiq: 'CSIQ',
  tid2013: 'TID2013',
  kadid10k: 'KADID-10k',
  livec: 'LIVE-C',
  koniq10k: 'KonIQ-10k',
  livefb: 'LIVE-FB',
  lol: 'LOL',
  d2g: 'D2G',
  ihaze: 'I-HAZE',
  gopro: 'GoPro',
  flare7k: 'Flare7K',
});

export function datasetLabel(id: string): string {
  return DATASET_LABELS[id] ?? id;
}

/** Ids of the embedded benchmark (`synth-A`, `synth-B`): results on them cannot be compared with the paper. */
export function isEmbedded(id: string): boolean {
  return /^synth-/.test(id);
}

/**
 * The `source` cell of the kit's rows: "this run, profile demo, embedded benchmark synth-A -> synth-B
 * (not comparable with the paper)" or "this run, profile paper, official files koniq10k -> livec".
 */
export function kitSource(profile: string, datasets: string[], joiner = ', '): string {
  const embedded = datasets.filter(isEmbedded).length;
  const kind = embedded === 0 ? 'official files' : embedded === datasets.length ? 'embedded benchmark' : 'embedded benchmark and official files';
  const note = embedded > 0 ? ' (not comparable with the paper)' : '';
  return `this run, profile ${profile}, ${kind} ${datasets.join(joiner)}${note}`;
}

/** A table ready to show and to write: rows, columns, a title and notes for the Markdown file. */
export interface CourseTable {
  /** file stem, after the paper's table number: `table2-benchmarks` */
  name: string;
  title: string;
  rows: TableRow[];
  columns: (string | TableColumn)[];
  notes: string[];
}

/** Reads one of the paper's tables: numbers as numbers, empty cells (a '-' in the paper) as null. */
export function readPaperTable(n: PaperTableNumber, dir = PAPER_DIR): TableRow[] {
  const file = join(dir, PAPER_FILES[n]);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file}: the paper's Table ${n} is missing (it is committed under data/paper/)`);
  }
  const csv = parseCsv(text, file);
  return csv.rows.map((fields) => {
    const row: TableRow = {};
    csv.header.forEach((h, i) => {
      const v = (fields[i] ?? '').trim();
      row[h] = v === '' ? null : /^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v) ? Number(v) : v;
    });
    return row;
  });
}

const METRIC_DIGITS = 3;

/** The `<label>_srocc`, `<label>_plcc` column pairs, paper datasets first, then the kit's others. */
function datasetColumns(paperLabels: string[], kitLabels: string[]): TableColumn[] {
  const labels = [...paperLabels, ...kitLabels.filter((l) => !paperLabels.includes(l))];
  return labels.flatMap((l) => [
    { key: `${l}_srocc`, label: `${l} SROCC`, digits: METRIC_DIGITS },
    { key: `${l}_plcc`, label: `${l} PLCC`, digits: METRIC_DIGITS },
  ]);
}

/** Dataset labels of a wide paper table, from its `<label>_srocc` headers, in order. */
function paperDatasetLabels(rows: TableRow[]): string[] {
  const keys = rows.length > 0 ? Object.keys(rows[0]!) : [];
  return keys.filter((k) => k.endsWith('_srocc')).map((k) => k.slice(0, -'_srocc'.length));
}

export interface DatasetMetrics {
  dataset: string;
  srocc: number;
  plcc: number;
}

function wideRow(first: TableRow, metrics: DatasetMetrics[]): TableRow {
  const row: TableRow = { ...first };
  for (const m of metrics) {
    const l = datasetLabel(m.dataset);
    row[`${l}_srocc`] = m.srocc;
    row[`${l}_plcc`] = m.plcc;
  }
  return row;
}

function tagged(rows: TableRow[], source: string): TableRow[] {
  return rows.map((r) => ({ ...r, source: r.source ?? source }));
}

// ---------------------------------------------------------------------------------------------
// Table 1: the datasets.

export interface DatasetRow {
  dataset: string;
  type: string;
  images: number;
  distortions: number | null;
  score: string;
  source: string;
}

export function table1(kit: DatasetRow[], paper = readPaperTable(1)): CourseTable {
  return {
    name: 'table1-datasets',
    title: 'Table 1: the IQA datasets (paper) and the data this run used',
    rows: [...tagged(paper, 'paper'), ...kit.map((r) => ({ ...r }))],
    columns: [{ key: 'dataset' }, { key: 'type' }, { key: 'images' }, { key: 'distortions' }, { key: 'score' }, { key: 'source' }],
    notes: [
      'Paper rows: the paper\'s Table 1 as printed. Other rows: what this run found or generated.',
      ...(kit.some((r) => isEmbedded(r.dataset)) ? ['synth-A and synth-B are the kit\'s embedded benchmark (rendered scenes with exact depth, labels from a full-reference model): they stand in for the real datasets and cannot be compared with them.'] : []),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Table 2: the 10-split protocol on each dataset.

export interface ProtocolRow {
  dataset: string;
  splits: number;
  srocc: { mean: number; std: number };
  plcc: { mean: number; std: number };
}

export function table2(profile: string, kit: ProtocolRow[], paper = readPaperTable(2)): CourseTable {
  const labels = paperDatasetLabels(paper);
  const columns: TableColumn[] = [{ key: 'model' }, ...datasetColumns(labels, kit.map((k) => datasetLabel(k.dataset))), { key: 'splits' }, { key: 'source' }];
  const source = kitSource(profile, kit.map((k) => k.dataset));
  const splits = [...new Set(kit.map((k) => k.splits))].join('/');
  const kitRows: TableRow[] = kit.length === 0 ? [] : [
    wideRow({ model: 'DGIQA (this kit), mean', splits }, kit.map((k) => ({ dataset: k.dataset, srocc: k.srocc.mean, plcc: k.plcc.mean }))),
    wideRow({ model: 'DGIQA (this kit), std', splits }, kit.map((k) => ({ dataset: k.dataset, srocc: k.srocc.std, plcc: k.plcc.std }))),
  ];
  return {
    name: 'table2-benchmarks',
    title: 'Table 2: SROCC and PLCC on each dataset (80/20 splits; paper: mean of 10)',
    rows: [...tagged(paper, 'paper'), ...tagged(kitRows, source)],
    columns,
    notes: [
      'Paper rows: the paper\'s Table 2 as printed (- : not reported).',
      `Kit rows: mean and standard deviation over ${splits || 'no'} train/test splits of this run.`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Table 3: cross-dataset tests.

export interface CrossRow {
  train: string;
  test: string;
  srocc: number;
  plcc: number;
}

export function table3(profile: string, kit: CrossRow[], paper = readPaperTable(3)): CourseTable {
  const kitRows = kit.map((r) => ({
    train: datasetLabel(r.train),
    test: datasetLabel(r.test),
    model: 'DGIQA (this kit)',
    srocc: r.srocc,
    plcc: r.plcc,
    source: kitSource(profile, [r.train, r.test], ' -> '),
  }));
  return {
    name: 'table3-cross-dataset',
    title: 'Table 3: cross-dataset SROCC and PLCC (train on one dataset, test on another)',
    rows: [...tagged(paper, 'paper'), ...kitRows],
    columns: [{ key: 'train' }, { key: 'test' }, { key: 'model' }, { key: 'srocc', digits: METRIC_DIGITS }, { key: 'plcc', digits: METRIC_DIGITS }, { key: 'source' }],
    notes: ['Paper rows: the paper\'s Table 3 as printed. Kit rows: one model trained on all of the training set, scored on all of the test set.'],
  };
}

// ---------------------------------------------------------------------------------------------
// Tables 4 and 5: the ablations, each variant trained on several splits. A kit row shows means with
// their 95% t intervals and, for every variant but the full model, the paired difference to the full
// model over the same splits: the only honest way to say whether removing a part changes anything.
// The paper's rows stay as printed (one number each, no spread).
//
// The RGB-only model (the kit's cfg 5, not in the paper) is a kit row of Table 4 and Table 5 rather
// than a table of its own: it is trained on the same splits and compared with the full model by the
// same paired test, so one table answers "what does each part, and the depth input itself, add".
// Its `config` cell says that it is the kit's addition.

/** A row of the ablation study as `experiments.runAblations` saves it. */
export type AblationInput = AblationRow;

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');

/** Share of the parameters the TCBs save, in %: (without - with) / without. */
export function tcbSavingPct(withTcb: number, withoutTcb: number): number {
  return (100 * (withoutTcb - withTcb)) / withoutTcb;
}

/** The paper's statement of the TCB saving (Sec. 4.4). */
export const PAPER_TCB_SAVING_PCT = 23.3;

/** The level every interval and test of the ablation tables uses. */
export const CI_LEVEL_PCT = 95;

const signed = (v: number, digits: number): string => `${v > 0 ? '+' : ''}${v.toFixed(digits)}`;

/** `0.812 [0.774, 0.850]`; the mean alone when the interval is NaN (a single split); null (shown '-') without a mean. */
export function withInterval(mean: number, ci: readonly [number, number], digits = METRIC_DIGITS): string | null {
  if (!Number.isFinite(mean)) return null;
  const m = mean.toFixed(digits);
  return Number.isFinite(ci[0]) && Number.isFinite(ci[1]) ? `${m} [${ci[0].toFixed(digits)}, ${ci[1].toFixed(digits)}]` : m;
}

/** A paired difference with its interval, signed so that the direction reads at a glance: `-0.031 [-0.052, -0.010]`. */
export function differenceText(c: PairedComparison, digits = METRIC_DIGITS): string | null {
  if (!Number.isFinite(c.meanDiff)) return null;
  const d = signed(c.meanDiff, digits);
  return Number.isFinite(c.lo) && Number.isFinite(c.hi) ? `${d} [${signed(c.lo, digits)}, ${signed(c.hi, digits)}]` : d;
}

/** p of a paired t-test as the tables print it: `0.012`, `<0.001`; null (shown '-') when there is none. */
export function pText(p: number): string | null {
  if (!Number.isFinite(p)) return null;
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

/** `yes` when the interval of the difference excludes 0; null (shown '-') with one split, where no test exists. */
export function significanceText(c: PairedComparison): string | null {
  if (c.n < 2) return null;
  return c.significant ? 'yes' : 'no';
}

/** The 95% interval of a column of the runs, [NaN, NaN] when it cannot be formed (one run, a missing score). */
export function intervalOf(values: readonly number[]): [number, number] {
  if (values.length < 2 || !values.every(Number.isFinite)) return [NaN, NaN];
  const iv = meanInterval(values);
  return [iv.lo, iv.hi];
}

/** The file `experiments.runAblations` saves its rows to, named in errors about them. */
export function ablationSummaryFile(profile: string): string {
  return join(paths.results, profile, 'ablation', 'summary.json');
}

const ABLATION_FIELDS = ['depth', 'sroccCi', 'plccCi', 'crossSroccCi', 'runs'] as const;

/**
 * Refuses rows saved before the ablations were trained on several splits, with one line naming the
 * file, instead of a crash deep in a table.
 */
export function checkAblationRows(profile: string, kit: AblationInput[]): void {
  for (const r of kit) {
    const fields = r as unknown as Partial<Record<string, unknown>>;
    const missing = ABLATION_FIELDS.filter((k) => fields[k] === undefined);
    if (missing.length > 0) {
      throw new Error(`${ablationSummaryFile(profile)}: row "${String(fields.name)}" has no ${missing.join(', ')} (saved by an older kit, one split per variant); delete the file and rerun notebook 07`);
    }
  }
}

/** The kit's full model: every part on, depth in (the row every other is compared with). */
export function isFullModel(r: AblationInput): boolean {
  return r.tcb && r.depthCar && r.dilation && r.depth;
}

const configName = (r: AblationInput): string => (r.depth ? r.name : `${r.name} (kit's addition, not in the paper)`);

/** Split counts of the kit's rows: `3`, or `1/3` when they differ. */
const splitCounts = (kit: AblationInput[]): string => [...new Set(kit.map((r) => r.runs.length))].join('/');

/** The columns comparing a variant with the full model; `what` names the score (`SROCC`, `cross SROCC`). */
function vsFullColumns(what: string): TableColumn[] {
  return [
    { key: 'splits' },
    { key: 'vs_full', label: `${what} − full [${CI_LEVEL_PCT}% CI]` },
    { key: 'p_vs_full', label: 'p (paired t)' },
    { key: 'significant', label: `significant (${CI_LEVEL_PCT}%)` },
  ];
}

function vsFullCells(r: AblationInput, c: PairedComparison | undefined): TableRow {
  return { splits: r.runs.length, vs_full: c ? differenceText(c) : null, p_vs_full: c ? pText(c.p) : null, significant: c ? significanceText(c) : null };
}

/** The notes both ablation tables share: what the interval and the comparison are. */
function ablationNotes(kit: AblationInput[], cross: boolean): string[] {
  const n = splitCounts(kit);
  const single = kit.length > 0 && kit.every((r) => r.runs.length < 2);
  return [
    `Kit rows: mean over ${n || 'no'} splits of the ablation set${cross ? ' (each split\'s model scored on the whole cross-dataset test set)' : ''}, with its ${CI_LEVEL_PCT}% t interval [lo, hi].`,
    `"− full": this variant minus the full model, split by split (both trained on the same splits), with the ${CI_LEVEL_PCT}% t interval of the mean difference and the paired t-test's p; "significant" when that interval excludes 0.`,
    ...(single ? ['One split per variant (this profile): no interval and no test, so a difference between rows may be noise.'] : []),
    ...(kit.some((r) => !r.depth) ? ['"RGB only (no depth input)" is the kit\'s addition, not a row of the paper: the same model without the depth branch, trained on the same splits.'] : []),
  ];
}

export function table4(profile: string, train: string, kit: AblationInput[], paper = readPaperTable(4)): CourseTable {
  checkAblationRows(profile, kit);
  const source = kitSource(profile, [train]);
  const kitRows: TableRow[] = kit.map((r) => ({
    cfg: r.cfg,
    config: configName(r),
    tcb: yesNo(r.tcb),
    depth_car: yesNo(r.depthCar),
    dilation: yesNo(r.dilation),
    depth: yesNo(r.depth),
    srocc: withInterval(r.srocc, r.sroccCi),
    plcc: withInterval(r.plcc, r.plccCi),
    ...vsFullCells(r, r.vsFull?.srocc),
    params: r.params,
    params_paper_size: r.paperParams,
    source,
  }));
  const names = new Map(kit.map((r) => [r.cfg, r.name]));
  // the paper's count (103M, full model only) is a count at the paper's size; all its configurations take depth
  const paperRows = tagged(paper, 'paper').map((r) => ({ ...r, config: names.get(Number(r.cfg)) ?? null, depth: 'yes', params: null, params_paper_size: r.params ?? null }));
  const full = kit.find(isFullModel);
  const noTcb = kit.find((r) => !r.tcb && r.depthCar && r.dilation && r.depth);
  const saving = full && noTcb ? tcbSavingPct(full.paperParams, noTcb.paperParams) : undefined;
  return {
    name: 'table4-ablation',
    title: 'Table 4: ablation of TCB, Depth-CAR and dilation (within-dataset SROCC and PLCC, parameters)',
    rows: [...paperRows, ...kitRows],
    columns: [
      { key: 'cfg' }, { key: 'config' }, { key: 'tcb' }, { key: 'depth_car' }, { key: 'dilation' }, { key: 'depth', label: 'depth input' },
      { key: 'srocc', label: `SROCC [${CI_LEVEL_PCT}% CI]`, digits: METRIC_DIGITS }, { key: 'plcc', label: `PLCC [${CI_LEVEL_PCT}% CI]`, digits: METRIC_DIGITS },
      ...vsFullColumns('SROCC'),
      { key: 'params', label: 'params (as trained)' }, { key: 'params_paper_size', label: 'params (paper size)' }, { key: 'source' },
    ],
    notes: [
      'Paper rows: Table 4 lost its check marks in the text copy; its rows are read in Table 5\'s order (an inference). Only the full model\'s parameter count (103M) survived.',
      ...ablationNotes(kit, false),
      '"params (as trained)" counts the model this profile trains; "params (paper size)" the same variant built at the paper\'s size (Swin-T backbones, 224 px).',
      ...(saving !== undefined ? [`TCB parameter saving at the paper's size, measured by the kit: ${saving.toFixed(1)}% (the paper states ${PAPER_TCB_SAVING_PCT}%).`] : []),
    ],
  };
}

/**
 * Table 5. With whole-set models (the paper profile's `ablationCross`: each row's `crossTests`), one
 * column pair per test set, from one model per variant (no interval); otherwise Table 4's split models
 * scored on `cross`, with intervals and the paired comparison to the full model.
 */
export function table5(profile: string, train: string, cross: string, kit: AblationInput[], paper = readPaperTable(5)): CourseTable {
  checkAblationRows(profile, kit);
  const labels = paperDatasetLabels(paper);
  if (kit.length > 0 && kit.every((r) => (r.crossTests ?? []).length > 0)) return table5WholeSet(profile, kit, paper, labels);
  const crossLabel = datasetLabel(cross);
  const kitRows: TableRow[] = kit.map((r) => ({
    config: configName(r),
    train: datasetLabel(train),
    [`${crossLabel}_srocc`]: withInterval(r.crossSrocc, r.crossSroccCi),
    // the rows carry no interval for the cross PLCC: it comes from the runs
    [`${crossLabel}_plcc`]: withInterval(r.crossPlcc, intervalOf(r.runs.map((x) => x.crossPlcc))),
    ...vsFullCells(r, r.vsFull?.crossSrocc),
  }));
  return {
    name: 'table5-ablation-cross',
    title: `Table 5: ablation, cross-dataset SROCC and PLCC (trained on one set, tested on another)`,
    rows: [...tagged(paper, 'paper'), ...tagged(kitRows, kitSource(profile, [train, cross], ' -> '))],
    columns: [{ key: 'config' }, { key: 'train' }, ...datasetColumns(labels, [crossLabel]), ...vsFullColumns('cross SROCC'), { key: 'source' }],
    notes: [
      'Paper rows: trained on KonIQ-10k, tested on LIVE-C and LIVE-FB. Kit rows: the ablation models of Table 4, scored on the profile\'s cross-dataset test set.',
      ...ablationNotes(kit, true),
    ],
  };
}

/** Table 5 as the paper ran it: each variant's model trained on all of one set, tested on each other set. */
function table5WholeSet(profile: string, kit: AblationInput[], paper: TableRow[], labels: string[]): CourseTable {
  const trainSets = [...new Set(kit.flatMap((r) => (r.crossTests ?? []).map((t) => t.train)))];
  const tests = [...new Set(kit.flatMap((r) => (r.crossTests ?? []).map((t) => t.test)))];
  const kitRows: TableRow[] = kit.map((r) => {
    const row: TableRow = { config: configName(r), train: trainSets.map(datasetLabel).join(', ') };
    for (const t of r.crossTests ?? []) {
      row[`${datasetLabel(t.test)}_srocc`] = t.srocc;
      row[`${datasetLabel(t.test)}_plcc`] = t.plcc;
    }
    return row;
  });
  return {
    name: 'table5-ablation-cross',
    title: 'Table 5: ablation, cross-dataset SROCC and PLCC (trained on one set, tested on another)',
    rows: [...tagged(paper, 'paper'), ...tagged(kitRows, kitSource(profile, [...trainSets, ...tests]))],
    columns: [{ key: 'config' }, { key: 'train' }, ...datasetColumns(labels, tests.map(datasetLabel)), { key: 'source' }],
    notes: [
      'Paper rows: trained on KonIQ-10k, tested on LIVE-C and LIVE-FB.',
      `Kit rows: each variant trained on all of ${trainSets.map(datasetLabel).join(', ')} (Table 3's recipe; the full model is Table 3's own) and tested on ${tests.map(datasetLabel).join(' and ')}: one model per variant, so one value per test set, with no interval and no test of the differences.`,
      ...(kit.some((r) => !r.depth) ? ['"RGB only (no depth input)" is the kit\'s addition, not a row of the paper.'] : []),
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// Table 6: the full-reference variant.

export function table6(profile: string, kit: DatasetMetrics[], paper = readPaperTable(6)): CourseTable {
  const labels = paperDatasetLabels(paper);
  const kitRows = kit.length === 0 ? [] : [wideRow({ model: 'DGIQA-FR (this kit)' }, kit)];
  return {
    name: 'table6-full-reference',
    title: 'Table 6: full-reference IQA, SROCC and PLCC',
    rows: [...tagged(paper, 'paper'), ...tagged(kitRows, kitSource(profile, kit.map((k) => k.dataset)))],
    columns: [{ key: 'model' }, ...datasetColumns(labels, kit.map((k) => datasetLabel(k.dataset))), { key: 'source' }],
    notes: ['Paper rows: the paper\'s Table 6 as printed. Kit row: DGIQA-FR trained and tested on split 0 of each dataset with references.'],
  };
}
