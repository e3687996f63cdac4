// Writing figures to disk: the interactive HTML always, PNG and SVG through plotly.js's own
// Plotly.toImage in headless Chromium (driven by playwright-core, which downloads nothing here: it
// is pointed at an installed Chromium). One browser and one page serve many figures; plotly.js is
// loaded into the page once.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_SIZE, type Figure } from './figure.js';
import { figureHtml, plotlyBundle } from './html.js';

export interface ExportOptions {
  png?: boolean;
  svg?: boolean;
  /** CSS pixels; defaults to the figure's own size, else DEFAULT_SIZE. */
  width?: number;
  height?: number;
  /** Pixel density of the PNG (2: sharp on paper and on high-DPI screens). */
  scale?: number;
}

export interface WrittenFigure {
  html: string;
  png?: string;
  svg?: string;
  /** Why an image was not written, and how to get it. */
  note?: string;
}

export { DEFAULT_SIZE };
const DEFAULT_SCALE = 2;

/** Flags that start Debian's Chromium headless in a container without a GPU or network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export const CHROMIUM_HINT =
  'install Chromium (Debian/Ubuntu: `apt-get install -y chromium`) or set CHROMIUM_PATH to a Chromium or Chrome binary, then rerun';

/**
 * The Chromium to use: $CHROMIUM_PATH, then the usual system paths, then a browser that playwright
 * itself installed (its PLAYWRIGHT_BROWSERS_PATH); undefined when none exists.
 */
export async function findChromium(): Promise<string | undefined> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const system = SYSTEM_CHROMIUM.find((p) => existsSync(p));
  if (system) return system;
  try {
    const { chromium } = await import('playwright-core');
    const p = chromium.executablePath();
    return p && existsSync(p) ? p : undefined;
  } catch {
    return undefined;
  }
}

function missingNote(): string {
  const env = process.env.CHROMIUM_PATH;
  const where = env ? `CHROMIUM_PATH=${env} does not exist` : `no Chromium at ${SYSTEM_CHROMIUM.join(', ')} or in playwright's browser folder`;
  return `PNG and SVG not written: ${where}; ${CHROMIUM_HINT}`;
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(`figure name ${JSON.stringify(name)} is not a plain file name (letters, digits, . _ -)`);
  }
}

/** Writes `<outDir>/<name>.html` only. */
export async function writeFigureHtml(fig: Figure, outDir: string): Promise<string> {
  checkName(fig.name);
  await mkdir(outDir, { recursive: true });
  const html = join(outDir, `${fig.name}.html`);
  await writeFile(html, figureHtml(fig));
  return html;
}

// What runs inside the page. Math.random is reseeded before each export because plotly.js draws
// its element ids (clip paths, gradients) from it, and the SVG should be identical on every run.
interface PageArgs {
  data: unknown;
  layout: unknown;
  format: 'png' | 'svg';
  width: number;
  height: number;
  scale: number;
}
function renderInPage(args: PageArgs): Promise<string> {
  const g = globalThis as unknown as {
    Math: { random: () => number };
    Plotly: { toImage(fig: unknown, opts: Record<string, unknown>): Promise<string> };
  };
  let s = 0x9e3779b9;
  g.Math.random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return g.Plotly.toImage(
    { data: args.data, layout: args.layout, config: { staticPlot: true } },
    { format: args.format, width: args.width, height: args.height, scale: args.format === 'png' ? args.scale : 1 },
  );
}

/** Bytes of a data: URL as Plotly.toImage returns it (base64 for PNG, percent-encoded for SVG). */
function dataUrlBytes(url: string): Buffer {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma < 0) throw new Error('Plotly.toImage returned no data URL');
  const meta = url.slice(5, comma);
  const body = url.slice(comma + 1);
  return meta.endsWith(';base64') ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8');
}

/**
 * One headless Chromium for many figures. Where Chromium is missing or does not start, open()
 * still succeeds: `available` is false, `note` says why, and write() writes the HTML alone.
 */
export class FigureExporter {
  private browser: Browser | undefined;
  private page: Page | undefined;
  /** Set when images cannot be made: the reason and how to fix it. */
  note: string | undefined;

  constructor(private readonly executablePath?: string) {}

  get available(): boolean {
    return this.page !== undefined;
  }

  async open(): Promise<this> {
    if (this.page) return this;
    if (this.executablePath !== undefined && !existsSync(this.executablePath)) {
      this.note = `PNG and SVG not written: no Chromium at ${this.executablePath}; ${CHROMIUM_HINT}`;
      return this;
    }
    const exe = this.executablePath ?? (await findChromium());
    if (!exe) {
      this.note = missingNote();
      return this;
    }
    try {
      const { chromium } = await import('playwright-core');
      this.browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS });
      this.page = await this.browser.newPage();
      await this.page.setContent('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>');
      await this.page.addScriptTag({ content: plotlyBundle() });
      this.note = undefined;
    } catch (err) {
      await this.close();
      const first = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      this.note = `PNG and SVG not written: Chromium at ${exe} did not start (${first}); ${CHROMIUM_HINT}`;
    }
    return this;
  }

  async close(): Promise<void> {
    const browser = this.browser;
    this.browser = undefined;
    this.page = undefined;
    if (browser) await browser.close();
  }

  /** The figure as PNG or SVG bytes; throws when Chromium is unavailable. */
  async toImage(fig: Figure, format: 'png' | 'svg', opts: ExportOptions = {}): Promise<Buffer> {
    if (!this.page) throw new Error(this.note ?? 'FigureExporter: call open() first');
    const size = fig.size ?? DEFAULT_SIZE;
    const args: PageArgs = {
      data: fig.data,
      layout: fig.layout,
      format,
      width: opts.width ?? size.width,
      height: opts.height ?? size.height,
      scale: opts.scale ?? DEFAULT_SCALE,
    };
    return dataUrlBytes(await this.page.evaluate(renderInPage, args));
  }

  /** Writes the HTML, and the PNG and SVG (both by default) when Chromium is available. */
  async write(fig: Figure, outDir: string, opts: ExportOptions = {}): Promise<WrittenFigure> {
    const out: WrittenFigure = { html: await writeFigureHtml(fig, outDir) };
    const formats = (['png', 'svg'] as const).filter((f) => opts[f] !== false);
    if (formats.length === 0) return out;
    if (!this.page) {
      out.note = this.note ?? 'PNG and SVG not written: FigureExporter was not opened';
      return out;
    }
    for (const format of formats) {
      const file = join(outDir, `${fig.name}.${format}`);
      await writeFile(file, await this.toImage(fig, format, opts));
      out[format] = file;
    }
    return out;
  }
}

/** Opens one exporter, runs fn with it, and closes it even when fn throws. */
export async function withExporter<T>(fn: (exporter: FigureExporter) => Promise<T>, executablePath?: string): Promise<T> {
  const exporter = await new FigureExporter(executablePath).open();
  try {
    return await fn(exporter);
  } finally {
    await exporter.close();
  }
}

/**
 * Writes `<outDir>/<name>.html`, `.png` and `.svg`. Pass an open `exporter` to reuse its browser
 * across figures; without one, a browser is started for this figure alone.
 */
export async function writeFigure(
  fig: Figure,
  outDir: string,
  opts: ExportOptions & { exporter?: FigureExporter } = {},
): Promise<WrittenFigure> {
  const { exporter, ...rest } = opts;
  if (exporter) return exporter.write(fig, outDir, rest);
  if (rest.png === false && rest.svg === false) return { html: await writeFigureHtml(fig, outDir) };
  return withExporter((ex) => ex.write(fig, outDir, rest));
}
