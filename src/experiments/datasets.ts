// A benchmark as the experiments use it: records with their depth maps, from the embedded benchmark
// (generated on first use) or from a real dataset on disk with precomputed depth.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateBenchmark, loadSynth, loadSynthPairs, SYNTH_PROFILES, SYNTH_DEFAULT_SEED } from '../data/synth/index.js';
import type { SynthFamily } from '../data/synth/index.js';
import { loadRecords, loadPairs } from '../data/loaders/registry.js';
import { openPrecomputedDepth, openSyntheticDepth } from '../depth/index.js';
import type { DepthProvider } from '../depth/index.js';
import type { Profile } from './profiles.js';
import { paths } from './paths.js';
import { noteProgress } from '../util/progress.js';

export interface BenchItem {
  image: string;
  relImage: string;
  depth: string;
  score01: number;
  refId?: string;
  distortion?: string;
  level?: number;
  /** the reference image and its depth map, where the dataset has references (DGIQA-FR) */
  reference?: { image: string; depth: string };
}

export interface Benchmark {
  id: string;
  items: BenchItem[];
  /** where the depth maps come from */
  depthSource: string;
  /** embedded benchmark or real data: results say which */
  kind: 'embedded' | 'real';
}

export interface PairItem {
  clean: BenchItem;
  distorted: BenchItem;
  subset: string;
}

const familyOf = (id: string): SynthFamily | undefined => (id === 'synth-A' ? 'A' : id === 'synth-B' ? 'B' : undefined);

/** Generate the profile's embedded benchmark (both families) if it is not on disk yet; resumable. */
export async function ensureSynth(profile: Profile, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<string> {
  const size = SYNTH_PROFILES[profile.synth ?? 'demo'];
  // the same folders as `dgiqa synth`: data/synth for demo, data/synth/smoke for smoke
  const root = profile.synth === 'smoke' ? join(paths.synth, 'smoke') : paths.synth;
  for (const family of ['A', 'B'] as SynthFamily[]) {
    if (existsSync(join(root, family, 'manifest.json'))) continue;
    const line = `generating the embedded benchmark, family ${family} (${size.scenes} scenes, ${size.size}px) in ${root}`;
    log(line);
    noteProgress(line);
    await generateBenchmark({ outDir: root, seed: SYNTH_DEFAULT_SEED, family, scenes: size.scenes, size: size.size, levels: size.levels, profile: profile.synth, note: size.note });
  }
  return root;
}

async function withDepth(records: { image: string; relImage: string; score01: number; refId?: string; distortion?: string; level?: number; reference?: string }[], depth: DepthProvider): Promise<BenchItem[]> {
  const out: BenchItem[] = [];
  for (const r of records) {
    const reference = r.reference ? { image: r.reference, depth: await depth.pathOf(r.reference) } : undefined;
    out.push({ image: r.image, relImage: r.relImage, depth: await depth.pathOf(r.image), score01: r.score01, refId: r.refId, distortion: r.distortion, level: r.level, ...(reference ? { reference } : {}) });
  }
  return out;
}

function depthFor(id: string, root: string): DepthProvider {
  return openPrecomputedDepth({ imageRoot: root, depthRoot: join(paths.depth, id) });
}

export async function openBenchmark(id: string, profile: Profile): Promise<Benchmark> {
  const family = familyOf(id);
  if (family) {
    const root = join(await ensureSynth(profile), family);
    const depth = await openSyntheticDepth(root);
    return { id, items: await withDepth(await loadSynth(root), depth), depthSource: depth.source, kind: 'embedded' };
  }
  const root = join(paths.datasets, id);
  if (!existsSync(root)) throw new Error(`${root}: dataset "${id}" not found (see data/README.md for where to get it; DGIQA_DATA moves the folder)`);
  const depth = depthFor(id, root);
  return { id, items: await withDepth(await loadRecords(id, root), depth), depthSource: depth.source, kind: 'real' };
}

/** Clean/distorted pairs for the density study: the embedded benchmark's natural distortions, or LOL, I-HAZE, ... */
export async function openPairs(id: string, profile: Profile): Promise<{ id: string; pairs: PairItem[]; kind: 'embedded' | 'real' }> {
  const family = familyOf(id);
  if (family) {
    const root = join(await ensureSynth(profile), family);
    const depth = await openSyntheticDepth(root);
    const pairs: PairItem[] = [];
    for (const p of await loadSynthPairs(root)) {
      const rel = (abs: string): string => abs.slice(root.length + 1);
      pairs.push({
        clean: { image: p.clean, relImage: rel(p.clean), depth: await depth.pathOf(p.clean), score01: 1 },
        distorted: { image: p.distorted, relImage: rel(p.distorted), depth: await depth.pathOf(p.distorted), score01: NaN, distortion: p.distortion, level: p.level },
        subset: p.distortion,
      });
    }
    return { id, pairs, kind: 'embedded' };
  }
  const root = join(paths.datasets, id);
  const loaded = await loadPairs(id, root);
  const depth = depthFor(id, root);
  const pairs: PairItem[] = [];
  for (const p of loaded.pairs) {
    const item = async (abs: string, score01: number): Promise<BenchItem> => ({ image: abs, relImage: abs.slice(root.length + 1), depth: await depth.pathOf(abs), score01 });
    pairs.push({ clean: await item(p.clean, 1), distorted: await item(p.distorted, NaN), subset: p.subset ?? id });
  }
  return { id, pairs, kind: 'real' };
}
