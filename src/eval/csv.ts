// Score files as CSV tables (a few columns, up to tens of thousands of rows): a header line, then
// rows exactly as wide, split by the kit's CSV tokenizer (src/util/csv.ts). Every error is one
// line that starts with the file name.
import { readFile } from 'node:fs/promises';
import { csvRecords } from '../util/csv.js';

export interface CsvTable {
  /** The file name used in error messages. */
  file: string;
  header: string[];
  rows: string[][];
  /** The 1-based line of the file where each row starts (rows may span lines inside quotes). */
  lines: number[];
}

/** Parses CSV text; `file` only names the source in error messages. */
export function parseCsv(text: string, file: string): CsvTable {
  const records = csvRecords(text, (problem) => new Error(`${file}: ${problem}`));
  const first = records.shift();
  if (!first) throw new Error(`${file}: empty file, expected a header line`);
  const header = first.fields.map((h) => h.trim());
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new Error(`${file}: column "${h}" appears twice in the header`);
    seen.add(h);
  }
  records.forEach((rec, k) => {
    if (rec.fields.length !== header.length) {
      throw new Error(
        `${file}: row ${k + 1} (line ${rec.line}) has ${rec.fields.length} fields, the header has ${header.length}`,
      );
    }
  });
  return { file, header, rows: records.map((r) => r.fields), lines: records.map((r) => r.line) };
}

/** Reads and parses a CSV file; an unreadable file is a one-line error naming it. */
export async function readCsv(file: string): Promise<CsvTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read${code ? ` (${code})` : ''}`);
  }
  return parseCsv(text, file);
}

function columnIndex(table: CsvTable, name: string): number {
  const k = table.header.indexOf(name);
  if (k < 0) {
    throw new Error(`${table.file}: missing column "${name}" (columns: ${table.header.join(', ')})`);
  }
  return k;
}

function requireRows(table: CsvTable): void {
  if (table.rows.length === 0) throw new Error(`${table.file}: no data rows after the header`);
}

/** A column as strings (trimmed). Rows are numbered from 1 after the header. */
export function stringColumn(table: CsvTable, name: string): string[] {
  const k = columnIndex(table, name);
  requireRows(table);
  return table.rows.map((r) => r[k]!.trim());
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A column as finite numbers; an empty or non-numeric cell is an error naming its row. */
export function numericColumn(table: CsvTable, name: string): number[] {
  const k = columnIndex(table, name);
  requireRows(table);
  return table.rows.map((r, i) => {
    const cell = r[k]!.trim();
    // Plain decimal notation only: Number() would take '' as 0 and hex such as '0x1f'.
    const v = DECIMAL.test(cell) ? Number(cell) : NaN;
    if (!Number.isFinite(v)) {
      throw new Error(
        `${table.file}: row ${i + 1} (line ${table.lines[i]}), column "${name}": ${JSON.stringify(r[k])} is not a finite number`,
      );
    }
    return v;
  });
}
