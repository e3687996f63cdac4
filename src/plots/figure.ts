// The figure value every builder returns: plain plotly.js data and layout, so a figure can be
// serialised to JSON, embedded in HTML, or exported to PNG/SVG without any plotly code in Node.
import { profileFrom } from '../experiments/profiles.js';

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

/**
 * What every figure says about its own data, on the image itself (so a PNG copied out of the course
 * still says it): the run profile and, for the embedded synthetic benchmark, that its numbers are
 * not comparable with the paper's.
 */
export interface FigureStamp {
  profile: string;
  synthetic: boolean;
}

/** The stamp of the profile this process runs (DGIQA_PROFILE), when a figure is built. */
export function currentStamp(): FigureStamp {
  // profiles.ts imports nothing, so reading it here makes no import cycle (experiments imports plots)
  const p = profileFrom();
  return { profile: p.name, synthetic: p.synth !== null };
}

export function stampText(s: FigureStamp): string {
  return s.synthetic ? `profile ${s.profile} · synthetic data, not comparable with the paper` : `profile ${s.profile}`;
}

/** Figure width the writers use when a figure gives none (CSS pixels). */
export const DEFAULT_SIZE = { width: 1000, height: 600 } as const;

const TITLE_FONT = 17;
const STAMP_FONT = 12;
/** Average width of a title character in Arial, about 0.55 em: enough to wrap before plotly clips. */
const TITLE_CHAR = 0.55 * TITLE_FONT;

/** The title broken at spaces into lines that fit `width` pixels (plotly clips, it never wraps). */
export function wrapTitle(text: string, width: number = DEFAULT_SIZE.width): string[] {
  const perLine = Math.max(20, Math.floor((width - 40) / TITLE_CHAR));
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w.length > 0)) {
    if (line && line.length + 1 + word.length > perLine) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** Top margin that holds the wrapped title and the stamp under it. */
export function titleTop(title: string, width: number = DEFAULT_SIZE.width): number {
  // pad, title lines, the stamp, then room for the panel titles that sit just above the first row
  return 12 + wrapTitle(title, width).length * Math.round(TITLE_FONT * 1.3) + STAMP_FONT * 2 + 30;
}

export interface LayoutOptions {
  /** the figure's width in pixels, to wrap the title (default DEFAULT_SIZE.width) */
  width?: number;
  /** default: currentStamp() */
  stamp?: FigureStamp;
}

/**
 * Shared look of every figure: one font, white background, the title on top (wrapped to the width)
 * and the stamp under it as plotly's subtitle. The top margin grows to hold both.
 */
export function baseLayout(title: string, extra: Record<string, unknown> = {}, opts: LayoutOptions = {}): Record<string, unknown> {
  const width = opts.width ?? DEFAULT_SIZE.width;
  const stamp = opts.stamp ?? currentStamp();
  const margin = { l: 70, r: 70, t: 80, b: 60, ...((extra.margin as Record<string, number> | undefined) ?? {}) };
  margin.t = Math.max(margin.t, titleTop(title, width));
  return {
    font: { family: 'Arial, Liberation Sans, DejaVu Sans, sans-serif', size: 13 },
    paper_bgcolor: 'white',
    plot_bgcolor: 'white',
    ...extra,
    title: {
      text: wrapTitle(title, width).join('<br>'),
      font: { size: TITLE_FONT },
      x: 0.5,
      xanchor: 'center',
      yref: 'container',
      y: 1,
      yanchor: 'top',
      pad: { t: 12 },
      subtitle: { text: stampText(stamp), font: { size: STAMP_FONT, color: '#555' } },
    },
    meta: { stamp },
    margin,
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
