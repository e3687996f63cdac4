// Figs. 2 and 8 of DGIQA (arXiv 2505.24002, Section 5.2): for each natural-distortion dataset, the
// predicted scores of clean and of distorted images as normalised histograms, each with its fitted
// Gaussian, and the overlap of the two Gaussians (in %) in the panel title.
import { BOTTOM_LEGEND, COLORS, assertFinite, axisTitle, baseLayout, type Figure, type PlotlyTrace } from './figure.js';
import { cellTitle, titledPixelGrid } from './grid.js';

export interface FittedGaussians {
  mean_clean: number;
  std_clean: number;
  mean_distorted: number;
  std_distorted: number;
}

export interface DensityPanel {
  dataset: string;
  clean: number[];
  distorted: number[];
  overlapPct: number;
  /** The fits saved with the result (a DensitySeparation from src/eval has these fields). */
  fitted: FittedGaussians;
}

export interface DensityFigureOptions {
  name?: string;
  title?: string;
  /** Panels per row (default: all in one row, up to 4). */
  cols?: number;
  /** Histogram bins over the common score range. */
  bins?: number;
  /** Points on each Gaussian curve. */
  curvePoints?: number;
}

export function densityFigure(panels: DensityPanel[], opts: DensityFigureOptions = {}): Figure {
  if (panels.length === 0) throw new Error('densityFigure: no panels');
  const title = opts.title ?? 'Predicted scores: clean vs distorted';
  const bins = opts.bins ?? 30;
  const curvePoints = opts.curvePoints ?? 200;
  // Pixel gaps: below each row its tick labels and axis title, above the next its panel title.
  // The title wraps to the figure's width (one panel is narrower than a long title: Fig. 2 was clipped).
  const { cells, size, plot, margin } = titledPixelGrid(panels.length, opts.cols ?? Math.min(panels.length, 4),
    { cellWidth: 300, cellHeight: 240, xGap: 60, yGap: 110, margin: BOTTOM_LEGEND.margin }, title);
  const data: PlotlyTrace[] = [];
  const layout = baseLayout(title, {
    barmode: 'overlay',
    ...BOTTOM_LEGEND,
    margin,
    // the legend 60 px under the last row, whatever the number of rows
    legend: { ...BOTTOM_LEGEND.legend, y: -60 / plot.height },
  }, { width: size.width });
  const annotations: Record<string, unknown>[] = [];
  panels.forEach((p, k) => {
    const where = `densityFigure: ${p.dataset}`;
    assertFinite(p.clean, `${where}: clean`);
    assertFinite(p.distorted, `${where}: distorted`);
    if (p.clean.length === 0 || p.distorted.length === 0) throw new Error(`${where}: needs clean and distorted scores`);
    const f = p.fitted;
    for (const s of [f.std_clean, f.std_distorted]) {
      if (!(s > 0)) throw new Error(`${where}: fitted std must be positive, got ${s}`);
    }
    const cell = cells[k]!;
    const all = [...p.clean, ...p.distorted];
    // One bin grid for both groups, widened to show each Gaussian to about 3 std.
    const lo = Math.min(...all, f.mean_clean - 3 * f.std_clean, f.mean_distorted - 3 * f.std_distorted);
    const hi = Math.max(...all, f.mean_clean + 3 * f.std_clean, f.mean_distorted + 3 * f.std_distorted);
    const dataLo = Math.min(...all);
    const dataHi = Math.max(...all);
    const size = (dataHi - dataLo) / bins || 1 / bins;
    const xbins = { start: dataLo, end: dataHi + size * 1e-9, size };
    const first = k === 0; // one legend entry per group, not per panel
    for (const group of ['clean', 'distorted'] as const) {
      const color = COLORS[group];
      data.push({
        type: 'histogram',
        name: group,
        legendgroup: group,
        showlegend: first,
        x: group === 'clean' ? p.clean : p.distorted,
        histnorm: 'probability density',
        xbins,
        opacity: 0.45,
        marker: { color },
        xaxis: cell.x,
        yaxis: cell.y,
      });
      const mean = group === 'clean' ? f.mean_clean : f.mean_distorted;
      const std = group === 'clean' ? f.std_clean : f.std_distorted;
      const xs = linspace(lo, hi, curvePoints);
      data.push({
        type: 'scatter',
        mode: 'lines',
        name: `${group} (Gaussian fit)`,
        legendgroup: `${group}-fit`,
        showlegend: first,
        x: xs,
        y: xs.map((x) => gaussianPdf(x, mean, std)),
        line: { color, width: 2 },
        xaxis: cell.x,
        yaxis: cell.y,
      });
    }
    layout[cell.xKey] = { domain: cell.xDomain, anchor: cell.y, title: axisTitle('predicted score') };
    // Only the first column names the y axis; the others share its meaning.
    layout[cell.yKey] = { domain: cell.yDomain, anchor: cell.x, ...(cell.xDomain[0] === 0 ? { title: axisTitle('density') } : {}) };
    annotations.push(cellTitle(cell, `${p.dataset} (overlap ${p.overlapPct.toFixed(1)}%)`));
  });
  layout.annotations = annotations;
  return { name: opts.name ?? 'fig08-density', title, data, layout, size };
}

function gaussianPdf(x: number, mean: number, std: number): number {
  const z = (x - mean) / std;
  return Math.exp(-0.5 * z * z) / (std * Math.sqrt(2 * Math.PI));
}

/** n evenly spaced values from lo to hi inclusive. */
export function linspace(lo: number, hi: number, n: number): number[] {
  if (n < 2) return [lo];
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}
