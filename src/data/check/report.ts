// The report a run writes when it leaves inputs out: `bad-inputs.json` in its output folder, one
// entry per input (file, problem, and the stage that found it), and a one-line summary for stderr.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BadInput } from '../records.js';

export const BAD_REPORT_FILE = 'bad-inputs.json';

/** Where a bad input was found: the label file, the check of the files before training, an epoch. */
export type BadStage = 'labels' | 'files' | 'epoch';

export interface BadEntry extends BadInput {
  stage: BadStage;
}

export interface BadReport {
  /** What was opened (e.g. `koniq10k`), for a reader of the file. */
  dataset: string;
  count: number;
  inputs: BadEntry[];
}

function read(path: string): BadReport | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as BadReport;
  } catch {
    return undefined;
  }
}

function write(path: string, report: BadReport): void {
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(report, null, 2) + '\n');
    renameSync(tmp, path);
  } catch (err) {
    // ENOSPC's message names no file (issue 20)
    throw new Error(`${path}: cannot write: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Writes `dir/bad-inputs.json` for the inputs left out before a run (a rerun replaces them and keeps
 * what earlier epochs added); returns its path.
 */
export function writeBadReport(dir: string, dataset: string, inputs: BadEntry[]): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, BAD_REPORT_FILE);
  // an epoch's find that the check now reports too is listed once, by the check (issue 20)
  const checked = new Set(inputs.map((b) => b.file));
  const epochs = (read(path)?.inputs ?? []).filter((e) => e.stage === 'epoch' && !checked.has(e.file));
  const all = [...inputs, ...epochs];
  write(path, { dataset, count: all.length, inputs: all });
  return path;
}

/**
 * Adds inputs to `dir/bad-inputs.json` (made if absent); returns its path. A file already listed is
 * not listed again: a bad image fails in every epoch, and is one input left out.
 */
export function appendBadInputs(dir: string, inputs: BadInput[], stage: BadStage): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, BAD_REPORT_FILE);
  const old = read(path);
  const listed = new Set((old?.inputs ?? []).map((e) => e.file));
  const fresh = inputs.filter((b) => !listed.has(b.file) && listed.add(b.file));
  const all = [...(old?.inputs ?? []), ...fresh.map((b) => ({ ...b, stage }))];
  write(path, { dataset: old?.dataset ?? '', count: all.length, inputs: all });
  return path;
}

/** The one-line summary: how many inputs were left out, the first, and where the list is. */
export function badSummary(dataset: string, inputs: readonly BadInput[], reportPath: string): string {
  if (inputs.length === 0) return `bad data: ${dataset}: none found (report: ${reportPath})`;
  const first = inputs[0]!;
  const more = inputs.length > 1 ? `, and ${inputs.length - 1} more` : '';
  return `bad data: ${dataset}: ${inputs.length} input(s) left out (--skip-bad): ${first.file}: ${first.problem}${more}; list in ${reportPath}`;
}
