// I-HAZE (Ancuti et al., 2018): 35 indoor scenes, real haze from a haze machine, as unpacked from
// I-HAZE.zip: GT/NN_indoor_GT.jpg (haze-free) and hazy/NN_indoor_hazy.jpg. Folder names and the
// extension are matched up to case; files pair on NN (`01_indoor_GT` with `01_indoor_hazy`). The
// root may be the folder holding GT/ and hazy/ or its parent (`# I-HAZE/` inside).
import { join } from 'node:path';
import { DataError, checkRoot } from './files.js';
import { PairCollector, layoutRoot } from './pairs.js';
import type { LoadedPairs } from './types.js';

const LAYOUT = 'I-HAZE layout: GT/NN_indoor_GT.jpg and hazy/NN_indoor_hazy.jpg';

export async function loadIhaze(rootDir: string): Promise<LoadedPairs> {
  const root = checkRoot(rootDir, LAYOUT);
  const collector = new PairCollector('ihaze', root);
  const { index } = collector;
  const has = (dir: string): boolean => index.find(dir, 'GT') !== undefined && index.find(dir, 'hazy') !== undefined;
  const base = layoutRoot(index, root, has);
  if (base === undefined) throw new DataError(root, `no GT/ and hazy/ folders (expected ${LAYOUT})`);
  collector.add(join(base, index.find(base, 'GT')!), join(base, index.find(base, 'hazy')!));
  return collector.finish(LAYOUT, 'the release has 35');
}
