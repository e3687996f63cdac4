// Figs. 7 and 14 of DGIQA: a 2-D t-SNE of the features, one marker per image, coloured by its
// quality score, so a reader sees whether quality varies smoothly across the embedding.
import { assertFinite, axisTitle, baseLayout, type Figure } from './figure.js';

export interface EmbeddedPoint {
  x: number;
  y: number;
  /** Ground-truth (or predicted) quality in [0, 1]. */
  quality: number;
  /** Hover text, e.g. the image name. */
  label?: string;
}

export interface TsneFigureOptions {
  name?: string;
  /** Colour range; defaults to the data's range. */
  qualityRange?: [number, number];
}

/**
 * The axis window of a t-SNE figure: the 2nd to 98th percentile widened by a quarter of its span on
 * each side, never wider than the data. t-SNE can throw a few points far out (Fig. 7 was squashed into
 * a corner by two); the axes follow the bulk, and the points beyond are drawn on the edge.
 */
export function robustRange(values: readonly number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (f: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(f * (sorted.length - 1))))]!;
  const lo = at(0.02);
  const hi = at(0.98);
  const pad = (hi - lo) * 0.25 || 1;
  return [Math.max(sorted[0]!, lo - pad), Math.min(sorted[sorted.length - 1]!, hi + pad)];
}

export function tsneFigure(points: EmbeddedPoint[], title: string, opts: TsneFigureOptions = {}): Figure {
  if (points.length === 0) throw new Error('tsneFigure: no points');
  assertFinite(points.map((p) => p.x), 'tsneFigure: x');
  assertFinite(points.map((p) => p.y), 'tsneFigure: y');
  const q = points.map((p) => p.quality);
  assertFinite(q, 'tsneFigure: quality');
  const xr = robustRange(points.map((p) => p.x));
  const yr = robustRange(points.map((p) => p.y));
  const clamp = (v: number, [lo, hi]: [number, number]): number => Math.min(hi, Math.max(lo, v));
  const x = points.map((p) => clamp(p.x, xr));
  const y = points.map((p) => clamp(p.y, yr));
  const outside = points.map((p, i) => p.x !== x[i] || p.y !== y[i]);
  const nOutside = outside.filter(Boolean).length;
  const pad = (r: [number, number]): [number, number] => [r[0] - (r[1] - r[0]) * 0.03, r[1] + (r[1] - r[0]) * 0.03];
  const [cmin, cmax] = opts.qualityRange ?? [Math.min(...q), Math.max(...q)];
  const labels = points.every((p) => p.label !== undefined) ? { text: points.map((p) => p.label!) } : {};
  return {
    name: opts.name ?? 'fig07-tsne',
    title,
    data: [
      {
        type: 'scatter',
        mode: 'markers',
        name: 'images',
        x,
        y,
        ...labels,
        marker: {
          color: q,
          colorscale: 'Viridis',
          cmin,
          cmax,
          size: 7,
          opacity: 0.85,
          symbol: outside.map((o) => (o ? 'triangle-up' : 'circle')),
          colorbar: { title: { text: 'quality' } },
          showscale: true,
        },
        hovertemplate: `${labels.text ? '%{text}<br>' : ''}quality %{marker.color:.3f}<extra></extra>`,
      },
    ],
    layout: baseLayout(title, {
      // t-SNE axes have no units; equal scaling keeps distances honest.
      xaxis: { title: axisTitle('t-SNE 1'), zeroline: false, range: pad(xr) },
      yaxis: { title: axisTitle('t-SNE 2'), zeroline: false, scaleanchor: 'x', range: pad(yr) },
      showlegend: false,
      annotations: nOutside === 0 ? [] : [{
        text: `${nOutside} of ${points.length} points lie beyond the axes (2nd-98th percentile, widened) and are drawn on the edge as triangles`,
        showarrow: false, xref: 'paper', yref: 'paper', x: 0, y: -0.16, xanchor: 'left', yanchor: 'top', font: { size: 11, color: '#555' },
      }],
      margin: { l: 70, r: 70, t: 80, b: 90 },
    }),
  };
}

/** Pairs a t-SNE embedding (rows of [x, y]) with the quality of each image. */
export function embeddedPoints(embedding: number[][], quality: number[], labels?: string[]): EmbeddedPoint[] {
  if (embedding.length !== quality.length) {
    throw new Error(`embeddedPoints: ${embedding.length} embedded rows but ${quality.length} quality values`);
  }
  if (labels && labels.length !== quality.length) {
    throw new Error(`embeddedPoints: ${labels.length} labels but ${quality.length} quality values`);
  }
  return embedding.map((row, i) => ({
    x: row[0]!,
    y: row[1]!,
    quality: quality[i]!,
    ...(labels ? { label: labels[i]! } : {}),
  }));
}
