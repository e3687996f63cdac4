// The figure value every builder returns: plain plotly.js data and layout, so a figure can be
// serialised to JSON, embedded in HTML, or exported to PNG/SVG without any plotly code in Node.

/** Fields every trace kind accepts. */
export interface TraceBase {
  name?: string;
  showlegend?: boolean;
  legendgroup?: string;
  /** Axis ids ('x', 'x2', ...), for subplots. */
  xaxis?: string;
  yaxis?: string;
  hovertemplate?: string;
  opacity?: number;
}

export interface ScatterTrace extends TraceBase {
  type: 'scatter';
  x: number[];
  y: number[];
  mode: 'lines' | 'markers' | 'lines+markers';
  text?: string[];
  line?: Record<string, unknown>;
  marker?: Record<string, unknown>;
  error_y?: ErrorBars;
}

/** Asymmetric vertical error bars in data units (plotly's `error_y`): `array` above y, `arrayminus` below. */
export interface ErrorBars {
  type: 'data';
  symmetric: false;
  array: number[];
  arrayminus: number[];
  visible: boolean;
  color?: string;
  thickness?: number;
  width?: number;
}

export interface HistogramTrace extends TraceBase {
  type: 'histogram';
  x: number[];
  histnorm: '' | 'percent' | 'probability' | 'density' | 'probability density';
  xbins?: { start: number; end: number; size: number };
  marker?: Record<string, unknown>;
}

/** An RGB(A) picture given as a data URI (plotly draws it in pixel coordinates, y downwards). */
export interface ImageTrace extends TraceBase {
  type: 'image';
  source: string;
  hoverinfo?: string;
}

export interface HeatmapTrace extends TraceBase {
  type: 'heatmap';
  z: number[][];
  x0?: number;
  dx?: number;
  y0?: number;
  dy?: number;
  zmin?: number;
  zmax?: number;
  colorscale?: string;
  showscale?: boolean;
  colorbar?: Record<string, unknown>;
}

export type PlotlyTrace = ScatterTrace | HistogramTrace | ImageTrace | HeatmapTrace;

export interface Figure {
  /** File stem, after the paper's figure number: 'fig08-density'. */
  name: string;
  title: string;
  data: PlotlyTrace[];
  layout: Record<string, unknown>;
  /** Export size in CSS pixels when the content needs one (image grids); writers default otherwise. */
  size?: { width: number; height: number };
}

/** Shared look: one font, white background, the title on top. */
export function baseLayout(title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    title: { text: title, x: 0.5, xanchor: 'center' },
    font: { family: 'Arial, Liberation Sans, DejaVu Sans, sans-serif', size: 13 },
    paper_bgcolor: 'white',
    plot_bgcolor: 'white',
    margin: { l: 70, r: 70, t: 80, b: 60 },
    ...extra,
  };
}

/** A horizontal legend under the plot, below the x-axis title (the bottom margin makes room). */
export const BOTTOM_LEGEND = {
  legend: { orientation: 'h', x: 0.5, xanchor: 'center', y: -0.2, yanchor: 'top' },
  margin: { l: 70, r: 70, t: 80, b: 120 },
} as const;

/** Axis title in the form plotly.js 3 requires (a bare string title was removed in v3). */
export function axisTitle(text: string): { text: string } {
  return { text };
}

/** Colours used across figures, so "clean" or "SROCC" look the same everywhere. */
export const COLORS = {
  clean: '#1f77b4',
  distorted: '#d62728',
  srocc: '#1f77b4',
  plcc: '#ff7f0e',
  time: '#2ca02c',
  loss: '#1f77b4',
  lr: '#9467bd',
} as const;

/** Throws a one-line error unless every value is a finite number. */
export function assertFinite(values: readonly number[], what: string): void {
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`${what}[${i}] is ${String(v)}, not a finite number`);
  });
}
