// Training curves: the loss and the learning rate (cosine annealing) on two y axes, against the
// optimiser step when the log has it, else the epoch.
import { BOTTOM_LEGEND, COLORS, assertFinite, axisTitle, baseLayout, type Figure } from './figure.js';

export interface TrainLogRow {
  step?: number;
  epoch: number;
  loss: number;
  lr: number;
}

export interface CurvesFigureOptions {
  name?: string;
  title?: string;
}

export function curvesFigure(log: TrainLogRow[], opts: CurvesFigureOptions = {}): Figure {
  if (log.length === 0) throw new Error('curvesFigure: empty training log');
  const bySteps = log.every((r) => r.step !== undefined);
  const x = log.map((r) => (bySteps ? r.step! : r.epoch));
  const loss = log.map((r) => r.loss);
  const lr = log.map((r) => r.lr);
  assertFinite(x, `curvesFigure: ${bySteps ? 'step' : 'epoch'}`);
  assertFinite(loss, 'curvesFigure: loss');
  assertFinite(lr, 'curvesFigure: lr');
  const title = opts.title ?? 'Training loss and learning rate';
  return {
    name: opts.name ?? 'training-curves',
    title,
    data: [
      { type: 'scatter', mode: 'lines', name: 'loss', x, y: loss, line: { color: COLORS.loss } },
      { type: 'scatter', mode: 'lines', name: 'learning rate', x, y: lr, yaxis: 'y2', line: { color: COLORS.lr, dash: 'dash' } },
    ],
    layout: baseLayout(title, {
      xaxis: { title: axisTitle(bySteps ? 'step' : 'epoch') },
      yaxis: { title: axisTitle('loss') },
      yaxis2: { title: axisTitle('learning rate'), overlaying: 'y', side: 'right', showgrid: false, zeroline: false, tickformat: '.1e' },
    ...BOTTOM_LEGEND,
    }),
  };
}
