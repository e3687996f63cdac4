// KADID-10k (Lin, Hosu, Saupe; University of Konstanz), as distributed in kadid10k.zip:
//   dmos.csv   columns dist_img, ref_img, dmos, var (10,125 rows)
//   images/    I01.png ... I81.png (references) and I<ref>_<type>_<level>.png (distorted)
// Despite the column's name the score is a mean opinion on a 1-5 scale, higher is better.
import { join } from 'node:path';
import { RecordBuilder } from './build.js';
import { DataError, DirIndex, checkRoot, readText } from './files.js';
import type { ScoreScale } from './scale.js';
import { csvTable, parseNumber, requireColumn } from './table.js';
import type { DatasetOptions, LoadedDataset } from './types.js';

export const KADID10K_SCALE: ScoreScale = { name: 'DMOS (1-5, higher is better despite the name)', min: 1, max: 5, higherIsBetter: true };

const LAYOUT = 'KADID-10k layout: dmos.csv, images/';

/** The 25 distortion types, in KADID-10k's numbering. */
export const KADID10K_DISTORTIONS: readonly string[] = [
  'gaussian_blur', 'lens_blur', 'motion_blur', 'color_diffusion', 'color_shift', 'color_quantization',
  'color_saturation_hsv', 'color_saturation_lab', 'jpeg2000', 'jpeg', 'white_noise',
  'white_noise_color_component', 'impulse_noise', 'multiplicative_noise', 'denoise', 'brighten',
  'darken', 'mean_shift', 'jitter', 'non_eccentricity_patch', 'pixelate', 'quantization',
  'color_block', 'high_sharpen', 'contrast_change',
];

const NAME = /^i(\d+)_(\d+)_(\d+)\.[a-z]+$/i;

export async function loadKadid10k(rootDir: string, options: DatasetOptions = {}): Promise<LoadedDataset> {
  const root = checkRoot(rootDir, LAYOUT);
  const index = new DirIndex();
  const file = join(root, index.find(root, 'dmos.csv') ?? 'dmos.csv');
  const table = csvTable(file, await readText(file, LAYOUT));
  const col = {
    dist: requireColumn(table, 'dist_img'),
    ref: requireColumn(table, 'ref_img'),
    dmos: requireColumn(table, 'dmos'),
  };
  const builder = new RecordBuilder('kadid10k', root, KADID10K_SCALE, file, options);
  const imgDir = builder.index.find(root, 'images');
  if (imgDir === undefined) throw new DataError(join(root, 'images'), `missing (expected ${LAYOUT})`);
  table.rows.forEach((row, i) => builder.row(() => {
    const line = table.lines[i]!;
    const name = row[col.dist]!;
    const ref = row[col.ref]!;
    const m = NAME.exec(name);
    builder.add(`line ${line}`, `${imgDir}/${name}`, parseNumber(file, line, 'dmos', row[col.dmos]!), {
      reference: `${imgDir}/${ref}`,
      ...(m ? { distortion: KADID10K_DISTORTIONS[Number(m[2]) - 1] ?? `type${m[2]}`, level: Number(m[3]) } : {}),
      refId: ref.replace(/\.[^.]+$/, '').toLowerCase(),
    });
  }));
  return builder.finish('dmos.csv holds a different number of rows');
}
