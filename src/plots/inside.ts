// Figures of the model's inside, drawn from tapped tensors' values (notebook 03): the TCB's channel
// gate per image (Eq. 1-2) and the receptive field of the dilated stack on the fused grid (Eq. 4).
import { assertFinite, axisTitle, baseLayout, type Figure } from './figure.js';

export interface GateRow {
  /** row label: which image and which branch */
  label: string;
  /** the gate's mean over the map's positions, one value per channel, in (0, 1) */
  values: number[];
}

export function gateFigure(rows: GateRow[], opts: { name?: string; title?: string } = {}): Figure {
  if (rows.length === 0) throw new Error('gateFigure: no rows');
  const width = rows[0]!.values.length;
  rows.forEach((r) => {
    if (r.values.length !== width) throw new Error(`gateFigure: row "${r.label}" has ${r.values.length} channels, the first ${width}`);
    assertFinite(r.values, `gateFigure: ${r.label}`);
  });
  const title = opts.title ?? 'TCB channel gate: mean over positions, per channel';
  return {
    name: opts.name ?? 'model-tcb-gate',
    title,
    data: [{ type: 'heatmap', z: rows.map((r) => r.values), x0: 0, dx: 1, y0: 0, dy: 1, zmin: 0, zmax: 1, colorscale: 'Viridis', colorbar: { title: { text: 'gate' } } }],
    layout: baseLayout(title, {
      xaxis: { title: axisTitle('channel') },
      yaxis: { tickvals: rows.map((_, i) => i), ticktext: rows.map((r) => r.label), autorange: 'reversed', automargin: true },
      margin: { l: 130 },
    }),
  };
}

/**
 * How many paths of two 3x3 convolutions (dilations d1 then d2, zero padding) lead from each cell of a
 * side x side grid to the cell `at`: nonzero cells are its receptive field after the dilated stack.
 */
export function receptiveField(side: number, dilations: readonly number[], at: readonly [number, number]): number[][] {
  if (!(side >= 1) || !Number.isInteger(side)) throw new Error(`receptiveField: side must be a positive integer, got ${side}`);
  let grid: number[][] = Array.from({ length: side }, (_, y) => Array.from({ length: side }, (_, x) => (y === at[0] && x === at[1] ? 1 : 0)));
  // the influence spreads backwards through the convolutions, the last one first
  for (const d of [...dilations].reverse()) {
    const next = grid.map((row) => row.map(() => 0));
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
      if (!grid[y]![x]) continue;
      for (const dy of [-d, 0, d]) for (const dx of [-d, 0, d]) {
        const yy = y + dy;
        const xx = x + dx;
        if (yy >= 0 && yy < side && xx >= 0 && xx < side) next[yy]![xx]! += grid[y]![x]!;
      }
    }
    grid = next;
  }
  return grid;
}

export interface FieldPanel {
  title: string;
  dilations: number[];
}

/** Receptive fields side by side (e.g. dilations 2, 4 against 1, 1), of the grid's centre cell. */
export function receptiveFieldFigure(side: number, panels: FieldPanel[], opts: { name?: string; title?: string } = {}): Figure {
  if (panels.length === 0) throw new Error('receptiveFieldFigure: no panels');
  const at: [number, number] = [Math.floor(side / 2), Math.floor(side / 2)];
  const title = opts.title ?? `Receptive field of the dilated stack on the ${side}x${side} fused grid (centre cell)`;
  const gap = 0.08;
  const w = (1 - gap * (panels.length - 1)) / panels.length;
  const layoutAxes: Record<string, unknown> = {};
  const fields = panels.map((p) => receptiveField(side, p.dilations, at));
  const zmax = Math.max(...fields.flat(2)); // one colour scale for all panels
  const range = [-0.5, side - 0.5];
  const data: Figure['data'] = panels.map((p, i) => {
    const field = fields[i]!;
    const suffix = i === 0 ? '' : String(i + 1);
    const cells = field.flat().filter((v) => v > 0).length;
    layoutAxes[`xaxis${suffix}`] = { domain: [i * (w + gap), i * (w + gap) + w], range, title: axisTitle(`${p.title}: ${cells} of ${side * side} cells`), constrain: 'domain', zeroline: false };
    layoutAxes[`yaxis${suffix}`] = { range: [range[1], range[0]], scaleanchor: `x${suffix}`, anchor: `x${suffix}`, zeroline: false };
    return { type: 'heatmap' as const, z: field, xaxis: `x${suffix}`, yaxis: `y${suffix}`, zmin: 0, zmax, colorscale: 'Blues', showscale: i === panels.length - 1, colorbar: { title: { text: 'paths' } } };
  });
  return { name: opts.name ?? 'model-receptive-field', title, data, layout: baseLayout(title, layoutAxes) };
}
