// `dgiqa depth`: precompute a dataset's depth maps into a folder mirroring its image tree.
import { join, relative, resolve } from 'node:path';
import { loadSynth } from '../data/synth/load.js';
import { DEPTH_ANYTHING_DEFAULTS, DEPTH_ANYTHING_DTYPES, DEPTH_PROVIDERS, listImages, openDepthProvider, precomputeDepth, type DepthProvider, type DepthProviderName, type DepthSpec, type PrecomputeProgress } from '../depth/index.js';
import { paths } from '../experiments/paths.js';

const DATASETS = ['live', 'csiq', 'tid2013', 'kadid10k', 'livec', 'koniq10k', 'livefb', 'lol', 'ihaze', 'gopro', 'flare7k', 'pairs', 'synth'];

const USAGE = `usage: dgiqa depth <dataset> <root> [--provider precomputed|synthetic|depth-anything] [--out DIR] [--from DIR]
                   [--depth-model vits|vitb|vitl|HUB_ID|FOLDER] [--dtype fp32|fp16|q8] [--offline]

Writes one 8-bit depth PNG per image (min-max scaled, larger = nearer) to DIR, mirroring the image
tree under <root>; maps already there are skipped, so a stopped run restarts where it was.
  <dataset>   ${DATASETS.join(', ')} (synth: <root> is a family folder such as data/synth/A)
  --provider  synthetic (default for synth), depth-anything (default otherwise),
              precomputed (normalizes the maps of --from; with --from equal to --out it checks them)
  --out       output folder (default data/depth/<dataset>, where the experiments look; DGIQA_DEPTH moves it)
  --from      the folder of existing depth PNGs read by --provider precomputed
  --depth-model  Depth Anything encoder as the official code names it (default ${DEPTH_ANYTHING_DEFAULTS.model}),
              a hub id, or a local ONNX model folder (config.json, onnx/model.onnx)
  --dtype     ONNX weights: fp32 (as the official code; a local folder: the first of fp32, fp16, q8 it holds),
              fp16, q8 (smaller, approximate)
  --offline   no download: the hub model must be in the cache (data/cache/models, DGIQA_MODELS)`;

interface DepthArgs {
  dataset: string; root: string; provider: DepthProviderName; out: string; from: string | null;
  model: string | null; dtype: (typeof DEPTH_ANYTHING_DTYPES)[number] | null; offline: boolean;
}

function parseArgs(args: string[]): DepthArgs | null {
  const positional: string[] = [];
  let provider: string | null = null, out: string | null = null, from: string | null = null;
  let model: string | null = null, dtype: string | null = null, offline = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--help' || a === '-h') return null;
    else if (a === '--provider') provider = value();
    else if (a === '--out') out = value();
    else if (a === '--from') from = value();
    else if (a === '--depth-model') model = value();
    else if (a === '--dtype') dtype = value();
    else if (a === '--offline') offline = true;
    else if (a.startsWith('--')) throw new Error(`unknown option "${a}"\n${USAGE}`);
    else positional.push(a);
  }
  if (positional.length !== 2) throw new Error(`expected <dataset> <root>, got ${positional.length} argument(s)\n${USAGE}`);
  const [dataset, root] = positional as [string, string];
  if (!DATASETS.includes(dataset)) throw new Error(`unknown dataset "${dataset}" (one of ${DATASETS.join(', ')})`);
  const chosen = provider ?? (dataset === 'synth' ? 'synthetic' : 'depth-anything');
  if (!(DEPTH_PROVIDERS as readonly string[]).includes(chosen)) throw new Error(`--provider must be one of ${DEPTH_PROVIDERS.join(', ')}, got "${chosen}"`);
  if (dtype !== null && !(DEPTH_ANYTHING_DTYPES as readonly string[]).includes(dtype)) throw new Error(`--dtype must be one of ${DEPTH_ANYTHING_DTYPES.join(', ')}, got "${dtype}"`);
  if (chosen !== 'depth-anything' && (model !== null || offline)) throw new Error(`--depth-model and --offline are for --provider depth-anything, not ${chosen}`);
  return {
    dataset, root, provider: chosen as DepthProviderName, out: out ?? join(paths.depth, dataset), from,
    model, dtype: dtype as DepthArgs['dtype'], offline,
  };
}

function specOf(a: DepthArgs): DepthSpec {
  if (a.provider === 'synthetic') {
    if (a.dataset !== 'synth') throw new Error(`--provider synthetic has exact depth only for the embedded benchmark (dataset synth), not ${a.dataset}`);
    return { provider: 'synthetic', root: a.root };
  }
  if (a.provider === 'precomputed') {
    if (!a.from) throw new Error('--provider precomputed needs --from DIR: a folder of depth PNGs mirroring the image tree');
    return { provider: 'precomputed', imageRoot: a.root, depthRoot: a.from };
  }
  return { provider: 'depth-anything', ...(a.model ? { model: a.model } : {}), ...(a.dtype ? { dtype: a.dtype } : {}), offline: a.offline, modelCache: paths.models };
}

/** The images to map: the benchmark's own list for synth (distorted and clean), else every image file under root. */
async function imagesOf(a: DepthArgs): Promise<string[]> {
  if (a.dataset === 'synth') {
    const records = await loadSynth(a.root);
    const refs = [...new Set(records.map((r) => r.reference).filter((r): r is string => r !== undefined))];
    return [...refs, ...records.map((r) => r.image)];
  }
  return listImages(a.root, [a.out]);
}

function bar(p: PrecomputeProgress, t0: number): string {
  const width = 24;
  const filled = p.total === 0 ? width : Math.round((width * p.done) / p.total);
  const rate = p.written / Math.max(1e-3, (Date.now() - t0) / 1000);
  return `depth [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} (written ${p.written}, skipped ${p.skipped}) ${rate.toFixed(1)} maps/s`;
}

export async function depthCommand(args: string[]): Promise<number> {
  const a = parseArgs(args);
  if (!a) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  // Open the provider first: one that cannot work (no Depth Anything model reachable) fails before any file is listed.
  const provider = await openDepthProvider(specOf(a));
  try {
    return await precomputeWith(a, provider);
  } finally {
    await provider.dispose?.();
  }
}

async function precomputeWith(a: DepthArgs, provider: DepthProvider): Promise<number> {
  const images = await imagesOf(a);
  const tty = process.stderr.isTTY === true;
  const t0 = Date.now();
  let lastTenth = -1;
  let lastPrint = 0;
  const result = await precomputeDepth({
    images, imageRoot: a.root, outDir: a.out, provider,
    onProgress: (p) => {
      if (tty) process.stderr.write(`\r${bar(p, t0)}`);
      else {
        // Logs (not a terminal): a line per tenth done, at most every two seconds, and the last.
        const tenth = Math.floor((10 * p.done) / Math.max(1, p.total));
        if (p.done === p.total || (tenth !== lastTenth && Date.now() - lastPrint > 2000)) {
          lastTenth = tenth;
          lastPrint = Date.now();
          process.stderr.write(`${bar(p, t0)}\n`);
        }
      }
    },
  });
  if (tty) process.stderr.write('\n');
  process.stdout.write(JSON.stringify({ dataset: a.dataset, provider: a.provider, root: resolve(a.root), out: result.outDir, images: result.images, written: result.written, skipped: result.skipped, outRelative: relative(process.cwd(), result.outDir) }) + '\n');
  return 0;
}
