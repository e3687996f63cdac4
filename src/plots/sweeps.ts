// The ablation sweeps of DGIQA's appendix: Fig. 6 (SROCC, PLCC and evaluation time against the
// number of test-time crops) and Fig. 11 (SROCC and PLCC against the consistency-loss weight lambda).
import { BOTTOM_LEGEND, COLORS, assertFinite, axisTitle, baseLayout, type Figure, type ScatterTrace } from './figure.js';

export interface CropsRow {
  crops: number;
  srocc: number;
  plcc: number;
  /** Wall time to evaluate the test set with this many crops. */
  seconds: number;
}

export interface LambdaRow {
  lambda: number;
  srocc: number;
  plcc: number;
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

export function lambdaFigure(rows: LambdaRow[], opts: SweepFigureOptions = {}): Figure {
  const sorted = sortedBy(rows, (r) => r.lambda, 'lambdaFigure');
  const x = sorted.map((r) => r.lambda);
  const title = opts.title ?? 'SROCC and PLCC vs consistency-loss weight λ';
  return {
    name: opts.name ?? 'fig11-lambda',
    title,
    data: correlationTraces(sorted, x, 'lambdaFigure'),
    layout: baseLayout(title, {
      // The swept values are few and unevenly spaced: tick each one.
      xaxis: { title: axisTitle('λ (consistency-loss weight)'), tickmode: 'array', tickvals: x },
      yaxis: { title: axisTitle('correlation') },
    ...BOTTOM_LEGEND,
    }),
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
