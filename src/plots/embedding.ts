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

export function tsneFigure(points: EmbeddedPoint[], title: string, opts: TsneFigureOptions = {}): Figure {
  if (points.length === 0) throw new Error('tsneFigure: no points');
  const x = points.map((p) => p.x);
  const y = points.map((p) => p.y);
  const q = points.map((p) => p.quality);
  assertFinite(x, 'tsneFigure: x');
  assertFinite(y, 'tsneFigure: y');
  assertFinite(q, 'tsneFigure: quality');
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
          colorbar: { title: { text: 'quality' } },
          showscale: true,
        },
        hovertemplate: `${labels.text ? '%{text}<br>' : ''}quality %{marker.color:.3f}<extra></extra>`,
      },
    ],
    layout: baseLayout(title, {
      // t-SNE axes have no units; equal scaling keeps distances honest.
      xaxis: { title: axisTitle('t-SNE 1'), zeroline: false },
      yaxis: { title: axisTitle('t-SNE 2'), zeroline: false, scaleanchor: 'x' },
      showlegend: false,
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
