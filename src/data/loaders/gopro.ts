// GoPro (GOPRO_Large; Nah, Kim, Lee, CVPR 2017 "Deep Multi-scale CNN for Dynamic Scene
// Deblurring"): <split>/<scene>/sharp/NNNNNN.png with the blurred frame of the same name in
// <scene>/blur/ (and a gamma-corrected blur in blur_gamma/). Splits train (2103 pairs, 22 scenes)
// and test (1111 pairs, 11 scenes). The root may be GOPRO_Large/ or its parent.
import { join } from 'node:path';
import { DataError, checkRoot, isDirectory } from './files.js';
import { PairCollector, layoutRoot, pairingNote } from './pairs.js';
import type { FolderPairing } from './pairs.js';
import type { LoadedPairs, PairOptions } from './types.js';

export const GOPRO_SPLITS = ['train', 'test'] as const;
const LAYOUT = 'GoPro layout: train|test/<scene>/{sharp,blur}/';

export async function loadGopro(rootDir: string, options: PairOptions = {}): Promise<LoadedPairs> {
  const root = checkRoot(rootDir, LAYOUT);
  const blurFolder = options.blurFolder ?? 'blur';
  const collector = new PairCollector('gopro', root);
  const { index } = collector;
  const base = layoutRoot(index, root, (dir) => GOPRO_SPLITS.some((s) => index.find(dir, s) !== undefined)) ?? root;
  let scenes = 0;
  for (const split of GOPRO_SPLITS) {
    const splitName = index.find(base, split);
    if (splitName === undefined) continue;
    const splitDir = join(base, splitName);
    const sum: FolderPairing = { pairs: [], unmatchedClean: [], unmatchedDistorted: [] };
    for (const scene of index.names(splitDir) ?? []) {
      const sceneDir = join(splitDir, scene);
      if (!isDirectory(sceneDir)) continue;
      const sharp = index.find(sceneDir, 'sharp');
      const blur = index.find(sceneDir, blurFolder);
      if (sharp === undefined) continue;
      if (blur === undefined) throw new DataError(join(sceneDir, blurFolder), `missing (expected ${LAYOUT})`);
      // One note per split, not per scene.
      const r = collector.add(join(sceneDir, sharp), join(sceneDir, blur), split, true);
      sum.pairs.push(...r.pairs);
      sum.unmatchedClean.push(...r.unmatchedClean);
      sum.unmatchedDistorted.push(...r.unmatchedDistorted.map((n) => `${scene}/${n}`));
      if (r.pairs.length > 0) scenes++;
    }
    collector.notes.push(pairingNote(split, sum));
  }
  collector.notes.push(`${scenes} scenes; distorted images from ${blurFolder}/`);
  return collector.finish(LAYOUT, 'the release has 2103 train + 1111 test = 3214');
}
