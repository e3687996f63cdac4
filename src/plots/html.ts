// Figures as HTML: a self-contained page (plotly.js inlined, so it opens offline and needs no CDN)
// and a snippet for a notebook cell. Output is deterministic: no timestamps, no random ids.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Figure } from './figure.js';

let bundle: string | undefined;

/** The text of plotly.js-dist-min's bundle, read once. */
export function plotlyBundle(): string {
  if (bundle === undefined) {
    const file = createRequire(import.meta.url).resolve('plotly.js-dist-min');
    // A literal "</script" would end the inline <script> element early.
    bundle = readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return bundle;
}

/** JSON safe inside a <script> element: no "</script>", no raw U+2028/2029. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** plotly.js config: the camera button saves an SVG named after the figure. */
export function plotConfig(fig: Figure): Record<string, unknown> {
  return {
    responsive: true,
    displaylogo: false,
    toImageButtonOptions: { format: 'svg', filename: fig.name, ...(fig.size ?? {}) },
  };
}

function plotCall(divId: string, fig: Figure): string {
  return `Plotly.newPlot(${scriptJson(divId)}, ${scriptJson(fig.data)}, ${scriptJson(fig.layout)}, ${scriptJson(plotConfig(fig))});`;
}

function divStyle(fig: Figure): string {
  return fig.size ? `width:${fig.size.width}px;height:${fig.size.height}px` : 'width:100%;height:min(90vh,700px)';
}

/** A whole HTML page showing the figure, with plotly.js inlined. */
export function figureHtml(fig: Figure): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(fig.title)}</title>`,
    '<style>body{margin:0;font-family:sans-serif}</style>',
    '</head>',
    '<body>',
    `<div id="figure" style="${divStyle(fig)}"></div>`,
    `<script>${plotlyBundle()}</script>`,
    `<script>${plotCall('figure', fig)}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export interface InlineOptions {
  /**
   * 'once' (default): the first snippet of this process carries plotly.js, later ones reuse it
   * (cells must then be shown in order); 'always': every snippet carries it (4.6 MB each);
   * 'none': the page must already have window.Plotly.
   */
  bundle?: 'once' | 'always' | 'none';
}

/** The attribute of an inline figure's div that carries the figure's name (its file stem under figures/). */
export const FIGURE_ATTRIBUTE = 'data-dgiqa-figure';

let inlineCount = 0;
let bundleSent = false;

/**
 * An HTML snippet (a div and its script) for a notebook output; in a tslab notebook:
 * `tslab.display.html(inlineDisplay(fig))`. The library does not import tslab itself.
 */
export function inlineDisplay(fig: Figure, opts: InlineOptions = {}): string {
  const mode = opts.bundle ?? 'once';
  const withBundle = mode === 'always' || (mode === 'once' && !bundleSent);
  if (withBundle) bundleSent = true;
  // Ids from a counter, not random, so an executed notebook is the same on every run.
  const divId = `dgiqa-${fig.name}-${++inlineCount}`;
  // data-dgiqa-figure names the figure, so `reproduce` can put its PNG beside this output (src/site/).
  const parts = [`<div id="${escapeHtml(divId)}" ${FIGURE_ATTRIBUTE}="${escapeHtml(fig.name)}" style="${divStyle(fig)}"></div>`];
  // Guarded so a page that already has plotly.js (a rerun cell) does not load it again.
  if (withBundle) parts.push(`<script>if (!window.Plotly) {\n${plotlyBundle()}\n}</script>`);
  parts.push(`<script>${plotCall(divId, fig)}</script>`);
  return parts.join('\n');
}
