// The paper's tables as Markdown and CSV, with the paper's rows beside the kit's and a `source`
// column saying where each row comes from (the paper, or this run with its profile and data), so a
// reader never mistakes a number from the embedded benchmark for one from the paper.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Cell = string | number | null | undefined;
export type TableRow = Record<string, Cell>;

export interface TableColumn {
  key: string;
  /** Header text; defaults to the key. */
  label?: string;
  /** Decimals for numbers (the paper prints 3); none: the number as it is. */
  digits?: number;
}

/** What a Markdown cell shows for a missing value (the paper prints '-'). */
export const MISSING = '-';

function normalise(columns: (string | TableColumn)[]): TableColumn[] {
  if (columns.length === 0) throw new Error('table: no columns');
  return columns.map((c) => (typeof c === 'string' ? { key: c } : c));
}

function format(v: Cell, col: TableColumn): string | undefined {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return undefined;
  if (typeof v === 'number') return col.digits === undefined ? String(v) : v.toFixed(col.digits);
  return v;
}

/** A GitHub-flavoured Markdown table; numbers right-aligned, missing values shown as '-'. */
export function tableMarkdown(rows: TableRow[], columns: (string | TableColumn)[]): string {
  const cols = normalise(columns);
  const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  // A column is numeric when every present value in it is a number.
  const numeric = cols.map((c) => rows.every((r) => r[c.key] === null || r[c.key] === undefined || typeof r[c.key] === 'number'));
  const header = `| ${cols.map((c) => esc(c.label ?? c.key)).join(' | ')} |`;
  const rule = `|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`;
  const body = rows.map((r) => `| ${cols.map((c) => esc(format(r[c.key], c) ?? MISSING)).join(' | ')} |`);
  return [header, rule, ...body].join('\n') + '\n';
}

/** RFC 4180 CSV with a header line; missing values are empty fields. */
export function tableCsv(rows: TableRow[], columns: (string | TableColumn)[]): string {
  const cols = normalise(columns);
  const quote = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [cols.map((c) => quote(c.label ?? c.key)).join(',')];
  for (const r of rows) lines.push(cols.map((c) => quote(format(r[c.key], c) ?? '')).join(','));
  return lines.join('\n') + '\n';
}

/** The source text for rows made by this run, e.g. "this run (profile demo, data: synthetic benchmark)". */
export function runSource(profile: string, data: string): string {
  return `this run (profile ${profile}, data: ${data})`;
}

/**
 * The paper's rows (source 'paper') followed by the kit's rows (source `kitSource`), every row with
 * a `source` cell; a row that already has one keeps it.
 */
export function besidePaper(paperRows: TableRow[], kitRows: TableRow[], kitSource: string): TableRow[] {
  const tag = (rows: TableRow[], source: string): TableRow[] =>
    rows.map((r) => ({ ...r, source: r.source ?? source }));
  return [...tag(paperRows, 'paper'), ...tag(kitRows, kitSource)];
}

/** Writes `<outDir>/<name>.md` and `<outDir>/<name>.csv`. */
export async function writeTable(
  rows: TableRow[],
  columns: (string | TableColumn)[],
  outDir: string,
  name: string,
): Promise<{ markdown: string; csv: string }> {
  await mkdir(outDir, { recursive: true });
  const markdown = join(outDir, `${name}.md`);
  const csv = join(outDir, `${name}.csv`);
  await writeFile(markdown, tableMarkdown(rows, columns));
  await writeFile(csv, tableCsv(rows, columns));
  return { markdown, csv };
}
