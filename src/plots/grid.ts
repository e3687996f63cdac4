// Subplot grids laid out by hand (explicit axis domains) rather than with layout.grid, so each
// panel's title can be an annotation placed exactly above its own cell.

export interface GridCell {
  /** Trace axis ids: 'x', 'x2', ... */
  x: string;
  y: string;
  /** Layout keys: 'xaxis', 'xaxis2', ... */
  xKey: string;
  yKey: string;
  xDomain: [number, number];
  yDomain: [number, number];
}

export interface GridOptions {
  /** Horizontal gap between cells, as a fraction of the plot width. */
  xGap?: number;
  /** Vertical gap between cells, as a fraction of the plot height (room for panel titles). */
  yGap?: number;
}

/** The cells of a rows x cols grid in reading order (left to right, top to bottom). */
export function gridCells(count: number, cols: number, opts: GridOptions = {}): GridCell[] {
  if (!Number.isInteger(count) || count < 1) throw new Error(`gridCells: needs at least one panel, got ${count}`);
  if (!Number.isInteger(cols) || cols < 1) throw new Error(`gridCells: cols must be a positive integer, got ${cols}`);
  const c = Math.min(cols, count);
  const rows = Math.ceil(count / c);
  const xGap = opts.xGap ?? 0.06;
  const yGap = opts.yGap ?? 0.12;
  const w = (1 - xGap * (c - 1)) / c;
  const h = (1 - yGap * (rows - 1)) / rows;
  const cells: GridCell[] = [];
  for (let k = 0; k < count; k++) {
    const row = Math.floor(k / c);
    const col = k % c;
    const suffix = k === 0 ? '' : String(k + 1);
    const x0 = col * (w + xGap);
    const y1 = 1 - row * (h + yGap);
    cells.push({
      x: `x${suffix}`,
      y: `y${suffix}`,
      xKey: `xaxis${suffix}`,
      yKey: `yaxis${suffix}`,
      xDomain: [round(x0), round(x0 + w)],
      yDomain: [round(y1 - h), round(y1)],
    });
  }
  return cells;
}

/** A panel title just above a cell, centred on it. */
export function cellTitle(cell: GridCell, text: string): Record<string, unknown> {
  return {
    text,
    showarrow: false,
    xref: 'paper',
    yref: 'paper',
    x: (cell.xDomain[0] + cell.xDomain[1]) / 2,
    y: cell.yDomain[1],
    xanchor: 'center',
    yanchor: 'bottom',
    font: { size: 13 },
  };
}

// Domains rounded so the written JSON does not carry float noise like 0.30000000000000004.
function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
