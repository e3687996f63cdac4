// KonIQ-10k (Hosu, Lin, Sziranyi, Saupe; University of Konstanz), as distributed:
//   koniq10k_scores_and_distributions.csv   image_name, c1..c5, c_total, MOS, SD, MOS_zscore
//   1024x768/                                the 10,073 images (or 512x384/, the smaller release)
// MOS is on 1-5 and MOS_zscore (the mean of the raters' z-scores, rescaled) on 0-100; higher is
// better for both. The default is MOS_zscore, the column HyperIQA and TReS train on; both give the
// same ranking up to rater normalization.
import { join } from 'node:path';
import { RecordBuilder } from './build.js';
import { DataError, DirIndex, checkRoot, readText, relPath } from './files.js';
import type { ScoreScale } from './scale.js';
import { csvTable, parseNumber, requireColumn } from './table.js';
import type { DatasetOptions, LoadedDataset } from './types.js';

export const KONIQ_SCALES: Readonly<Record<'MOS' | 'MOS_zscore', ScoreScale>> = {
  MOS: { name: 'MOS', min: 1, max: 5, higherIsBetter: true },
  MOS_zscore: { name: 'MOS_zscore', min: 0, max: 100, higherIsBetter: true },
};

const LAYOUT = 'KonIQ-10k layout: koniq10k_scores_and_distributions.csv, 1024x768/';
const IMAGE_DIRS = ['1024x768', '512x384'];

export async function loadKoniq10k(rootDir: string, options: DatasetOptions = {}): Promise<LoadedDataset> {
  const root = checkRoot(rootDir, LAYOUT);
  const index = new DirIndex();
  const file = join(root, index.find(root, 'koniq10k_scores_and_distributions.csv') ?? 'koniq10k_scores_and_distributions.csv');
  const table = csvTable(file, await readText(file, LAYOUT));
  const column = options.scoreColumn ?? 'MOS_zscore';
  const col = { name: requireColumn(table, 'image_name'), score: requireColumn(table, column) };

  const wanted = options.imageDir ? [options.imageDir] : IMAGE_DIRS;
  const imgDir = index.findDir(root, wanted);
  if (imgDir === undefined) throw new DataError(join(root, wanted[0]!), `missing (expected ${LAYOUT})`);
  const rel = relPath(root, imgDir);
  const builder = new RecordBuilder('koniq10k', root, KONIQ_SCALES[column], file, options);
  if (!options.imageDir && rel !== IMAGE_DIRS[0]) builder.notes.push(`${IMAGE_DIRS[0]}/ not found; images read from ${rel}/`);
  table.rows.forEach((row, i) => builder.row(() => {
    const line = table.lines[i]!;
    builder.add(`line ${line}`, `${rel}/${row[col.name]}`, parseNumber(file, line, column, row[col.score]!));
  }));
  builder.notes.push(`score column ${column}`);
  return builder.finish('the csv holds a different number of rows');
}
