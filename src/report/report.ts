// figures/REPORT.md: what a `dgiqa reproduce` run made (every figure and table, with links), under
// which profile, how long each notebook took, on what machine, and, for the smoke and demo
// profiles, plainly that the numbers come from the embedded benchmark and cannot be compared with
// the paper's. Also the table writers the notebooks use and the check for missing outputs.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { tableCsv, tableMarkdown } from '../plots/index.js';
import type { Environment } from '../util/environment.js';
import { environmentMarkdown } from '../util/environment.js';
import { COURSE_OUTPUTS, outputFiles } from './course.js';
import type { CourseOutput } from './course.js';
import type { CourseTable } from './paperTables.js';

// ---------------------------------------------------------------------------------------------
// Tables as files and as notebook output.

/** The table as a Markdown document: title, notes, then the table. */
export function tableDocument(t: CourseTable): string {
  const notes = t.notes.length > 0 ? t.notes.map((n) => `- ${n}`).join('\n') + '\n\n' : '';
  return `# ${t.title}\n\n${notes}${tableMarkdown(t.rows, t.columns)}`;
}

/** What a notebook cell shows: the title in bold, the table, the notes under it. */
export function tableDisplay(t: CourseTable): string {
  const notes = t.notes.map((n) => `*${n}*`).join('<br>\n');
  return `**${t.title}**\n\n${tableMarkdown(t.rows, t.columns)}\n${notes}\n`;
}

/** Writes `<dir>/<name>.md` (title, notes, table) and `<dir>/<name>.csv`. */
export async function writeCourseTable(t: CourseTable, dir: string): Promise<{ markdown: string; csv: string }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(t.name)) throw new Error(`table name ${JSON.stringify(t.name)} is not a plain file name`);
  await mkdir(dir, { recursive: true });
  const markdown = join(dir, `${t.name}.md`);
  const csv = join(dir, `${t.name}.csv`);
  await writeFile(markdown, tableDocument(t));
  await writeFile(csv, tableCsv(t.rows, t.columns));
  return { markdown, csv };
}

// ---------------------------------------------------------------------------------------------
// Checking a run's outputs.

/** Files of the expected outputs that are not in `dir` (PNG and SVG only when `images`). */
export function missingOutputs(dir: string, images = true, expected: readonly CourseOutput[] = COURSE_OUTPUTS): string[] {
  return expected.flatMap((o) => outputFiles(o, images)).filter((f) => !existsSync(join(dir, f)));
}

export interface OutputGroup {
  name: string;
  /** file names in the folder, e.g. fig06-crops.html, fig06-crops.png */
  files: string[];
  expected: CourseOutput | undefined;
}

const FIGURE_EXT = ['.html', '.png', '.svg'];
const TABLE_EXT = ['.md', '.csv'];

/** The figures and tables in `dir`, grouped by file stem (REPORT.md and environment.md left out). */
export function scanOutputs(dir: string): { figures: OutputGroup[]; tables: OutputGroup[] } {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => !['REPORT.md', 'environment.md'].includes(f)) : [];
  const stems = new Map<string, string[]>();
  for (const f of files) {
    const ext = [...FIGURE_EXT, ...TABLE_EXT].find((e) => f.endsWith(e));
    if (!ext) continue;
    const stem = f.slice(0, -ext.length);
    stems.set(stem, [...(stems.get(stem) ?? []), f]);
  }
  const byName = new Map(COURSE_OUTPUTS.map((o) => [o.name, o]));
  const order = (name: string): number => {
    const i = COURSE_OUTPUTS.findIndex((o) => o.name === name);
    return i < 0 ? COURSE_OUTPUTS.length : i;
  };
  const groups = [...stems.entries()]
    .map(([name, fs]) => ({ name, files: fs.sort(), expected: byName.get(name) }))
    .sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name));
  const isTable = (g: OutputGroup): boolean => g.expected ? g.expected.kind === 'table' : g.files.every((f) => TABLE_EXT.some((e) => f.endsWith(e)));
  return { figures: groups.filter((g) => !isTable(g)), tables: groups.filter(isTable) };
}

// ---------------------------------------------------------------------------------------------
// REPORT.md

export interface NotebookRun {
  notebook: string;
  seconds: number;
  ok: boolean;
  /** where the executed copy was written */
  executed?: string;
  /** the failing cell and error, when not ok */
  error?: string;
  /** not run (an earlier notebook failed) */
  skipped?: boolean;
}

/** The course's trainings, run in one queue before the notebooks (`dgiqa reproduce`). */
export interface TrainingsRun {
  trained: number;
  saved: number;
  parallel: number;
  seconds: number;
  ok: boolean;
  error?: string;
}

export interface ReportInput {
  profile: string;
  /** folder of the figures and of REPORT.md */
  figuresDir: string;
  notebooks: NotebookRun[];
  trainings?: TrainingsRun;
  environment: Environment;
  /** expected files that are missing */
  missing: string[];
  /** e.g. why PNG and SVG were not written */
  notes?: string[];
  /** ISO date of the run; left out, the report has none (reproducible text) */
  date?: string;
  /** the course site's index.html (`dgiqa site`), linked with a page per notebook */
  site?: string;
}

/** True for the profiles whose results come from the embedded benchmark. */
export function usesEmbeddedBenchmark(profile: string): boolean {
  return profile !== 'paper';
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '-';
  if (s < 59.95) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  const m = Math.floor(whole / 60);
  if (m < 60) return `${m} min ${String(whole % 60).padStart(2, '0')} s`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function link(fromDir: string, path: string, text: string): string {
  const rel = relative(fromDir, path).split(sep).join('/');
  return `[${text}](${encodeURI(rel)})`;
}

export function reportMarkdown(r: ReportInput): string {
  const dir = r.figuresDir;
  const total = r.notebooks.reduce((a, n) => a + n.seconds, 0) + (r.trainings?.seconds ?? 0);
  const failed = r.notebooks.filter((n) => !n.ok && !n.skipped);
  const lines: string[] = ['# DGIQA kit: reproduction report', ''];
  const what = r.trainings ? `the course's trainings, then ${r.notebooks.length} notebooks,` : `${r.notebooks.length} notebooks`;
  lines.push(`Profile **${r.profile}**${r.date ? `, run of ${r.date}` : ''}; ${what} in ${formatSeconds(total)} of wall time; backend ${r.environment.backend}${r.environment.gpu ? ' (GPU)' : ' (no GPU)'}.`, '');
  if (usesEmbeddedBenchmark(r.profile)) {
    lines.push(
      `> **These results come from the kit's embedded benchmark** (rendered scenes with exact depth, synth-A and synth-B) ` +
        `and a small model fine-tuned on the CPU from the kit's own pretrained backbones (profile ${r.profile}). They show that every step of the method runs ` +
        `and how the figures are made; they **cannot be compared with the paper's numbers**, which were measured on the real ` +
        `datasets with the full model. The paper's rows in each table are printed beside them for reference only. ` +
        `Run with \`DGIQA_PROFILE=paper\` and the datasets on disk (see data/README.md) for the paper's protocol.`,
      '',
    );
    if (r.profile === 'smoke') lines.push('> The smoke profile trains tiny models for one epoch on a handful of images: its numbers are noise.', '');
  } else {
    lines.push('> Profile paper: the paper\'s model and protocol on the official datasets. Each table\'s `source` column says which rows come from this run.', '');
  }
  if (failed.length > 0) {
    lines.push('## Failures', '');
    for (const n of failed) lines.push(`- **${n.notebook}**: ${(n.error ?? 'failed').split('\n')[0]}`);
    lines.push('');
  }
  if (r.missing.length > 0) {
    lines.push('## Missing outputs', '', ...r.missing.map((m) => `- ${m}`), '');
  }
  for (const n of r.notes ?? []) lines.push(`> ${n}`, '');
  if (r.site) lines.push(`The course to read without running: ${link(dir, r.site, 'the course site')} (one page per notebook, figures inline), built from the executed copies below.`, '');

  lines.push('## Notebooks', '', '| notebook | wall time | status | executed copy |', '| --- | ---: | --- | --- |');
  const t = r.trainings;
  if (t) {
    const what = t.ok ? `${t.trained} run, ${t.parallel} at a time${t.saved ? `; ${t.saved} saved before` : ''}` : `failed: ${t.error ?? ''}`;
    lines.push(`| all trainings first (${what}) | ${formatSeconds(t.seconds)} | ${t.ok ? 'ok' : 'failed'} | - |`);
  }
  for (const n of r.notebooks) {
    const status = n.skipped ? 'not run' : n.ok ? 'ok' : 'failed';
    const page = r.site && n.ok ? join(dirname(r.site), n.notebook.replace(/\.ipynb$/, '.html')) : undefined;
    const copy = n.executed && n.ok ? link(dir, n.executed, n.notebook) + (page && existsSync(page) ? ` · ${link(dir, page, 'page')}` : '') : '-';
    lines.push(`| ${n.notebook} | ${n.skipped ? '-' : formatSeconds(n.seconds)} | ${status} | ${copy} |`);
  }
  lines.push(`| **total** | **${formatSeconds(total)}** | | |`, '');

  const { figures, tables } = scanOutputs(dir);
  // The interactive HTML is not linked: figures/*.html is not committed (each carries plotly.js),
  // so every link in the committed report resolves in the repository.
  const describe = (g: OutputGroup): string => {
    const links = g.files.filter((f) => !f.endsWith('.html')).map((f) => link(dir, join(dir, f), f.slice(g.name.length + 1).toUpperCase())).join(' · ');
    return `- **${g.name}**${g.expected ? `: ${g.expected.title}` : ''} (${links || `${g.name}.html only: no PNG or SVG was written`})`;
  };
  lines.push('## Figures', '', 'PNG and SVG of each figure; a run also writes each as interactive HTML (`figures/<name>.html`, not committed: each carries the 4.6 MB plotly.js).', '', ...(figures.length > 0 ? figures.map(describe) : ['(none)']), '');
  lines.push('## Tables', '', 'Each table has a `source` column: `paper` for the paper\'s numbers, `this run, ...` for the kit\'s.', '', ...(tables.length > 0 ? tables.map(describe) : ['(none)']), '');

  // The environment section without its own title and intro line.
  const env = environmentMarkdown(r.environment).split('\n');
  const start = env.findIndex((l) => l.startsWith('- backend'));
  lines.push('## Environment', '', ...env.slice(start < 0 ? 0 : start));
  return lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}

/** Writes figures/REPORT.md; returns its path. */
export async function writeReport(r: ReportInput): Promise<string> {
  await mkdir(r.figuresDir, { recursive: true });
  const path = join(r.figuresDir, 'REPORT.md');
  await writeFile(path, reportMarkdown(r));
  return path;
}
