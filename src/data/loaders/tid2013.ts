// TID2013 (Ponomarenko et al., Tampere University of Technology), as distributed:
//   mos_with_names.txt    `<mos> <image name>` per line, 3000 lines (names like i01_01_1.bmp)
//   distorted_images/     i<ref>_<type>_<level>.bmp (case varies: I25.BMP next to i01_01_1.bmp)
//   reference_images/     I01.BMP ... I25.BMP
// MOS is on 0-9 (the rating scale of the paired comparisons), higher is better.
import { join } from 'node:path';
import { RecordBuilder } from './build.js';
import { DataError, DirIndex, checkRoot, readText } from './files.js';
import type { ScoreScale } from './scale.js';
import { parseNumber } from './table.js';
import type { DatasetOptions, LoadedDataset } from './types.js';

export const TID2013_SCALE: ScoreScale = { name: 'MOS', min: 0, max: 9, higherIsBetter: true };

const LAYOUT = 'TID2013 layout: mos_with_names.txt, distorted_images/, reference_images/';

/** The 24 distortion types, in TID2013's numbering (type 1 first). */
export const TID2013_DISTORTIONS: readonly string[] = [
  'additive_gaussian_noise', 'color_noise', 'spatially_correlated_noise', 'masked_noise',
  'high_frequency_noise', 'impulse_noise', 'quantization_noise', 'gaussian_blur', 'image_denoising',
  'jpeg', 'jpeg2000', 'jpeg_transmission_errors', 'jpeg2000_transmission_errors',
  'non_eccentricity_pattern_noise', 'local_block_distortions', 'mean_shift', 'contrast_change',
  'color_saturation_change', 'multiplicative_gaussian_noise', 'comfort_noise',
  'lossy_compression_of_noisy_images', 'color_quantization_with_dither', 'chromatic_aberrations',
  'sparse_sampling_and_reconstruction',
];

const NAME = /^i(\d+)_(\d+)_(\d+)\.bmp$/i;

export async function loadTid2013(rootDir: string, options: DatasetOptions = {}): Promise<LoadedDataset> {
  const root = checkRoot(rootDir, LAYOUT);
  const index = new DirIndex();
  const file = join(root, index.find(root, 'mos_with_names.txt') ?? 'mos_with_names.txt');
  const text = await readText(file, LAYOUT);
  const builder = new RecordBuilder('tid2013', root, TID2013_SCALE, file, options);
  const distDir = builder.index.find(root, 'distorted_images');
  if (distDir === undefined) throw new DataError(join(root, 'distorted_images'), `missing (expected ${LAYOUT})`);
  const refDir = builder.index.find(root, 'reference_images') ?? 'reference_images';

  text.split(/\r?\n/).forEach((raw, i) => builder.row(() => {
    const line = raw.trim();
    if (line === '') return;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) throw new DataError(file, `line ${i + 1}: expected "<mos> <image name>", got "${line}"`);
    const mos = parseNumber(file, i + 1, 'mos', parts[0]!);
    const name = parts[1]!;
    const m = NAME.exec(name);
    const extras = m
      ? {
          reference: `${refDir}/I${m[1]}.BMP`,
          distortion: TID2013_DISTORTIONS[Number(m[2]) - 1] ?? `type${m[2]}`,
          level: Number(m[3]),
          refId: `i${m[1]}`,
        }
      : {};
    builder.add(`line ${i + 1}`, `${distDir}/${name}`, mos, extras);
  }));
  return builder.finish('mos_with_names.txt holds a different number of lines');
}
