// A benchmark as the experiments use it: records with their depth maps, from the embedded benchmark
// (generated on first use) or from a real dataset on disk with precomputed depth. A real dataset is
// checked before any run starts (label rows by its loader, then every image and depth map decoded
// in full, once: the verdicts are cached), so that bad data stops a run before its first epoch, or
// with skipBad (`--skip-bad`) is left out and listed in `bad`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setting } from '../settings/index.js';
import { generateBenchmark, loadSynth, loadSynthPairs, SYNTH_PROFILES, SYNTH_DEFAULT_SEED } from '../data/synth/index.js';
import type { SynthFamily } from '../data/synth/index.js';
import { loadPairs, readDataset } from '../data/loaders/registry.js';
import { DataError } from '../data/loaders/files.js';
import { checkFiles, skipBadDefault } from '../data/check/index.js';
import type { BadEntry } from '../data/check/index.js';
import { openPrecomputedDepth, openSyntheticDepth } from '../depth/index.js';
import type { DepthProvider } from '../depth/index.js';
import type { Profile } from './profiles.js';
import { KIT_ROOT, paths } from './paths.js';
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
  /** inputs left out with skipBad (always empty without it: the first one is an error) */
  bad: BadEntry[];
  /** images smaller than the profile's crop on a side: they load, and training upscales them */
  small: string[];
}

export interface OpenOptions {
  /** leave bad inputs out (listed in `bad`) instead of failing on the first; default DGIQA_SKIP_BAD */
  skipBad?: boolean;
  /** where the check tells what it does (default stderr) */
  log?: (line: string) => void;
}

/** The folder of the file-check verdicts (data/cache/checks; DGIQA_CACHE moves data/cache). */
export function checkCacheDir(): string {
  return join(setting('DGIQA_CACHE') ?? join(KIT_ROOT, 'data', 'cache'), 'checks');
}

/** The file-check verdicts of a dataset (`<id>.json` in checkCacheDir()). */
export function checkCacheFile(id: string): string {
  return join(checkCacheDir(), `${id}.json`);
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

/** The records with their depth maps; with `bad`, a record whose map is missing goes there instead. */
async function withDepth(records: { image: string; relImage: string; score01: number; refId?: string; distortion?: string; level?: number; reference?: string }[], depth: DepthProvider, bad?: BadEntry[]): Promise<BenchItem[]> {
  const out: BenchItem[] = [];
  for (const r of records) {
    let reference: { image: string; depth: string } | undefined;
    let map: string;
    try {
      reference = r.reference ? { image: r.reference, depth: await depth.pathOf(r.reference) } : undefined;
      map = await depth.pathOf(r.image);
    } catch (err) {
      if (bad === undefined || !(err instanceof DataError)) throw err;
      bad.push({ file: err.file, problem: err.problem, stage: 'files' });
      continue;
    }
    out.push({ image: r.image, relImage: r.relImage, depth: map, score01: r.score01, refId: r.refId, distortion: r.distortion, level: r.level, ...(reference ? { reference } : {}) });
  }
  return out;
}

function depthFor(id: string, root: string): DepthProvider {
  return openPrecomputedDepth({ imageRoot: root, depthRoot: join(paths.depth, id) });
}

export async function openBenchmark(id: string, profile: Profile, options: OpenOptions = {}): Promise<Benchmark> {
  const family = familyOf(id);
  if (family) {
    // the kit's own generated files: not checked (a decode of every image on each fresh clone)
    const root = join(await ensureSynth(profile), family);
    const depth = await openSyntheticDepth(root);
    return { id, items: await withDepth(await loadSynth(root), depth), depthSource: depth.source, kind: 'embedded', bad: [], small: [] };
  }
  const root = join(paths.datasets, id);
  if (!existsSync(root)) throw new Error(`${root}: dataset "${id}" not found (see data/README.md for where to get it; DGIQA_DATA moves the folder)`);
  const skipBad = options.skipBad ?? skipBadDefault();
  const log = options.log ?? ((line: string): void => void process.stderr.write(`${line}\n`));
  const depth = depthFor(id, root);
  const loaded = await readDataset(id, root, { skipBad });
  const bad: BadEntry[] = loaded.bad.map((b) => ({ ...b, stage: 'labels' }));
  const withMaps = await withDepth(loaded.records, depth, skipBad ? bad : undefined);
  const checked = await checkFiles(withMaps, { skipBad, cacheFile: checkCacheFile(id), cropSize: profile.cropSize, log: (l) => log(`${id}: ${l}`) });
  for (const b of checked.bad) bad.push({ ...b, stage: 'files' });
  const small = checked.small;
  if (small.length > 0) log(`${id}: ${small.length} image(s) smaller than ${profile.cropSize} on a side (e.g. ${small[0]}): training upscales them (bilinear) before cropping`);
  return { id, items: checked.ok.map((i) => withMaps[i]!), depthSource: depth.source, kind: 'real', bad, small };
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
