// The ablation sweeps of DGIQA's appendix: Fig. 6 (SROCC, PLCC and evaluation time against the
// number of test-time crops) and Fig. 11 (SROCC and PLCC against the consistency-loss weight lambda,
// each point a mean over splits with its 95% interval as an error bar).
import { BOTTOM_LEGEND, COLORS, assertFinite, axisTitle, baseLayout, type ErrorBars, type Figure, type ScatterTrace } from './figure.js';

export interface CropsRow {
  crops: number;
  srocc: number;
  plcc: number;
  /** Wall time to evaluate the test set with this many crops. */
  seconds: number;
}

export interface LambdaRow {
  lambda: number;
  /** means over the splits */
  srocc: number;
  plcc: number;
  /** 95% intervals of the means, [lo, hi] (NaN with a single split: no bar) */
  sroccCi?: readonly [number, number];
  plccCi?: readonly [number, number];
  /** one entry per split: their number goes into the title */
  runs?: readonly unknown[];
}

export interface SweepFigureOptions {
  name?: string;
  title?: string;
}

export function cropsFigure(rows: CropsRow[], opts: SweepFigureOptions = {}): Figure {
  const sorted = sortedBy(rows, (r) => r.crops, 'cropsFigure');
  const x = sorted.map((r) => r.crops);
  const seconds = sorted.map((r) => r.seconds);
  assertFinite(seconds, 'cropsFigure: seconds');
  const title = opts.title ?? 'SROCC, PLCC and evaluation time vs number of crops';
  const time: ScatterTrace = {
    type: 'scatter',
    mode: 'lines+markers',
    name: 'evaluation time (s)',
    x,
    y: seconds,
    yaxis: 'y2',
    line: { color: COLORS.time, dash: 'dot' },
    marker: { symbol: 'square' },
  };
  return {
    name: opts.name ?? 'fig06-crops',
    title,
    data: [...correlationTraces(sorted, x, 'cropsFigure'), time],
    layout: baseLayout(title, {
      xaxis: { title: axisTitle('number of crops'), tickmode: 'array', tickvals: x },
      yaxis: { title: axisTitle('correlation') },
      yaxis2: { title: axisTitle('evaluation time (s)'), overlaying: 'y', side: 'right', rangemode: 'tozero', showgrid: false, zeroline: false },
    ...BOTTOM_LEGEND,
    }),
  };
}

/**
 * Fig. 11. Rows from `experiments.runLambdaSweep` carry their splits and intervals: the points are
 * means with 95% error bars, and the title (given or default) ends with how many splits each point
 * averages, so a reader can judge the differences between lambdas against their spread.
 */
export function lambdaFigure(rows: LambdaRow[], opts: SweepFigureOptions = {}): Figure {
  const sorted = sortedBy(rows, (r) => r.lambda, 'lambdaFigure');
  const x = sorted.map((r) => r.lambda);
  const title = [opts.title ?? 'SROCC and PLCC vs consistency-loss weight λ', spreadNote(sorted)].filter((t) => t !== '').join(' ');
  const [srocc, plcc] = correlationTraces(sorted, x, 'lambdaFigure') as [ScatterTrace, ScatterTrace];
  const sroccBars = errorBars(sorted, (r) => r.sroccCi, (r) => r.srocc, COLORS.srocc);
  const plccBars = errorBars(sorted, (r) => r.plccCi, (r) => r.plcc, COLORS.plcc);
  return {
    name: opts.name ?? 'fig11-lambda',
    title,
    data: [sroccBars ? { ...srocc, error_y: sroccBars } : srocc, plccBars ? { ...plcc, error_y: plccBars } : plcc],
    layout: baseLayout(title, {
      // The swept values are few and unevenly spaced: tick each one.
      xaxis: { title: axisTitle('λ (consistency-loss weight)'), tickmode: 'array', tickvals: x },
      yaxis: { title: axisTitle('correlation') },
    ...BOTTOM_LEGEND,
    }),
  };
}

/** "(mean of 3 splits per point; bars: 95% t intervals)"; empty for rows that do not say their splits. */
function spreadNote(rows: LambdaRow[]): string {
  const counts = [...new Set(rows.filter((r) => r.runs !== undefined).map((r) => r.runs!.length))].sort((a, b) => a - b);
  if (counts.length === 0) return '';
  const n = counts.length === 1 ? String(counts[0]) : `${counts[0]}-${counts[counts.length - 1]}`;
  if (counts[counts.length - 1]! < 2) return '(1 split per point: no interval)';
  return `(mean of ${n} splits per point; bars: 95% t intervals)`;
}

/** Bars from the [lo, hi] intervals; a point without a finite interval gets none, and no interval at all gives undefined. */
function errorBars(rows: LambdaRow[], ci: (r: LambdaRow) => readonly [number, number] | undefined, mean: (r: LambdaRow) => number, color: string): ErrorBars | undefined {
  const finite = (r: LambdaRow): boolean => {
    const iv = ci(r);
    return iv !== undefined && Number.isFinite(iv[0]) && Number.isFinite(iv[1]);
  };
  if (!rows.some(finite)) return undefined;
  return {
    type: 'data',
    symmetric: false,
    array: rows.map((r) => (finite(r) ? ci(r)![1] - mean(r) : 0)),
    arrayminus: rows.map((r) => (finite(r) ? mean(r) - ci(r)![0] : 0)),
    visible: true,
    color,
    thickness: 1.5,
    width: 6,
  };
}

function correlationTraces(rows: { srocc: number; plcc: number }[], x: number[], where: string): ScatterTrace[] {
  const srocc = rows.map((r) => r.srocc);
  const plcc = rows.map((r) => r.plcc);
  assertFinite(srocc, `${where}: srocc`);
  assertFinite(plcc, `${where}: plcc`);
  return [
    { type: 'scatter', mode: 'lines+markers', name: 'SROCC', x, y: srocc, line: { color: COLORS.srocc } },
    { type: 'scatter', mode: 'lines+markers', name: 'PLCC', x, y: plcc, line: { color: COLORS.plcc } },
  ];
}

// Rows may come from a results file in any order; lines need them sorted by x.
function sortedBy<T>(rows: T[], key: (r: T) => number, where: string): T[] {
  if (rows.length === 0) throw new Error(`${where}: no rows`);
  assertFinite(rows.map(key), `${where}: x`);
  return [...rows].sort((a, b) => key(a) - key(b));
}
