// Notebook 04's pieces: the training log as curve rows, the epoch records and the resolved config
// as tables, and the split-0 run that notebook 05's protocol then reuses.
import { applySplit } from '../data/splits.js';
import { openBenchmark } from '../experiments/datasets.js';
import type { Benchmark } from '../experiments/datasets.js';
import type { Profile } from '../experiments/profiles.js';
import { splitsFor } from '../experiments/protocol.js';
import { resultPath } from '../experiments/results.js';
import { trainAndTest } from '../experiments/run.js';
import type { RunResult, RunSpec } from '../experiments/run.js';
import type { TableRow, TrainLogRow } from '../plots/index.js';
import type { CourseTable } from './paperTables.js';

/** The `data` text of a run, as the protocol writes it. */
export function dataLabel(b: Benchmark): string {
  return b.kind === 'embedded' ? `embedded benchmark ${b.id} (not comparable with the paper)` : `${b.id} (official files)`;
}

/**
 * The spec of split 0 of the protocol on `dataset`: the same folder, items and seed as
 * experiments.runProtocol uses, so that training it here lets the protocol skip it later.
 */
export async function protocolSplitSpec(profile: Profile, dataset = profile.protocol[0]!): Promise<RunSpec> {
  const b = await openBenchmark(dataset, profile);
  const split = (await splitsFor(profile, b, 1))[0]!;
  const { train, val, test } = applySplit(b.items, split);
  return { profile, dir: resultPath(profile, 'protocol', dataset, 'split-00'), train: [...train, ...val], test, label: `${dataset} split 0`, data: dataLabel(b), seed: 0 };
}

/** Trains (or reads back) split 0 of the protocol. */
export async function trainSplitZero(profile: Profile, dataset?: string): Promise<{ spec: RunSpec; result: RunResult; runDir: string }> {
  const spec = await protocolSplitSpec(profile, dataset);
  return { spec, result: await trainAndTest(spec), runDir: `${spec.dir}/run` };
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
