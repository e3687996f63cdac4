// Notebook 04's pieces: the training log as curve rows, the epoch records and the resolved config
// as tables, the split-0 run that notebook 05's protocol then reuses, model selection on the
// validation part, the two terms of the loss, and the pretrained start beside the one from scratch.
import type { Benchmark } from '../experiments/datasets.js';
import type { Profile } from '../experiments/profiles.js';
import { protocolSpecs } from '../experiments/protocol.js';
import { trainAndTest } from '../experiments/run.js';
import type { RunResult, RunSpec } from '../experiments/run.js';
import { BOTTOM_LEGEND, COLORS, assertFinite, axisTitle, baseLayout, predictionScatterFigure } from '../plots/index.js';
import type { Figure, ScatterTrace, TableRow, TrainLogRow } from '../plots/index.js';
import type { CourseTable } from './paperTables.js';

/** The `data` text of a run, as the protocol writes it. */
export function dataLabel(b: Benchmark): string {
  return b.kind === 'embedded' ? `embedded benchmark ${b.id} (not comparable with the paper)` : `${b.id} (official files)`;
}

/**
 * The spec of split 0 of the protocol on `dataset`, exactly as experiments.protocolSpecs makes it
 * (folder, train, validation and test parts, seed), so that training it here lets the protocol skip
 * it later and its validation part picks the epoch tested.
 */
export async function protocolSplitSpec(profile: Profile, dataset = profile.protocol[0]!): Promise<RunSpec> {
  const [first] = (await protocolSpecs(profile, dataset)).specs;
  if (!first) throw new Error(`protocolSplitSpec: profile ${profile.name} makes no split of ${dataset}`);
  return first;
}

/** Trains (or reads back) split 0 of the protocol. */
export async function trainSplitZero(profile: Profile, dataset?: string): Promise<{ spec: RunSpec; result: RunResult; runDir: string }> {
  const spec = await protocolSplitSpec(profile, dataset);
  return { spec, result: await trainAndTest(spec), runDir: `${spec.dir}/run` };
}

/** Predicted score vs label of a run's test images, its SROCC and PLCC (from the run's result) in the title. */
export function predictionScatter(run: RunResult, opts: { name?: string; title?: string } = {}): Figure {
  const points = run.predictions.map((p) => ({ label: p.mos, predicted: p.pred, image: p.image, ...(p.distortion ? { distortion: p.distortion } : {}) }));
  return predictionScatterFigure(points, { ...opts, srocc: run.metrics.srocc, plcc: run.metrics.plcc });
}

/** The step records of a training log (train.readLog) as rows for plots.curvesFigure. */
export function curveRows(log: Record<string, number | string>[]): TrainLogRow[] {
  const steps = log.filter((r) => r.kind === 'step' && typeof r.loss === 'number' && typeof r.lr === 'number');
  return steps.map((r) => ({ step: Number(r.step), epoch: Number(r.epoch), loss: Number(r.loss), lr: Number(r.lr) }));
}

/** The epoch records of a training log as a table (whatever numbers each record carries). */
export function epochTable(log: Record<string, number | string>[]): CourseTable {
  const epochs = log.filter((r) => r.kind === 'epoch');
  const keys = [...new Set(epochs.flatMap((r) => Object.keys(r)))].filter((k) => k !== 'kind');
  return {
    name: 'training-epochs',
    title: 'Epoch records of the training log',
    rows: epochs.map((r) => Object.fromEntries(keys.map((k) => [k, r[k] ?? null])) as TableRow),
    // learning rates span decades: shown as they are; other fractions with 4 decimals
    columns: keys.map((k) => (typeof epochs[0]?.[k] === 'number' && !Number.isInteger(epochs[0]?.[k]) && !/lr/i.test(k) ? { key: k, digits: 4 } : { key: k })),
    notes: [],
  };
}

/** The resolved training config of a run, and where each value comes from. */
export function configTable(config: Record<string, unknown>, profileTrain: Record<string, unknown>): CourseTable {
  return {
    name: 'training-config',
    title: 'The resolved training config (saved with every checkpoint)',
    rows: Object.entries(config).map(([key, value]) => ({
      key,
      value: typeof value === 'object' ? JSON.stringify(value) : String(value),
      from: key in profileTrain ? 'profile' : 'train defaults (TRAIN_DEFAULTS)',
    })),
    columns: [{ key: 'key' }, { key: 'value' }, { key: 'from' }],
    notes: [],
  };
}

/** Test metrics of a run as a one-row table. */
export function metricsTable(r: RunResult): CourseTable {
  const m = r.metrics;
  return {
    name: 'run-metrics',
    title: `Test metrics of ${r.label}`,
    rows: [{ srocc: m.srocc, plcc: m.plcc, krocc: m.krocc, rmse: m.rmse, plcc_logistic: m.plcc_logistic, images: m.n, train_s: r.trainSeconds, eval_s: r.evalSeconds, params: r.params }],
    columns: [
      { key: 'srocc', digits: 3 }, { key: 'plcc', digits: 3 }, { key: 'krocc', digits: 3 }, { key: 'rmse', digits: 3 }, { key: 'plcc_logistic', label: 'PLCC (logistic)', digits: 3 },
      { key: 'images' }, { key: 'train_s', label: 'train (s)', digits: 1 }, { key: 'eval_s', label: 'eval (s)', digits: 1 }, { key: 'params' },
    ],
    notes: [],
  };
}

/** One epoch of a training log: its mean training loss, the rate at its end, the validation scores (NaN without a validation part). */
export interface EpochRow {
  epoch: number;
  loss: number;
  lr: number;
  valSrocc: number;
  valPlcc: number;
}

const numberOr = (v: number | string | undefined): number => (v === undefined ? NaN : Number(v));

/** The epoch records of a training log (train.readLog), in epoch order, one per epoch (the last written wins). */
export function selectionRows(log: Record<string, number | string>[]): EpochRow[] {
  const byEpoch = new Map<number, EpochRow>();
  for (const r of log) {
    if (r.kind !== 'epoch') continue;
    const epoch = Number(r.epoch);
    byEpoch.set(epoch, { epoch, loss: numberOr(r.loss), lr: numberOr(r.lr), valSrocc: numberOr(r.valSrocc), valPlcc: numberOr(r.valPlcc) });
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/** The validation scores of `rows`, refused with one line when the run had no validation part. */
function validated(rows: EpochRow[], where: string): EpochRow[] {
  if (rows.length === 0) throw new Error(`${where}: the log has no epoch records`);
  if (!rows.some((r) => Number.isFinite(r.valSrocc))) throw new Error(`${where}: the log has no validation SROCC (a run without a validation part)`);
  return rows;
}

const epochAxis = (rows: EpochRow[]): Record<string, unknown> => ({ title: axisTitle('epoch'), tickmode: 'array', tickvals: rows.map((r) => r.epoch) });

/**
 * Model selection: the validation SROCC and PLCC after every epoch, and the epoch tested (the first
 * with the best validation SROCC, RunResult.selection.epoch) marked. An epoch whose predictions were
 * constant (SROCC undefined) leaves a gap.
 */
export function selectionFigure(rows: EpochRow[], picked: number, opts: { name?: string; title?: string } = {}): Figure {
  validated(rows, 'selectionFigure');
  const best = rows.find((r) => r.epoch === picked);
  if (!best || !Number.isFinite(best.valSrocc)) throw new Error(`selectionFigure: epoch ${picked} has no validation SROCC in the log (epochs ${rows.map((r) => r.epoch).join(', ')})`);
  const x = rows.map((r) => r.epoch);
  const title = opts.title ?? 'Model selection: validation SROCC per epoch';
  return {
    name: opts.name ?? 'training-selection',
    title,
    data: [
      { type: 'scatter', mode: 'lines+markers', name: 'validation SROCC', x, y: rows.map((r) => r.valSrocc), line: { color: COLORS.srocc } },
      { type: 'scatter', mode: 'lines+markers', name: 'validation PLCC', x, y: rows.map((r) => r.valPlcc), line: { color: COLORS.plcc, dash: 'dot' } },
      { type: 'scatter', mode: 'markers', name: `epoch tested (${picked})`, x: [picked], y: [best.valSrocc], marker: { color: COLORS.distorted, symbol: 'star', size: 16 } },
    ],
    layout: baseLayout(title, { xaxis: epochAxis(rows), yaxis: { title: axisTitle('correlation on the validation part') }, ...BOTTOM_LEGEND }),
  };
}

/** The two terms of the loss per logged step (the step records' `mse` and `consistency`). */
export function lossTermRows(log: Record<string, number | string>[]): { step: number; epoch: number; mse: number; consistency: number }[] {
  const steps = log.filter((r) => r.kind === 'step' && typeof r.mse === 'number' && typeof r.consistency === 'number');
  return steps.map((r) => ({ step: Number(r.step), epoch: Number(r.epoch), mse: Number(r.mse), consistency: Number(r.consistency) }));
}

/**
 * The loss of paper Eq. 6 split into its terms, per logged step: MSE(s(x), y) and
 * lambda * MSE(s(x), s(flip(x))), which add up to the loss of plots.curvesFigure. The y axis is
 * logarithmic when every value is positive: the consistency term is often orders of magnitude smaller.
 */
export function lossTermsFigure(log: Record<string, number | string>[], lambda: number, opts: { name?: string; title?: string } = {}): Figure {
  const rows = lossTermRows(log);
  if (rows.length === 0) throw new Error('lossTermsFigure: the log has no step records with mse and consistency');
  if (!(lambda >= 0)) throw new Error(`lossTermsFigure: lambda must be a number >= 0, got ${lambda}`);
  const x = rows.map((r) => r.step);
  const mse = rows.map((r) => r.mse);
  const consistency = rows.map((r) => lambda * r.consistency);
  assertFinite(mse, 'lossTermsFigure: mse');
  assertFinite(consistency, 'lossTermsFigure: consistency');
  const title = opts.title ?? 'The two terms of the training loss';
  return {
    name: opts.name ?? 'training-loss-terms',
    title,
    data: [
      { type: 'scatter', mode: 'lines', name: 'MSE(s(x), y)', x, y: mse, line: { color: COLORS.loss } },
      { type: 'scatter', mode: 'lines', name: `λ · MSE(s(x), s(flip x)), λ = ${lambda}`, x, y: consistency, line: { color: COLORS.plcc, dash: 'dash' } },
    ],
    layout: baseLayout(title, {
      xaxis: { title: axisTitle('step') },
      yaxis: { title: axisTitle('loss term'), type: [...mse, ...consistency].every((v) => v > 0) ? 'log' : 'linear' },
      ...BOTTOM_LEGEND,
    }),
  };
}

/** A run of the start comparison: its name in the legend and table, its log (train.readLog), its result. */
export interface StartRun {
  start: string;
  log: Record<string, number | string>[];
  result: RunResult;
}

/** Line colours of the compared runs, in order (the first: the pretrained start). */
const START_COLORS = [COLORS.clean, COLORS.distorted, COLORS.time, COLORS.lr];

/**
 * Pretrained vs from scratch (or any runs of the same split): the mean training loss per epoch on
 * the left, the validation SROCC per epoch on the right, one colour per run, its tested epoch starred.
 */
export function startFigure(runs: StartRun[], opts: { name?: string; title?: string } = {}): Figure {
  if (runs.length === 0 || runs.length > START_COLORS.length) throw new Error(`startFigure: 1 to ${START_COLORS.length} runs, got ${runs.length}`);
  const data: ScatterTrace[] = runs.flatMap((run, i): ScatterTrace[] => {
    const rows = validated(selectionRows(run.log), `startFigure (${run.start})`);
    const x = rows.map((r) => r.epoch);
    const loss = rows.map((r) => r.loss);
    assertFinite(loss, `startFigure (${run.start}): loss`);
    const color = START_COLORS[i]!;
    const traces: ScatterTrace[] = [
      { type: 'scatter', mode: 'lines+markers', name: run.start, legendgroup: run.start, x, y: loss, line: { color } },
      { type: 'scatter', mode: 'lines+markers', name: run.start, legendgroup: run.start, showlegend: false, x, y: rows.map((r) => r.valSrocc), xaxis: 'x2', yaxis: 'y2', line: { color, dash: 'dot' } },
    ];
    const picked = run.result.selection;
    const best = picked ? rows.find((r) => r.epoch === picked.epoch) : undefined;
    if (best) traces.push({ type: 'scatter', mode: 'markers', name: `${run.start}: epoch tested`, legendgroup: run.start, showlegend: false, x: [best.epoch], y: [best.valSrocc], xaxis: 'x2', yaxis: 'y2', marker: { color, symbol: 'star', size: 14 } });
    return traces;
  });
  const epochs = selectionRows(runs[0]!.log);
  const title = opts.title ?? 'Pretrained vs from scratch: training loss and validation SROCC per epoch';
  return {
    name: opts.name ?? 'training-pretrained-vs-scratch',
    title,
    data,
    layout: baseLayout(title, {
      xaxis: { ...epochAxis(epochs), domain: [0, 0.44] },
      yaxis: { title: axisTitle('training loss (mean over the epoch)') },
      xaxis2: { ...epochAxis(epochs), domain: [0.56, 1], anchor: 'y2' },
      yaxis2: { title: axisTitle('validation SROCC'), anchor: 'x2' },
      ...BOTTOM_LEGEND,
    }),
  };
}

/** The runs of startFigure side by side: test SROCC and PLCC, the epoch tested and its validation SROCC, the training time. */
export function startTable(runs: StartRun[]): CourseTable {
  return {
    name: 'table-pretrained-vs-scratch',
    title: `Pretrained vs from scratch: ${runs[0]?.result.label ?? 'no run'}`,
    rows: runs.map((r) => ({
      start: r.start,
      srocc: r.result.metrics.srocc,
      plcc: r.result.metrics.plcc,
      epoch: r.result.selection?.epoch ?? null,
      val_srocc: r.result.selection?.valSrocc ?? null,
      train_s: r.result.trainSeconds,
    })),
    columns: [
      { key: 'start' }, { key: 'srocc', label: 'test SROCC', digits: 3 }, { key: 'plcc', label: 'test PLCC', digits: 3 },
      { key: 'epoch', label: 'epoch tested' }, { key: 'val_srocc', label: 'its validation SROCC', digits: 3 }, { key: 'train_s', label: 'train (s)', digits: 1 },
    ],
    notes: ['One split and one seed each: the difference carries no interval here; the spread of the test SROCC over the protocol\'s splits (notebook 05) is the yardstick for it.'],
  };
}
