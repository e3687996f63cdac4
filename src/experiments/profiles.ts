// Run profiles (DGIQA_PROFILE): one place for every size that differs between a CI smoke run, the CPU
// demo on the embedded benchmark, and the paper's protocol on the real datasets with a GPU.
export type ProfileName = 'smoke' | 'demo' | 'paper';
export const PROFILE_NAMES: readonly ProfileName[] = ['smoke', 'demo', 'paper'];

export interface Profile {
  name: ProfileName;
  /** model preset */
  model: string;
  /** training overrides on top of the train defaults */
  train: Record<string, unknown>;
  /** training and evaluation crop side (the model's imgSize) */
  cropSize: number;
  /** smaller side before the evaluation crops (384 for 224 crops, scaled alike for smaller models) */
  evalShortSide: number;
  evalCrops: number;
  /** train/test splits of the protocol */
  splits: number;
  /** datasets of the protocol (Table 2) */
  protocol: string[];
  /** train -> test pairs (Table 3) */
  cross: [string, string][];
  /** the ablation study's training set and cross-dataset test set (Tables 4 and 5) */
  ablation: { train: string; cross: string };
  /** consistency-loss weights swept (Fig. 11) and crop counts (Fig. 6) */
  lambdas: number[];
  cropCounts: number[];
  /** natural-distortion pair sets for the density plots (Figs. 2 and 8) */
  natural: string[];
  /** datasets with references for DGIQA-FR (Table 6) */
  fullReference: string[];
  /** size of the embedded benchmark, or null when the profile uses the real datasets */
  synth: 'smoke' | 'demo' | null;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  // seconds to a few minutes: every notebook runs end to end, the numbers mean nothing
  smoke: {
    name: 'smoke', model: 'demo',
    train: { numEpochs: 1, batchSize: 4, lr: 1e-3, minLr: 1e-5, logEvery: 2 },
    cropSize: 128, evalShortSide: 220, evalCrops: 2, splits: 2,
    protocol: ['synth-A'], cross: [['synth-A', 'synth-B']], ablation: { train: 'synth-A', cross: 'synth-B' },
    lambdas: [0, 1], cropCounts: [1, 2, 4], natural: ['synth-B'], fullReference: ['synth-A'], synth: 'smoke',
  },
  // the embedded benchmark on a 2-core CPU: a small model trained from scratch, honest but not the paper
  demo: {
    name: 'demo', model: 'demo',
    train: { numEpochs: 2, batchSize: 8, lr: 1e-3, minLr: 1e-5, logEvery: 10 },
    cropSize: 128, evalShortSide: 220, evalCrops: 5, splits: 10,
    // family A for the protocol (17 min measured here, two trainings at a time); family B is the cross-dataset test set
    protocol: ['synth-A'], cross: [['synth-A', 'synth-B'], ['synth-B', 'synth-A']], ablation: { train: 'synth-A', cross: 'synth-B' },
    lambdas: [0, 0.5, 1], cropCounts: [1, 2, 5, 10, 20], natural: ['synth-B'], fullReference: ['synth-A', 'synth-B'], synth: 'demo',
  },
  // the paper: real datasets on disk (DGIQA_DATA), ImageNet backbones (DGIQA_PRETRAINED), a GPU
  paper: {
    name: 'paper', model: 'paper', train: {},
    cropSize: 224, evalShortSide: 384, evalCrops: 20, splits: 10,
    protocol: ['live', 'csiq', 'tid2013', 'kadid10k', 'livec', 'koniq10k', 'livefb'],
    cross: [['koniq10k', 'livec'], ['koniq10k', 'livefb'], ['livefb', 'koniq10k'], ['kadid10k', 'live'], ['kadid10k', 'tid2013'], ['tid2013', 'live']],
    ablation: { train: 'koniq10k', cross: 'livec' },
    lambdas: [0, 0.25, 0.5, 0.75, 1], cropCounts: [1, 5, 10, 15, 20, 25, 30], natural: ['lol', 'ihaze', 'gopro', 'flare7k'], fullReference: ['live', 'csiq', 'tid2013', 'kadid10k'], synth: null,
  },
});

/** The profile named by DGIQA_PROFILE (default `demo`), or by the argument. */
export function profileFrom(name: string | undefined = process.env.DGIQA_PROFILE): Profile {
  const n = name ?? 'demo';
  if (!(PROFILE_NAMES as readonly string[]).includes(n)) throw new Error(`unknown profile "${n}" (expected ${PROFILE_NAMES.join(', ')}; set by --profile or DGIQA_PROFILE)`);
  return PROFILES[n as ProfileName];
}
