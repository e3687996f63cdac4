// CSIQ (Larson and Chandler, Oklahoma State University), as distributed:
//   csiq.DMOS.xlsx  sheet `all_by_image` with columns image, dst_idx, dst_type, dst_lev, dmos_std, dmos
//                   (the header need not sit in cell A1: the sheet has leading empty columns)
//   src_imgs/<image>.png                          the 30 references
//   dst_imgs/<folder>/<image>.<TAG>.<lev>.png     866 distorted images; folder and TAG per type:
//     noise -> awgn/AWGN, jpeg -> jpeg/JPEG, jpeg 2000 -> jpeg2000/jpeg2000,
//     fnoise (1/f noise) -> fnoise/fnoise, blur -> blur/BLUR, contrast -> contrast/contrast
// DMOS is on 0-1, lower is better.
import { join } from 'node:path';
import * as XLSX from 'xlsx';
import { RecordBuilder } from './build.js';
import { DataError, DirIndex, checkRoot, readBytes } from './files.js';
import type { ScoreScale } from './scale.js';
import { padRow, parseNumber, readWorkbook, requireColumn } from './table.js';
import type { Table } from './table.js';
import type { DatasetOptions, LoadedDataset } from './types.js';

export const CSIQ_SCALE: ScoreScale = { name: 'DMOS', min: 0, max: 1, higherIsBetter: false };

const LAYOUT = 'CSIQ layout: csiq.DMOS.xlsx (sheet all_by_image), src_imgs/, dst_imgs/<type>/';
const SHEET = 'all_by_image';

/** dst_type (lower case, without spaces and punctuation) -> [folder under dst_imgs, file-name tag]. */
const CSIQ_TYPES: Readonly<Record<string, readonly [string, string]>> = {
  noise: ['awgn', 'AWGN'],
  awgn: ['awgn', 'AWGN'],
  jpeg: ['jpeg', 'JPEG'],
  jpeg2000: ['jpeg2000', 'jpeg2000'],
  fnoise: ['fnoise', 'fnoise'],
  '1fnoise': ['fnoise', 'fnoise'],
  blur: ['blur', 'BLUR'],
  contrast: ['contrast', 'contrast'],
};

function typeKey(dstType: string): string {
  return dstType.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** A sheet as a table: the header is the first row (within the first 20) holding "image" and "dmos". */
export function sheetTable(file: string, sheet: XLSX.WorkSheet): Table {
  const ref = sheet['!ref'];
  const firstRow = ref ? XLSX.utils.decode_range(ref).s.r + 1 : 1;
  const cells = XLSX.utils.sheet_to_json<unknown[]>(sheet, { header: 1, raw: true, blankrows: true, defval: '' });
  const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v).trim());
  const headerAt = cells.slice(0, 20).findIndex((row) => {
    const names = row.map((v) => text(v).toLowerCase());
    return names.includes('image') && names.includes('dmos');
  });
  if (headerAt < 0) throw new DataError(file, `sheet "${SHEET}": no header row with columns "image" and "dmos" in its first 20 rows`);
  const header = cells[headerAt]!.map(text);
  // Leading empty columns are dropped so that column names line up with cells.
  const skip = header.findIndex((h) => h !== '');
  const table: Table = { file, columns: header.slice(skip), rows: [], lines: [] };
  cells.slice(headerAt + 1).forEach((row, i) => {
    const values = row.map(text).slice(skip);
    if (values.every((v) => v === '')) return;
    table.rows.push(padRow(values, table.columns.length));
    table.lines.push(firstRow + headerAt + 1 + i);
  });
  return table;
}

export async function loadCsiq(rootDir: string, options: DatasetOptions = {}): Promise<LoadedDataset> {
  const root = checkRoot(rootDir, LAYOUT);
  const index = new DirIndex();
  const file = join(root, index.find(root, 'csiq.DMOS.xlsx') ?? 'csiq.DMOS.xlsx');
  const bytes = await readBytes(file, LAYOUT);
  // the hardened reader: bounded sheet ranges, one-line errors (fuzzed in test/fuzz.test.ts)
  const book = readWorkbook(file, bytes);
  const sheetName = book.SheetNames.find((n) => n.toLowerCase() === SHEET);
  if (sheetName === undefined) throw new DataError(file, `sheet "${SHEET}" not found (sheets: ${book.SheetNames.join(', ')})`);
  const table = sheetTable(`${file} [${sheetName}]`, book.Sheets[sheetName]!);
  const col = {
    image: requireColumn(table, 'image'),
    type: requireColumn(table, 'dst_type'),
    level: requireColumn(table, 'dst_lev'),
    dmos: requireColumn(table, 'dmos'),
  };

  const builder = new RecordBuilder('csiq', root, CSIQ_SCALE, table.file, options);
  const srcDir = builder.index.find(root, 'src_imgs') ?? 'src_imgs';
  const dstDir = builder.index.find(root, 'dst_imgs');
  if (dstDir === undefined) throw new DataError(join(root, 'dst_imgs'), `missing (expected ${LAYOUT})`);
  table.rows.forEach((row, i) => builder.row(() => {
    const line = table.lines[i]!;
    const image = row[col.image]!;
    const dstType = row[col.type]!;
    const mapped = CSIQ_TYPES[typeKey(dstType)];
    if (!mapped) {
      throw new DataError(table.file, `row ${line}: unknown dst_type "${dstType}" (known: noise, jpeg, jpeg 2000, fnoise, blur, contrast)`);
    }
    const level = parseNumber(table.file, line, 'dst_lev', row[col.level]!);
    const dmos = parseNumber(table.file, line, 'dmos', row[col.dmos]!);
    const [folder, tag] = mapped;
    builder.add(`row ${line}`, `${dstDir}/${folder}/${image}.${tag}.${level}.png`, dmos, {
      reference: `${srcDir}/${image}.png`,
      distortion: folder,
      level,
      refId: image.toLowerCase(),
    });
  }));
  return builder.finish('the all_by_image sheet holds a different number of rows');
}
