// LIVE In the Wild Image Quality Challenge Database (Ghadiyaram and Bovik), ChallengeDB_release:
//   Data/AllImages_release.mat   `AllImages_release`, a 1169x1 cell of file names
//   Data/AllMOS_release.mat      `AllMOS_release`, 1x1169 MOS (about 0-100, higher is better)
//   Images/                      the images (.bmp and .JPG); Images/trainingImages/ the first 7
// The first 7 entries are the training images shown to the subjects before the study; the
// protocol (HyperIQA, TReS, ...) leaves them out, which gives Table 1's 1162.
import { join } from 'node:path';
import { matNumbers, matStrings, parseMat } from '../mat.js';
import { RecordBuilder } from './build.js';
import { DataError, DirIndex, checkRoot, readBytes } from './files.js';
import type { ScoreScale } from './scale.js';
import type { DatasetOptions, LoadedDataset } from './types.js';

export const LIVEC_SCALE: ScoreScale = { name: 'MOS', min: 0, max: 100, higherIsBetter: true };

/** Leading entries of AllImages_release that are the study's training images. */
export const LIVEC_TRAINING_IMAGES = 7;

const LAYOUT = 'LIVE Challenge layout: Data/AllImages_release.mat, Data/AllMOS_release.mat, Images/';

export async function loadLivec(rootDir: string, options: DatasetOptions = {}): Promise<LoadedDataset> {
  const root = checkRoot(rootDir, LAYOUT);
  const index = new DirIndex();
  const dataDir = index.find(root, 'Data') ?? 'Data';
  const namesFile = join(root, dataDir, index.find(join(root, dataDir), 'AllImages_release.mat') ?? 'AllImages_release.mat');
  const mosFile = join(root, dataDir, index.find(join(root, dataDir), 'AllMOS_release.mat') ?? 'AllMOS_release.mat');
  const names = matStrings(parseMat(await readBytes(namesFile, LAYOUT), namesFile), 'AllImages_release');
  const mos = matNumbers(parseMat(await readBytes(mosFile, LAYOUT), mosFile), 'AllMOS_release');
  if (names.length !== mos.length) {
    throw new DataError(mosFile, `"AllMOS_release" has ${mos.length} entries but ${namesFile} names ${names.length} images`);
  }
  const builder = new RecordBuilder('livec', root, LIVEC_SCALE, namesFile, options);
  const imgDir = builder.index.find(root, 'Images');
  if (imgDir === undefined) throw new DataError(join(root, 'Images'), `missing (expected ${LAYOUT})`);
  const start = options.keepTrainingImages ? 0 : Math.min(LIVEC_TRAINING_IMAGES, names.length);
  for (let i = start; i < names.length; i++) {
    const name = names[i]!;
    let rel = `${imgDir}/${name}`;
    // The training images sit in their own folder.
    if (i < LIVEC_TRAINING_IMAGES) {
      const inTraining = `${imgDir}/trainingImages/${name}`;
      if (builder.index.resolve(root, rel) === undefined && builder.index.resolve(root, inTraining) !== undefined) rel = inTraining;
    }
    builder.add(`entry ${i + 1}`, rel, mos[i]!);
  }
  builder.notes.push(
    options.keepTrainingImages
      ? `the ${LIVEC_TRAINING_IMAGES} training images (first entries) are kept (keepTrainingImages)`
      : `the first ${LIVEC_TRAINING_IMAGES} of ${names.length} entries (the study's training images) are left out, as in the protocol`,
  );
  return builder.finish(options.keepTrainingImages ? 'the training images are kept' : 'the .mat files hold a different number of entries');
}
