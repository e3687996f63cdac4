// Flare7K (Dai et al., NeurIPS 2022 Datasets and Benchmarks), its paired test set as unpacked
// from the release: test_data/{real,synthetic}/{gt,input}/ (100 pairs each), files named
// gt_000000.png / input_000000.png (paired on the number) or alike in both folders. The root may
// be the Flare7K folder (test_data/ inside) or test_data/ itself.
import { join } from 'node:path';
import { checkRoot } from './files.js';
import { PairCollector, layoutRoot } from './pairs.js';
import type { LoadedPairs } from './types.js';

export const FLARE7K_SUBSETS = ['real', 'synthetic'] as const;
const LAYOUT = 'Flare7K layout: test_data/{real,synthetic}/{gt,input}/';

export async function loadFlare7k(rootDir: string): Promise<LoadedPairs> {
  const root = checkRoot(rootDir, LAYOUT);
  const collector = new PairCollector('flare7k', root);
  const { index } = collector;
  const hasSubsets = (dir: string): boolean => FLARE7K_SUBSETS.some((s) => index.find(dir, s) !== undefined);
  const testData = index.find(root, 'test_data');
  const base = testData !== undefined ? join(root, testData) : layoutRoot(index, root, hasSubsets) ?? root;
  for (const subset of FLARE7K_SUBSETS) {
    const dir = index.find(base, subset);
    if (dir === undefined) continue;
    const gt = index.find(join(base, dir), 'gt');
    const input = index.find(join(base, dir), 'input');
    if (gt === undefined || input === undefined) continue;
    collector.add(join(base, dir, gt), join(base, dir, input), subset);
  }
  return collector.finish(LAYOUT, 'the release has 100 real + 100 synthetic');
}
