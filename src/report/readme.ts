// The README's numbers from a course run, never typed by hand: the README marks each place with
// `<!-- dgiqa:NAME -->...<!-- /dgiqa:NAME -->` (invisible on GitHub), `reproduce` refills them from the
// saved tables in figures/ and the run's timings (course-run.json), and a test fails when the
// committed README and the committed figures disagree.
import { readFile, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from '../eval/csv.js';
import type { CsvTable } from '../eval/csv.js';
import { formatSeconds } from './report.js';
import type { ReportInput } from './report.js';
import { renderSettingsTable } from '../settings/index.js';

/** The course run's timings, beside REPORT.md, so the README can be refilled without rerunning. */
export const COURSE_RUN_FILE = 'course-run.json';

export interface CourseRunRecord {
  profile: string;
  date?: string;
  /** the course's wall time: trainings, then notebooks */
  seconds: number;
  trainings?: { trained: number; parallel: number; seconds: number };
  notebooks: { notebook: string; seconds: number; ok: boolean }[];
}

export function courseRunRecord(r: Pick<ReportInput, 'profile' | 'date' | 'notebooks' | 'trainings'>): CourseRunRecord {
  const notebooks = r.notebooks.filter((n) => !n.skipped).map((n) => ({ notebook: n.notebook, seconds: round1(n.seconds), ok: n.ok }));
  const trainings = r.trainings ? { trained: r.trainings.trained, parallel: r.trainings.parallel, seconds: round1(r.trainings.seconds) } : undefined;
  const seconds = round1((trainings?.seconds ?? 0) + notebooks.reduce((s, n) => s + n.seconds, 0));
  return { profile: r.profile, ...(r.date ? { date: r.date } : {}), seconds, ...(trainings ? { trainings } : {}), notebooks };
}

export async function writeCourseRun(figuresDir: string, record: CourseRunRecord): Promise<string> {
  const file = join(figuresDir, COURSE_RUN_FILE);
  await writeFile(file + '.tmp', JSON.stringify(record, null, 1) + '\n');
  await rename(file + '.tmp', file);
  return file;
}

async function readCourseRun(figuresDir: string): Promise<CourseRunRecord> {
  const file = join(figuresDir, COURSE_RUN_FILE);
  const v = JSON.parse(await readFile(file, 'utf8')) as CourseRunRecord;
  if (typeof v.seconds !== 'number' || !Array.isArray(v.notebooks)) throw new Error(`${file}: not a course-run record (seconds, notebooks)`);
  return v;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

// ---------------------------------------------------------------------------------------------
// Reading the saved tables

interface Table {
  csv: CsvTable;
  col(name: string): number;
}

async function table(figuresDir: string, stem: string): Promise<Table> {
  const file = join(figuresDir, `${stem}.csv`);
  const csv = parseCsv(await readFile(file, 'utf8'), file);
  return {
    csv,
    col(name: string): number {
      const i = csv.header.indexOf(name);
      if (i < 0) throw new Error(`${file}: no column "${name}" (has ${csv.header.join(', ')})`);
      return i;
    },
  };
}

/** The kit's rows of a table (the paper's rows have source `paper`). */
function kitRows(t: Table): string[][] {
  const src = t.col('source');
  return t.csv.rows.filter((r) => (r[src] ?? '') !== 'paper');
}

function cell(t: Table, row: string[] | undefined, name: string): string {
  if (!row) throw new Error(`${t.csv.file}: the kit's row is missing`);
  const v = row[t.col(name)] ?? '';
  if (v === '') throw new Error(`${t.csv.file}: the kit's "${name}" is empty`);
  return v;
}

function findRow(t: Table, column: string, value: string): string[] | undefined {
  const i = t.col(column);
  return kitRows(t).find((r) => r[i] === value);
}

// ---------------------------------------------------------------------------------------------
// The blocks

/** Every block the README may hold, rendered from one course's saved results (and the settings' declaration). */
export async function readmeBlocks(figuresDir: string): Promise<Map<string, string>> {
  const blocks = new Map<string, string>();
  const run = await readCourseRun(figuresDir);
  blocks.set('course-time', formatSeconds(run.seconds));
  blocks.set('course-timings', courseTimings(run));
  blocks.set('course-results', await courseResults(figuresDir, run));
  blocks.set('protocol-row', await protocolRow(figuresDir));
  // not from a run: the environment variables' table, from their declaration (src/settings)
  blocks.set('settings', renderSettingsTable());
  return blocks;
}

function courseTimings(run: CourseRunRecord): string {
  const parts: string[] = [];
  if (run.trainings) parts.push(`the trainings first, in one queue (${run.trainings.trained} trained, ${run.trainings.parallel} at a time): ${formatSeconds(run.trainings.seconds)}`);
  const nbs = run.notebooks.map((n) => `${n.notebook.replace(/\.ipynb$/, '')} ${formatSeconds(n.seconds)}${n.ok ? '' : ' (failed)'}`);
  parts.push(`then the notebooks: ${nbs.join(', ')}`);
  return `**${formatSeconds(run.seconds)}** (profile ${run.profile}${run.date ? `, ${run.date}` : ''}): ${parts.join('; ')}`;
}

async function protocolRow(figuresDir: string): Promise<string> {
  const t2 = await table(figuresDir, 'table2-benchmarks');
  const mean = findRow(t2, 'model', 'DGIQA (this kit), mean');
  const std = findRow(t2, 'model', 'DGIQA (this kit), std');
  return `${cell(t2, mean, 'splits')} splits: SROCC mean ${cell(t2, mean, 'synth-A SROCC')}, std ${cell(t2, std, 'synth-A SROCC')}; ` +
    `PLCC mean ${cell(t2, mean, 'synth-A PLCC')}, std ${cell(t2, std, 'synth-A PLCC')}`;
}

async function courseResults(figuresDir: string, run: CourseRunRecord): Promise<string> {
  const rows: [string, string][] = [];
  rows.push(['Table 2, synth-A (SROCC, PLCC; mean ± std over splits)', await table2Cell(figuresDir)]);

  const t3 = await table(figuresDir, 'table3-cross-dataset');
  const cross = kitRows(t3).map((r) => `${r[t3.col('train')]} -> ${r[t3.col('test')]} ${r[t3.col('srocc')]}`);
  rows.push(['Table 3, cross-family tests (SROCC)', cross.join('; ')]);

  const t4 = await table(figuresDir, 'table4-ablation');
  const full = findRow(t4, 'config', 'DGIQA full');
  const diffs = kitRows(t4).filter((r) => r !== full).map((r) => {
    const name = (r[t4.col('config')] ?? '').replace(/^DGIQA /, '').replace(/ \(.*\)$/, '');
    return `${name} ${r[t4.col('SROCC − full [95% CI]')]} (p ${r[t4.col('p (paired t)')]}${r[t4.col('significant (95%)')] === 'yes' ? ', significant' : ''})`;
  });
  rows.push([`Table 4, each variant's SROCC minus the full model's (${cell(t4, full, 'splits')} splits, paired, 95% interval)`,
    `full ${cell(t4, full, 'SROCC [95% CI]')}; ${diffs.join('; ')}`]);

  const dg = await table(figuresDir, 'table-depth-guidance');
  const groups = kitRows(dg).map((r) => `${r[dg.col('group')]}: ${r[dg.col('full − RGB only [95% CI]')]} (p ${r[dg.col('p (paired t)')]})`);
  rows.push(['Depth guidance, full minus RGB-only (SROCC)', groups.join('; ')]);

  const ov = await table(figuresDir, 'fig08-overlap');
  const overlaps = (rs: string[][]): string => rs.map((r) => `${r[ov.col('subset')]} ${r[ov.col('overlap (%)')]}%`).join(', ');
  // one group per scorer (DGIQA, RGB only, NIQE); a table from before the scorers has none
  const scorerCol = ov.csv.header.indexOf('scorer');
  const kit = kitRows(ov);
  const scorers = scorerCol < 0 ? [] : [...new Set(kit.map((r) => r[scorerCol]!))];
  rows.push(['Figs. 2 and 8, clean vs distorted overlap', scorerCol < 0 ? overlaps(kit) : scorers.map((sc) => `${sc}: ${overlaps(kit.filter((r) => r[scorerCol] === sc))}`).join('; ')]);
  // the pairs criterion, from the pooled rows, where the table has it
  const aboveCol = ov.csv.header.indexOf('clean scored better (% of pairs)');
  if (scorerCol >= 0 && aboveCol >= 0) {
    const pooledRows = kit.filter((r) => r[ov.col('subset')] === 'all (Fig. 2)' && r[aboveCol] !== '');
    if (pooledRows.length > 0) rows.push(['Figs. 2 and 8, clean image scored better than its distorted version (level 3 and worse, % of pairs)', pooledRows.map((r) => `${r[scorerCol]}: ${r[aboveCol]}%`).join('; ')]);
  }

  if (existsSync(join(figuresDir, 'table-pretrained-vs-scratch.csv'))) {
    const ps = await table(figuresDir, 'table-pretrained-vs-scratch');
    const starts = ps.csv.rows.map((r) => `${r[ps.col('start')]} ${r[ps.col('test SROCC')]} (epoch ${r[ps.col('epoch tested')]})`);
    rows.push(['Pretrained vs from scratch, split 0 (test SROCC)', starts.join('; ')]);
  }

  const t6 = await table(figuresDir, 'table6-full-reference');
  const fr = kitRows(t6)[0];
  rows.push(['Table 6, DGIQA-FR on synth-A (SROCC / PLCC)', `${cell(t6, fr, 'synth-A SROCC')} / ${cell(t6, fr, 'synth-A PLCC')}`]);

  rows.push(["The course's wall time", courseTimings(run)]);
  return ['| result | this course |', '| --- | --- |', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

async function table2Cell(figuresDir: string): Promise<string> {
  const t2 = await table(figuresDir, 'table2-benchmarks');
  const mean = findRow(t2, 'model', 'DGIQA (this kit), mean');
  const std = findRow(t2, 'model', 'DGIQA (this kit), std');
  return `SROCC **${cell(t2, mean, 'synth-A SROCC')}** ± ${cell(t2, std, 'synth-A SROCC')}, PLCC **${cell(t2, mean, 'synth-A PLCC')}** ± ${cell(t2, std, 'synth-A PLCC')} (${cell(t2, mean, 'splits')} splits)`;
}

// ---------------------------------------------------------------------------------------------
// Filling

const BLOCK = /<!-- dgiqa:([a-z0-9-]+) -->([\s\S]*?)<!-- \/dgiqa:\1 -->/g;

/** The blocks a text holds, by name, with their current content. */
export function blocksIn(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of text.matchAll(BLOCK)) found.set(m[1]!, m[2]!);
  return found;
}

/**
 * The text with each marked block's content replaced by the rendered one. A block on a line of its
 * own is written as its own lines (a table); one inside a sentence stays inline.
 */
export function fillBlocks(text: string, blocks: Map<string, string>, file: string): string {
  return text.replace(BLOCK, (whole, name: string, old: string) => {
    const value = blocks.get(name);
    if (value === undefined) throw new Error(`${file}: unknown block "${name}" (known: ${[...blocks.keys()].join(', ')})`);
    const own = old.startsWith('\n');
    return `<!-- dgiqa:${name} -->${own ? `\n${value}\n` : value}<!-- /dgiqa:${name} -->`;
  });
}

/** Refills the README's blocks from a course's figures; true when the file changed. */
export async function updateReadme(readme: string, figuresDir: string): Promise<boolean> {
  const text = await readFile(readme, 'utf8');
  const next = fillBlocks(text, await readmeBlocks(figuresDir), readme);
  if (next === text) return false;
  await writeFile(readme + '.tmp', next);
  await rename(readme + '.tmp', readme);
  return true;
}
