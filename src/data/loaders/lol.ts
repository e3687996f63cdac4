// LOL, the LOw-Light dataset (Wei et al., BMVC 2018, "Deep Retinex Decomposition"), as unpacked
// from LOLdataset.zip: our485/{high,low}/ (485 pairs) and eval15/{high,low}/ (15 pairs), the same
// file name in both folders; `high` is the normal-light (clean) image. The root may be the folder
// holding our485/ and eval15/ or its parent (LOLdataset/ inside).
import { join } from 'node:path';
import { PairCollector, layoutRoot } from './pairs.js';
import { checkRoot } from './files.js';
import type { LoadedPairs } from './types.js';

export const LOL_SUBSETS = ['our485', 'eval15'] as const;
const LAYOUT = 'LOL layout: our485/{high,low}/ and eval15/{high,low}/';

export async function loadLol(rootDir: string): Promise<LoadedPairs> {
  const root = checkRoot(rootDir, LAYOUT);
  const collector = new PairCollector('lol', root);
  const { index } = collector;
  const base = layoutRoot(index, root, (dir) => LOL_SUBSETS.some((s) => index.find(dir, s) !== undefined)) ?? root;
  for (const subset of LOL_SUBSETS) {
    const dir = index.find(base, subset);
    if (dir === undefined) continue;
    const high = index.find(join(base, dir), 'high');
    const low = index.find(join(base, dir), 'low');
    if (high === undefined || low === undefined) continue;
    collector.add(join(base, dir, high), join(base, dir, low), subset);
  }
  return collector.finish(LAYOUT, 'the release has 485 + 15 = 500');
}
