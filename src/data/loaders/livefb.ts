// LIVE-FB, the FLIVE database of PaQ-2-PiQ (Ying et al., CVPR 2020), as distributed
// (github baidut/PaQ-2-PiQ, niu-haoran/FLIVE_Database):
//   labels_image.csv   columns name, mos (and others); names carry a subfolder (e.g. blur_dataset/x.jpg,
//                      voc_emotic_ava/y.jpg) or none (AVA__149.jpg)
//   the images, below the root, below database/ (FLIVE_Database) or below FLIVE/ (as some IQA
//   codebases arrange it): all three circulate
// MOS is on 0-100, higher is better. The paper's Table 1 counts 39,810 images; the loader reports
// what labels_image.csv holds and, with skipMissing, how many of its images are absent (part of
// FLIVE has to be collected from its source datasets).
import { join } from 'node:path';
import { RecordBuilder } from './build.js';
import { DataError, DirIndex, checkRoot, readText } from './files.js';
import type { ScoreScale } from './scale.js';
import { csvTable, parseNumber, requireColumn } from './table.js';
import type { DatasetOptions, LoadedDataset } from './types.js';

export const LIVEFB_SCALE: ScoreScale = { name: 'MOS', min: 0, max: 100, higherIsBetter: true };

const LAYOUT = 'LIVE-FB (FLIVE) layout: labels_image.csv, images below the root, database/ or FLIVE/';
const IMAGE_BASES = ['', 'database', 'FLIVE'];

export async function loadLivefb(rootDir: string, options: DatasetOptions = {}): Promise<LoadedDataset> {
  const root = checkRoot(rootDir, LAYOUT);
  const index = new DirIndex();
  const file = join(root, index.find(root, 'labels_image.csv') ?? 'labels_image.csv');
  const table = csvTable(file, await readText(file, LAYOUT));
  const col = { name: requireColumn(table, 'name', 'name_image'), mos: requireColumn(table, 'mos', 'mos_image') };

  // Images lie below the root or below database/: pick the base where the first listed images are.
  const probe = table.rows.slice(0, 20).map((r) => r[col.name]!);
  const base = IMAGE_BASES.map((b) => (b === '' ? '' : index.find(root, b))).find(
    (b) => b !== undefined && probe.some((name) => index.resolve(root, b === '' ? name : `${b}/${name}`) !== undefined),
  );
  if (probe.length > 0 && base === undefined && !options.skipMissing) {
    throw new DataError(file, `line ${table.lines[0]} names ${probe[0]}, but none of ${IMAGE_BASES.map((b) => join(root, b, probe[0]!)).join(', ')} exists`);
  }
  const prefix = base ? `${base}/` : '';
  const builder = new RecordBuilder('livefb', root, LIVEFB_SCALE, file, options);
  if (prefix) builder.notes.push(`images read from ${prefix}`);
  table.rows.forEach((row, i) => builder.row(() => {
    const line = table.lines[i]!;
    builder.add(`line ${line}`, `${prefix}${row[col.name]}`, parseNumber(file, line, 'mos', row[col.mos]!));
  }));
  return builder.finish('the count is what labels_image.csv lists (and finds on disk)');
}
