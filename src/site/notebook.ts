// Executed notebooks as readers get them: the nbformat 4 types the site needs, reading with a
// one-line error, and the step `dgiqa reproduce` runs on each executed copy so that it reads
// without a kernel: every inline Plotly figure gets its static PNG, and run-to-run noise goes.
//
// Why after the run and not in the cell: tslab's display sends one MIME type per call
// (display.html, display.png, ...: node_modules/tslab/dist/public.d.ts), so a figure cannot carry
// HTML and PNG in one bundle from inside the kernel.
//
// What a figure output becomes: `image/png` (the figure's own figures/<name>.png, written by the
// cell) and a `text/plain` line. The interactive HTML is dropped from the copy: GitHub, nbviewer and
// an untrusted JupyterLab show it blank, and the first one carries the 4.6 MB plotly.js bundle; the
// interactive figure is figures/<name>.html after a run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { FIGURE_ATTRIBUTE } from '../plots/index.js';

/** A cell's text: nbformat stores it as one string or as a list of lines. */
export type MultilineString = string | string[];

export interface NotebookOutput {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error';
  /** stream: stdout or stderr */
  name?: string;
  text?: MultilineString;
  /** display_data, execute_result: MIME type -> content (base64 for images) */
  data?: Record<string, MultilineString>;
  metadata?: Record<string, unknown>;
  execution_count?: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface NotebookCell {
  cell_type: 'markdown' | 'code' | 'raw';
  id?: string;
  source: MultilineString;
  metadata: Record<string, unknown>;
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export function joinText(s: MultilineString | undefined): string {
  return s === undefined ? '' : Array.isArray(s) ? s.join('') : s;
}

/** Reads an nbformat 4 notebook; a one-line error naming the file otherwise. */
export function readNotebook(file: string): Notebook {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not a readable notebook (${(err instanceof Error ? err.message : String(err)).split('\n')[0]})`);
  }
  const nb = value as Partial<Notebook> | null;
  if (!nb || typeof nb !== 'object' || !Array.isArray(nb.cells) || nb.nbformat !== 4) {
    throw new Error(`${file}: not an nbformat 4 notebook (no cells list or nbformat ${String(nb?.nbformat)})`);
  }
  return nb as Notebook;
}

/** Writes a notebook as Jupyter does (one-space indent, trailing newline), so diffs stay small. */
export function writeNotebook(file: string, nb: Notebook): void {
  writeFileSync(file, JSON.stringify(nb, null, 1) + '\n');
}

/** The figure name an inline Plotly output carries (plots.inlineDisplay), if any. */
export function figureName(output: NotebookOutput): string | undefined {
  const html = joinText(output.data?.['text/html']);
  const m = new RegExp(`${FIGURE_ATTRIBUTE}="([A-Za-z0-9][A-Za-z0-9._-]*)"`).exec(html);
  return m?.[1];
}

export interface FigurePngsResult {
  /** figures that got their PNG */
  withPng: string[];
  /** figures left as interactive HTML only: no figures/<name>.png (no Chromium) */
  withoutPng: string[];
}

/** `<root>/x` as `x` and `<root>` as `.` in an output's text (not in images). */
function withoutRoot(output: NotebookOutput, root: string): void {
  const strip = (s: MultilineString): string => joinText(s).split(root + sep).join('').split(root).join('.');
  if (output.text !== undefined) output.text = strip(output.text);
  if (output.evalue !== undefined) output.evalue = strip(output.evalue);
  if (output.traceback) output.traceback = output.traceback.map(strip);
  for (const mime of ['text/plain', 'text/markdown', 'text/html']) if (output.data?.[mime] !== undefined) output.data[mime] = strip(output.data[mime]!);
}

const COURSE_NOTEBOOK = /^\d\d-[A-Za-z0-9._-]+\.ipynb$/;
// Code spans and blocks first, so that a link inside code is left alone.
const CODE_OR_LINK = /(```[\s\S]*?```|~~~[\s\S]*?~~~|`[^`\n]*`|\]\(\s*<?[^)\s>]+>?|(?:src|href)="[^"]*")/g;

/**
 * Markdown written in `fromDir` with its relative links made to work from `toDir`; links to a
 * course notebook (NN-*.ipynb) beside it are kept (they reach the executed sibling), as are URLs
 * and anchors.
 */
export function relinkMarkdown(text: string, fromDir: string, toDir: string): string {
  return text.replace(CODE_OR_LINK, (m) => {
    const inline = /^\]\(\s*<?/.exec(m);
    const attr = /^(src|href)="/.exec(m);
    if (!inline && !attr) return m;
    const head = inline ? inline[0] : attr![0];
    const target = inline ? m.slice(head.length).replace(/>$/, '') : m.slice(head.length, -1);
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#') || target.startsWith('//') || target.startsWith('/')) return m;
    const hash = target.indexOf('#');
    const path = hash < 0 ? target : target.slice(0, hash);
    const resolved = resolve(fromDir, decodeURI(path));
    if (dirname(resolved) === resolve(fromDir) && COURSE_NOTEBOOK.test(basename(resolved))) return m;
    const moved = encodeURI(relative(toDir, resolved).split(sep).join('/')) + (path.endsWith('/') ? '/' : '') + (hash < 0 ? '' : target.slice(hash));
    return inline ? `${head}${moved}${m.endsWith('>') ? '>' : ''}` : `${head}${moved}"`;
  });
}

export interface ReaderCopyOptions {
  /** the folder the notebook was written in: relative links in its markdown are moved to work from the copy's folder (once: the metadata records it) */
  sourceDir?: string;
  /** the kit's root: written out as a relative path in text outputs, so no path of the machine that ran it stays in the copy */
  root?: string;
}

/**
 * Rewrites an executed copy in place for readers: each inline figure output becomes the figure's
 * PNG from `figuresDir` (left as it is where that PNG is missing); links and the kit's root are
 * rewritten as `opts` says; and the per-cell execution timestamps nbclient records are removed, so
 * two runs with the same results give the same file.
 */
export function addFigurePngs(file: string, figuresDir: string, opts: ReaderCopyOptions = {}): FigurePngsResult {
  const { sourceDir, root } = opts;
  const nb = readNotebook(file);
  const result: FigurePngsResult = { withPng: [], withoutPng: [] };
  const meta = (nb.metadata.dgiqa ?? {}) as { linksFrom?: string };
  const relink = sourceDir !== undefined && meta.linksFrom === undefined && resolve(sourceDir) !== resolve(dirname(file));
  const moveLinks = (text: MultilineString): string => relinkMarkdown(joinText(text), sourceDir!, dirname(resolve(file)));
  for (const cell of nb.cells) {
    if ('execution' in cell.metadata) delete cell.metadata.execution;
    if (relink && cell.cell_type === 'markdown') cell.source = moveLinks(cell.source);
    for (const output of cell.outputs ?? []) {
      if (relink && output.data?.['text/markdown'] !== undefined) output.data['text/markdown'] = moveLinks(output.data['text/markdown']);
      if (root !== undefined) withoutRoot(output, resolve(root));
    }
    for (const output of cell.outputs ?? []) {
      const name = figureName(output);
      if (!name || !output.data) continue;
      const png = join(figuresDir, `${name}.png`);
      if (!existsSync(png)) {
        result.withoutPng.push(name);
        continue;
      }
      output.data = {
        'image/png': readFileSync(png).toString('base64'),
        'text/plain': `Figure ${name} (figures/${name}.png; interactive: figures/${name}.html after a run)`,
      };
      output.metadata = { dgiqa: { figure: name } };
      result.withPng.push(name);
    }
  }
  if (relink) nb.metadata.dgiqa = { ...meta, linksFrom: relative(dirname(resolve(file)), resolve(sourceDir!)).split(sep).join('/') };
  writeNotebook(file, nb);
  return result;
}
