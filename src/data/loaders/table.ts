// Label tables (CSV files and spreadsheet sheets) as header + rows of strings, with lookups that
// fail on one line naming the file and what was expected.
import { DataError } from './files.js';

export interface Table {
  /** The file the table came from (for error messages). */
  file: string;
  columns: string[];
  /** Data rows, each as long as `columns` (short rows are padded with ''). */
  rows: string[][];
  /** 1-based line (or sheet row) number of each data row, for error messages. */
  lines: number[];
}

/** Splits CSV text (RFC 4180: quoted fields, doubled quotes, CRLF or LF) into records. */
export function parseCsv(text: string): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const src = text.replace(/^\uFEFF/, '');
  const endRecord = (): void => {
    fields.push(field);
    // A blank line is no record (trailing newlines, spacer lines).
    if (!(fields.length === 1 && fields[0]!.trim() === '')) records.push({ fields, line: recordLine });
    fields = [];
    field = '';
  };
  while (i < src.length) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          quoted = false;
        }
      } else {
        if (c === '\n') line += 1;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i += 1;
      endRecord();
      line += 1;
      recordLine = line;
    } else {
      field += c;
    }
    i += 1;
  }
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}

/** A CSV file's text as a table whose first record is the header. */
export function csvTable(file: string, text: string): Table {
  const records = parseCsv(text);
  const header = records[0];
  if (!header) throw new DataError(file, 'empty (expected a header line and data lines)');
  const columns = header.fields.map((c) => c.trim());
  return {
    file,
    columns,
    rows: records.slice(1).map((r) => padRow(r.fields, columns.length)),
    lines: records.slice(1).map((r) => r.line),
  };
}

export function padRow(fields: string[], width: number): string[] {
  const row = fields.map((f) => f.trim());
  while (row.length < width) row.push('');
  return row;
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase();
}

/** Index of a column, matched up to case and surrounding spaces; undefined when absent. */
export function findColumn(table: Table, name: string): number | undefined {
  const want = normalizeName(name);
  const index = table.columns.findIndex((c) => normalizeName(c) === want);
  return index < 0 ? undefined : index;
}

/** Index of the first of `names` present; fails naming the file and the columns it has. */
export function requireColumn(table: Table, ...names: string[]): number {
  for (const name of names) {
    const index = findColumn(table, name);
    if (index !== undefined) return index;
  }
  const wanted = names.map((n) => `"${n}"`).join(' or ');
  throw new DataError(table.file, `column ${wanted} not found (columns: ${table.columns.join(', ')})`);
}

/** Parses a numeric cell; fails naming the file, the line and the column. */
export function parseNumber(file: string, line: number, column: string, text: string): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) {
    throw new DataError(file, `line ${line}: ${column} is not a number ("${text}")`);
  }
  return value;
}
