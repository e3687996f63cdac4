// `dgiqa data summary <dataset> <root>`: loads a dataset from its official files, prints what the
// loader noticed (scale, count against the paper's Table 1, rows left out), decodes the first image
// as a check, and prints as its LAST line one JSON object (see DatasetSummary / PairSummary).
// --check decodes every image in full (what a truncated file needs); --skip-bad lists bad inputs
// instead of stopping at the first.
import { CHECK_DEFAULTS, checkFiles } from '../data/check/files.js';
import { decodeImage } from '../data/image.js';
import type { BadInput } from '../data/records.js';
// The registry, not the loaders' index: the summary needs no DataFrame (danfojs-node loads slowly).
import { isDatasetId, isPairDatasetId, loadPairs, readDataset } from '../data/loaders/registry.js';
import { summarizeDataset, summarizePairs } from '../data/loaders/summary.js';
import { DATASET_IDS, PAIR_DATASET_IDS } from '../data/loaders/types.js';
import type { DatasetOptions, PairOptions } from '../data/loaders/types.js';

const USAGE = `usage: dgiqa data summary <dataset> <root> [options]

datasets: ${DATASET_IDS.join(', ')}
pair sets: ${PAIR_DATASET_IDS.join(', ')}

options:
  --skip-missing            drop label rows whose image file is missing (default: fail)
  --skip-bad                list bad inputs (bad rows, missing, empty or undecodable images, paths
                            leaving the root, duplicates, scores that are NaN or far off the scale)
                            as "bad:" lines instead of failing on the first; the JSON gains "bad"
  --check                   decode every image in full (finds truncated files; default: the first)
  --with-reference-copies   live: keep the reference copies of dmos.mat (orgs == 1): 982 images
  --realigned               live: read dmos_realigned.mat (dmos_new) instead of dmos.mat
  --keep-training-images    livec: keep the 7 training images: 1169 images
  --column MOS|MOS_zscore   koniq10k: the score column (default MOS_zscore)
  --image-dir DIR           koniq10k: the image folder (default 1024x768)
  --blur blur|blur_gamma    gopro: the distorted folder (default blur)
  --clean DIR               pairs, d2g: the clean folder
  --distorted DIR           pairs, d2g: the distorted folder
  --no-decode               do not decode the first image

The last line printed is one JSON object:
  {"dataset","count","references","score01":{"min","max","mean"},"first":{"image","score01"}}
(for pair sets: score01 null, "subsets", and "first":{"image","clean"}).`;

interface Flag {
  /** The dataset ids it applies to (undefined: all). */
  only?: readonly string[];
  /** Takes a value. */
  value?: readonly string[] | 'any';
}

const FLAGS: Readonly<Record<string, Flag>> = {
  '--skip-missing': { only: DATASET_IDS },
  '--skip-bad': { only: DATASET_IDS },
  '--check': { only: DATASET_IDS },
  '--with-reference-copies': { only: ['live'] },
  '--realigned': { only: ['live'] },
  '--keep-training-images': { only: ['livec'] },
  '--column': { only: ['koniq10k'], value: ['MOS', 'MOS_zscore'] },
  '--image-dir': { only: ['koniq10k'], value: 'any' },
  '--blur': { only: ['gopro'], value: ['blur', 'blur_gamma'] },
  '--clean': { only: ['pairs', 'd2g'], value: 'any' },
  '--distorted': { only: ['pairs', 'd2g'], value: 'any' },
  '--no-decode': {},
};

/** Parses the options after `<dataset> <root>`; unknown or misplaced flags fail loudly. */
function parseFlags(id: string, args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!;
    const flag = FLAGS[name];
    if (!flag) throw new Error(`unknown option "${name}"`);
    if (flag.only && !flag.only.includes(id)) throw new Error(`option ${name} applies to ${flag.only.join(', ')} only`);
    if (flag.value) {
      const v = args[++i];
      if (v === undefined) throw new Error(`option ${name} needs a value`);
      if (flag.value !== 'any' && !flag.value.includes(v)) throw new Error(`option ${name}: "${v}" is not one of ${flag.value.join(', ')}`);
      out.set(name, v);
    } else {
      out.set(name, '');
    }
  }
  return out;
}

function datasetOptions(flags: Map<string, string>): DatasetOptions {
  const options: DatasetOptions = {};
  if (flags.has('--skip-missing')) options.skipMissing = true;
  if (flags.has('--skip-bad')) options.skipBad = true;
  if (flags.has('--with-reference-copies')) options.includeReferenceCopies = true;
  if (flags.has('--realigned')) options.realigned = true;
  if (flags.has('--keep-training-images')) options.keepTrainingImages = true;
  const column = flags.get('--column');
  if (column === 'MOS' || column === 'MOS_zscore') options.scoreColumn = column;
  const imageDir = flags.get('--image-dir');
  if (imageDir !== undefined) options.imageDir = imageDir;
  return options;
}

function pairOptions(flags: Map<string, string>): PairOptions {
  const options: PairOptions = {};
  const blur = flags.get('--blur');
  if (blur === 'blur' || blur === 'blur_gamma') options.blurFolder = blur;
  const clean = flags.get('--clean');
  if (clean !== undefined) options.clean = clean;
  const distorted = flags.get('--distorted');
  if (distorted !== undefined) options.distorted = distorted;
  return options;
}

async function summary(args: string[]): Promise<void> {
  const [id, root, ...rest] = args;
  if (id === undefined || root === undefined) throw new Error('summary needs <dataset> <root> (see dgiqa data --help)');
  if (!isDatasetId(id) && !isPairDatasetId(id)) {
    throw new Error(`unknown dataset "${id}" (benchmarks: ${DATASET_IDS.join(', ')}; pair sets: ${PAIR_DATASET_IDS.join(', ')})`);
  }
  const flags = parseFlags(id, rest);
  const say = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  say(`loading ${id} from ${root}`);
  let json: string;
  let firstImage: string | undefined;
  if (isDatasetId(id)) {
    const skipBad = flags.has('--skip-bad');
    const loaded = await readDataset(id, root, datasetOptions(flags));
    const bad: BadInput[] = [...loaded.bad];
    if (flags.has('--check')) {
      const checked = await checkFiles(loaded.records, { skipBad, log: (l) => say(`info: ${l}`) });
      bad.push(...checked.bad);
      loaded.records = checked.ok.map((i) => loaded.records[i]!);
      if (checked.small.length > 0) say(`info: ${checked.small.length} image(s) smaller than ${CHECK_DEFAULTS.cropSize} on a side (e.g. ${checked.small[0]}): training upscales them`);
    }
    for (const note of loaded.notes) say(`info: ${note}`);
    for (const b of bad) say(`bad: ${b.file}: ${b.problem}`);
    firstImage = loaded.records[0]?.image;
    json = JSON.stringify(skipBad ? { ...summarizeDataset(loaded), bad: bad.length } : summarizeDataset(loaded));
  } else {
    const loaded = await loadPairs(id, root, pairOptions(flags));
    for (const note of loaded.notes) say(`info: ${note}`);
    firstImage = loaded.pairs[0]?.distorted;
    json = JSON.stringify(summarizePairs(loaded));
  }
  if (firstImage !== undefined && !flags.has('--no-decode')) {
    const img = await decodeImage(firstImage);
    say(`info: first image decodes: ${img.width}x${img.height} RGB`);
  }
  say(json);
}

/** Entry point of `dgiqa data ...`; returns the exit code. Errors are one line on stderr. */
export async function dataCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 1 : 0;
  }
  try {
    if (sub !== 'summary') throw new Error(`unknown sub-command "${sub}" (summary)`);
    await summary(rest);
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`dgiqa data: ${message}\n`);
    return 1;
  }
}
