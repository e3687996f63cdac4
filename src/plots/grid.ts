// Subplot grids laid out by hand (explicit axis domains) rather than with layout.grid, so each
// panel's title can be an annotation placed exactly above its own cell.
import { titleTop } from './figure.js';

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

export interface PixelGridOptions {
  /** Size of one cell's plotting area, CSS pixels. */
  cellWidth: number;
  cellHeight: number;
  /** Gaps between cells in pixels: room for tick labels, axis titles and the next row's panel titles. */
  xGap: number;
  yGap: number;
  margin: { l: number; r: number; t: number; b: number };
}

/**
 * A grid whose gaps are fixed in pixels, with the figure size that makes them so. Gaps given as
 * fractions of the plot (gridCells) shrink or grow with the number of rows, and titles collide.
 */
export function pixelGrid(count: number, cols: number, o: PixelGridOptions): { cells: GridCell[]; size: { width: number; height: number }; plot: { width: number; height: number } } {
  const c = Math.min(cols, count);
  const rows = Math.ceil(count / c);
  const plot = { width: c * o.cellWidth + (c - 1) * o.xGap, height: rows * o.cellHeight + (rows - 1) * o.yGap };
  const cells = gridCells(count, cols, { xGap: o.xGap / plot.width, yGap: o.yGap / plot.height });
  const size = { width: Math.round(plot.width + o.margin.l + o.margin.r), height: Math.round(plot.height + o.margin.t + o.margin.b) };
  return { cells, size, plot };
}

/**
 * pixelGrid with the top margin raised to hold the figure's title (wrapped to the figure's width)
 * and its stamp: the cells keep their pixel sizes and gaps, the figure grows instead.
 */
export function titledPixelGrid(count: number, cols: number, o: PixelGridOptions, title: string): ReturnType<typeof pixelGrid> & { margin: PixelGridOptions['margin'] } {
  const first = pixelGrid(count, cols, o);
  const t = titleTop(title, first.size.width);
  if (t <= o.margin.t) return { ...first, margin: o.margin };
  const margin = { ...o.margin, t };
  return { ...pixelGrid(count, cols, { ...o, margin }), margin };
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
