// Label tables (CSV files and spreadsheet sheets) as header + rows of strings, with lookups that
// fail on one line naming the file and what was expected.
import * as XLSX from 'xlsx';
import { csvRecords } from '../../util/csv.js';
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

/**
 * Text from a label file as an error message shows it: one line (control characters escaped, as a
 * quoted field may hold newlines) and short (a cell or a column name can be of any length).
 */
function shown(text: string, max = 60): string {
  const clipped = text.length > max ? `${text.slice(0, max - 3)}...` : text;
  return JSON.stringify(clipped).slice(1, -1);
}

/**
 * A CSV file's text as a table whose first record is the header. Label files are read a little
 * more loosely than score files: a line of only spaces (or only "") is skipped as blank, and a
 * short row is padded with ''. Quoting mistakes are refused on one line naming the file and line.
 */
export function csvTable(file: string, text: string): Table {
  const records = csvRecords(text, (problem) => new DataError(file, problem)).filter(
    (r) => !(r.fields.length === 1 && r.fields[0]!.trim() === ''),
  );
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
  const columns = table.columns.slice(0, 40).map((c) => shown(c));
  throw new DataError(table.file, `column ${wanted} not found (columns: ${columns.join(', ')}${table.columns.length > 40 ? ', ...' : ''})`);
}

/** Parses a numeric cell; fails naming the file, the line and the column. */
export function parseNumber(file: string, line: number, column: string, text: string): number {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) {
    throw new DataError(file, `line ${line}: ${column} is not a number ("${shown(text)}")`);
  }
  return value;
}

/** A sheet may span at most this many grid cells beyond 16 per stored cell (see readWorkbook). */
const SPARSE_ALLOWANCE = 65_536;
/** SheetJS cell types: boolean, error, number, date, string, stub. */
const CELL_TYPES: ReadonlySet<string> = new Set(['b', 'e', 'n', 'd', 's', 'z']);

/**
 * Parses spreadsheet bytes (XLSX, or legacy XLS); fails on one line naming the file. SheetJS also
 * guesses at CSV, HTML and other text formats, so anything that is neither a zip archive nor an
 * OLE compound file is refused first. Each sheet's range is then recomputed from the cells it
 * holds (a corrupt `<dimension ref="A1:XFD1048576">` would otherwise make every reader walk 17
 * billion empty cells), and a sheet whose cells are so sparse that its grid is far larger than
 * the file (one cell at XFD1048576) is refused.
 */
export function readWorkbook(file: string, bytes: Uint8Array): XLSX.WorkBook {
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 3 && bytes[3] === 4;
  const ole = bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0;
  if (!zip && !ole) throw new DataError(file, 'not a spreadsheet (expected an XLSX zip archive or an XLS file)');
  let book: XLSX.WorkBook;
  try {
    book = XLSX.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { type: 'buffer' });
  } catch (err) {
    // SheetJS's own TypeErrors on corrupt parts say nothing useful to a user; its other messages do.
    const internal = err instanceof TypeError || err instanceof RangeError || !(err instanceof Error);
    const why = internal ? 'corrupt workbook structure' : shown(err.message, 200);
    throw new DataError(file, `unreadable spreadsheet (${why})`);
  }
  for (const name of book.SheetNames) {
    const sheet = book.Sheets[name];
    // SheetJS lists a sheet whose XML it failed to parse, without its cells.
    if (sheet === undefined) throw new DataError(file, `sheet "${shown(name)}" is listed but could not be read (corrupt sheet XML)`);
    let cells = 0;
    const box = { s: { r: Infinity, c: Infinity }, e: { r: -1, c: -1 } };
    for (const key of Object.keys(sheet)) {
      if (key.startsWith('!')) continue;
      const { r, c } = XLSX.utils.decode_cell(key);
      if (!(r >= 0 && c >= 0)) continue;
      // Cell types outside SheetJS's six make its own sheet_to_json throw a multi-line message.
      const type = (sheet[key] as XLSX.CellObject).t;
      if (!CELL_TYPES.has(type)) {
        throw new DataError(file, `sheet "${shown(name)}" cell ${key}: unknown cell type "${shown(String(type))}"`);
      }
      cells += 1;
      box.s.r = Math.min(box.s.r, r);
      box.s.c = Math.min(box.s.c, c);
      box.e.r = Math.max(box.e.r, r);
      box.e.c = Math.max(box.e.c, c);
    }
    if (cells === 0) {
      delete sheet['!ref'];
      continue;
    }
    const area = (box.e.r - box.s.r + 1) * (box.e.c - box.s.c + 1);
    const ref = XLSX.utils.encode_range(box);
    if (area > 16 * cells + SPARSE_ALLOWANCE) {
      throw new DataError(file, `sheet "${shown(name)}" spans ${ref} (${area} cells) but holds only ${cells}: corrupt or not a label table`);
    }
    sheet['!ref'] = ref;
  }
  return book;
}
