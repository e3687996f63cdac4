// Predicted score against the label (the paper's Fig. 1 kind): one point per test image, the
// identity line, SROCC and PLCC in the title; coloured by distortion where the records carry one.
import { BOTTOM_LEGEND, assertFinite, axisTitle, baseLayout, type Figure, type ScatterTrace } from './figure.js';

export interface PredictionPoint {
  label: number;
  predicted: number;
  distortion?: string;
  image?: string;
}

export interface ScatterFigureOptions {
  name?: string;
  title?: string;
  /** shown in the title; computed by the caller (eval's metrics), not here */
  srocc?: number;
  plcc?: number;
}

const SYMBOLS = ['circle', 'diamond', 'square', 'triangle-up'];
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function predictionScatterFigure(points: PredictionPoint[], opts: ScatterFigureOptions = {}): Figure {
  if (points.length === 0) throw new Error('predictionScatterFigure: no points');
  assertFinite(points.map((p) => p.label), 'predictionScatterFigure: label');
  assertFinite(points.map((p) => p.predicted), 'predictionScatterFigure: predicted');
  const groups = new Map<string, PredictionPoint[]>();
  for (const p of points) {
    const k = p.distortion ?? 'test images';
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  const data: ScatterTrace[] = [...groups.entries()].map(([name, ps], i) => ({
    type: 'scatter', mode: 'markers', name, x: ps.map((p) => p.label), y: ps.map((p) => p.predicted),
    // past ten groups the colours repeat with another marker shape, so no two groups look alike
    text: ps.map((p) => p.image ?? ''), marker: { color: PALETTE[i % PALETTE.length], symbol: SYMBOLS[Math.floor(i / PALETTE.length) % SYMBOLS.length], size: 7, opacity: 0.8 },
  }));
  const all = points.flatMap((p) => [p.label, p.predicted]);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  data.push({ type: 'scatter', mode: 'lines', name: 'predicted = label', x: [lo, hi], y: [lo, hi], line: { color: '#444', dash: 'dot' } });
  const metrics = [opts.srocc !== undefined ? `SROCC ${opts.srocc.toFixed(3)}` : '', opts.plcc !== undefined ? `PLCC ${opts.plcc.toFixed(3)}` : ''].filter(Boolean).join(', ');
  const base = opts.title ?? `Predicted score vs label, ${points.length} test images`;
  const title = metrics ? `${base} (${metrics})` : base;
  return {
    name: opts.name ?? 'training-scatter',
    title,
    data,
    layout: baseLayout(title, {
      xaxis: { title: axisTitle('label (quality in [0, 1])') },
      yaxis: { title: axisTitle('predicted score') },
      ...BOTTOM_LEGEND,
    }),
  };
}
