// One image's crops, on the calling thread: what a notebook cell shows, or a one-off prediction.
import { SAMPLE_DEFAULTS, evalSeedOf, runJob, sampleSeed } from './sample.js';
import type { SampleRecord, SampleResult } from './sample.js';

export interface SingleOptions {
  /**
   * Seed, and the record's index for a training crop (the crops equal what a loader with this seed
   * gives that record; evaluation crops follow the image's file name, not an index)
   */
  seed?: number;
  index?: number;
  size?: number;
  allowMissingDepth?: boolean;
}

/** The training crop (with its flips) a loader with `seed` would give the record at `index`. */
export function trainCrop(record: SampleRecord, opts: SingleOptions & { hflip?: boolean; vflip?: boolean } = {}): Promise<SampleResult> {
  return runJob({
    ...SAMPLE_DEFAULTS,
    mode: 'train',
    image: record.image,
    depth: record.depth,
    seed: sampleSeed(opts.seed ?? 0, opts.index ?? 0),
    size: opts.size ?? SAMPLE_DEFAULTS.size,
    hflip: opts.hflip ?? SAMPLE_DEFAULTS.hflip,
    vflip: opts.vflip ?? SAMPLE_DEFAULTS.vflip,
    allowMissingDepth: opts.allowMissingDepth ?? SAMPLE_DEFAULTS.allowMissingDepth,
  });
}

/** The official evaluation crops of one image: smaller side to 384, `crops` random 224 windows. */
export function evalCrops(record: SampleRecord, opts: SingleOptions & { crops?: number; evalShortSide?: number } = {}): Promise<SampleResult> {
  return runJob({
    ...SAMPLE_DEFAULTS,
    mode: 'eval',
    image: record.image,
    depth: record.depth,
    seed: evalSeedOf(opts.seed ?? 0, record.cropKey ?? record.image),
    size: opts.size ?? SAMPLE_DEFAULTS.size,
    crops: opts.crops ?? SAMPLE_DEFAULTS.crops,
    evalShortSide: opts.evalShortSide ?? SAMPLE_DEFAULTS.evalShortSide,
    allowMissingDepth: opts.allowMissingDepth ?? SAMPLE_DEFAULTS.allowMissingDepth,
  });
}
