// The tiny training set of the parallel tests: 8 images of the embedded benchmark (2 scenes, 2
// distortions, levels 1 and 5) and the smoke profile made smaller still (one epoch over 6 images,
// batches of 3, one evaluation crop); `specs` names one run per entry of `extra`, seeded by its index.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateBenchmark, loadSynth, SYNTH_DEFAULT_SEED } from '../../src/data/synth/index.js';
import { openSyntheticDepth } from '../../src/depth/index.js';
import { PROFILES, type BenchItem, type Profile, type RunSpec } from '../../src/experiments/index.js';

export const tinyProfile: Profile = { ...PROFILES.smoke, train: { ...PROFILES.smoke.train, batchSize: 3 }, evalCrops: 1 };

export interface TinyRuns {
  root: string;
  items: BenchItem[];
  specs: (dir: string, extra?: Partial<RunSpec>[]) => RunSpec[];
  remove: () => Promise<void>;
}

export async function tinyRuns(prefix: string): Promise<TinyRuns> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  await generateBenchmark({ outDir: join(root, 'synth'), seed: SYNTH_DEFAULT_SEED, family: 'A', scenes: 2, size: 192, levels: [1, 5], distortions: ['haze', 'gaussian_blur'], workers: 0 });
  const family = join(root, 'synth', 'A');
  const depth = await openSyntheticDepth(family);
  const items: BenchItem[] = [];
  for (const r of await loadSynth(family)) items.push({ image: r.image, relImage: r.relImage, depth: await depth.pathOf(r.image), score01: r.score01 });
  return {
    root,
    items,
    specs: (dir, extra = [{}, {}]) =>
      extra.map((e, k) => ({ profile: tinyProfile, dir: join(root, dir, `run-${k}`), train: items.slice(0, 6), test: items, label: `run ${k}`, data: 'test benchmark', seed: k, ...e })),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
