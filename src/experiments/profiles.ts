// Run profiles (DGIQA_PROFILE): one place for every size that differs between a CI smoke run, the CPU
// demo on the embedded benchmark, and the paper's protocol on the real datasets with a GPU.
import { setting } from '../settings/index.js';

export type ProfileName = 'smoke' | 'demo' | 'paper';

/** dgiqa: the full model; rgb-only: the variant without depth input (cfg 5); niqe: NIQE, untrained (src/classic) */
export type DensityScorer = 'dgiqa' | 'rgb-only' | 'niqe';
export const DENSITY_SCORERS: readonly DensityScorer[] = ['dgiqa', 'rgb-only', 'niqe'];

/**
 * One t-SNE panel: the full model trained on `train` (`model` split0: its protocol split 0, tested on
 * that split's test part when `test` is `train`, else on all of `test`; whole: Table 3's model trained
 * on all of `train`), embedding the pooled features of `test`'s images, in figure `figure`.
 */
export interface TsneSpec { figure: 'fig07' | 'fig14'; model: 'split0' | 'whole'; train: string; test: string }
export const PROFILE_NAMES: readonly ProfileName[] = ['smoke', 'demo', 'paper'];

export interface Profile {
  name: ProfileName;
  /** model preset */
  model: string;
  /** training overrides on top of the train defaults */
  train: Record<string, unknown>;
  /**
   * weights both Swin backbones start from, relative to the kit's root ('' : seeded random weights):
   * the demo's come from the kit's own self-supervised pretraining (data/pretrained/README.md), as the
   * paper's come from ImageNet; DGIQA_PRETRAINED replaces them, DGIQA_FROM_SCRATCH=1 drops them
   */
  pretrained: string;
  /** training and evaluation crop side (the model's imgSize) */
  cropSize: number;
  /** smaller side before the evaluation crops (384 for 224 crops, scaled alike for smaller models) */
  evalShortSide: number;
  /**
   * smaller side before the training crop, 0 for full resolution: every profile trains at its
   * evaluation's scale (the demo a 128 crop of the 224 px view, the paper a 224 crop of the official
   * inference's 384 px view), since blur, noise and JPEG look different at another scale (trained at
   * 384 px and tested at 220, the demo model failed)
   */
  trainShortSide: number;
  evalCrops: number;
  /**
   * crops per image in Table 5's tests of every ablation run on a whole other set (the paper's
   * evalCrops; the demo cuts them: 15 models x 720 images at 20 crops are 216,000 crops, 4 times
   * what 5 give, and the course would pass its 30 minutes)
   */
  ablationCrossCrops: number;
  /** crops per image when the validation part is scored after each epoch (model selection) */
  valCrops: number;
  /** train/test splits of the protocol */
  splits: number;
  /** datasets of the protocol (Table 2) */
  protocol: string[];
  /** train -> test pairs (Table 3) */
  cross: [string, string][];
  /**
   * learning rate by kind of training set, over `train.lr` (the paper: one for synthetic, one for
   * authentic distortions, Sec. 4.2); null: `train.lr` for every set
   */
  lrByKind: { synthetic: number; authentic: number } | null;
  /**
   * the ablation study's training set (Table 4, over its first `ablationSplits` splits) and the set the
   * split models are tested on across datasets (Table 5 where `ablationCross` is null; the t-SNE figure)
   */
  ablation: { train: string; cross: string };
  /** splits each ablation variant is trained on (the first of the protocol's splits) */
  ablationSplits: number;
  /**
   * Table 5 as the paper ran it: each variant trained on all of `train` (Table 3's recipe; the full
   * model is Table 3's own) and tested on `tests`; null: Table 4's split models tested on `ablation.cross`
   */
  ablationCross: { train: string; tests: string[] } | null;
  /** splits (seeds) each lambda of Fig. 11 is trained on, on the ablation set (the first of its splits) */
  lambdaSplits: number;
  /**
   * Fig. 6's model: Table 3's model trained on `train`, scored on all of `test` (a pair of `cross`);
   * null: the ablation set's full model of split 0, scored on its split 0 test part
   */
  cropsModel: { train: string; test: string } | null;
  /** consistency-loss weights swept (Fig. 11) and crop counts (Fig. 6) */
  lambdas: number[];
  cropCounts: number[];
  /** natural-distortion pair sets for the density plots (Figs. 2 and 8) */
  natural: string[];
  /**
   * the density study's trained models: null, the ablation set's split-0 models (full and RGB-only, of
   * Table 4); a set id, the models trained on all of that set (Table 3's full model and Table 5's
   * RGB-only variant), as the paper trains its density models on KonIQ-10k (Sec. 5.2)
   */
  densityTrain: string | null;
  /** who scores the density study's images: DGIQA, its RGB-only variant, a classic NR metric (NIQE) */
  densityScorers: DensityScorer[];
  /** t-SNE panels (Figs. 7 and 14), each a model and the images it embeds */
  tsne: TsneSpec[];
  /** at most this many test images per t-SNE panel (evenly subsampled; t-SNE costs n^2) */
  tsneImages: number;
  /** datasets with references for DGIQA-FR (Table 6) */
  fullReference: string[];
  /**
   * DGIQA-FR's splits per dataset, the mean reported (1: split 0 alone, saved in full-reference/<set>
   * as before; more: full-reference/<set>/split-NN), and its training overrides on top of `train`
   */
  fullReferenceSplits: number;
  fullReferenceTrain: Record<string, unknown>;
  /** size of the embedded benchmark, or null when the profile uses the real datasets */
  synth: 'smoke' | 'demo' | null;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  // seconds to a few minutes: every notebook runs end to end, the numbers mean nothing
  smoke: {
    name: 'smoke', model: 'demo', pretrained: 'data/pretrained/demo-swin-change.safetensors',
    train: { numEpochs: 1, batchSize: 4, lr: 3e-3, backboneLrScale: 0.03, minLr: 1e-5, logEvery: 2 },
    cropSize: 128, evalShortSide: 224, trainShortSide: 224, evalCrops: 2, ablationCrossCrops: 2, valCrops: 1, splits: 2,
    protocol: ['synth-A'], cross: [['synth-A', 'synth-B']], ablation: { train: 'synth-A', cross: 'synth-B' }, ablationSplits: 1,
    lrByKind: null, ablationCross: null, lambdaSplits: 1, cropsModel: null, fullReferenceSplits: 1, fullReferenceTrain: {},
    lambdas: [0, 1], cropCounts: [1, 2, 4], natural: ['synth-B'], fullReference: ['synth-A'], synth: 'smoke',
    densityTrain: null, densityScorers: ['dgiqa', 'rgb-only', 'niqe'], tsneImages: 300,
    tsne: [{ figure: 'fig07', model: 'split0', train: 'synth-A', test: 'synth-A' }, { figure: 'fig14', model: 'split0', train: 'synth-A', test: 'synth-B' }],
  },
  // the embedded benchmark on a 2-core CPU: the demo model from the kit's change-pretrained
  // backbones (data/pretrained/README.md; the appearance-pretrained ones gave the numbers below). The
  // course keeps its trainings few: 3 splits (the first 3 also train every ablation variant and lambda, for intervals), lambdas 0 and 0.5 (1 cut), DGIQA-FR on
  // synth-A only. Each training is 3 epochs of batch 16 (a step is overhead-bound here: batch 16 runs
  // 1.4x the images/s of batch 8, so 3 epochs cost about what 2 of batch 8 did); the new layers learn at
  // 3e-3 and the backbones at 0.03 x that, to keep the pretrained features through a short fine-tune.
  // Tests score 20 crops per image, the paper's (official inference) count, except Table 5's tests of
  // every ablation model on all of synth-B, at 5 for time (ablationCrossCrops).
  // Measured on synth-A splits 0 and 1 (test SROCC): 0.70 and 0.75 with this recipe; 0.62 and 0.64 with
  // batch 8 and 2 epochs; backbones at 0.1 x: 0.34 on split 0; the earlier course recipe (depth
  // backbone, one rate 1e-3, batch 8, 2 epochs): 0.44 (data/pretrained/README.md has the table)
  // On splits 3-5, which Table 2 does not use (`dgiqa recipe`), it gave 0.777; frozen backbones from the
  // 960-scene file, a fourth epoch and a higher rate did not beat it (data/pretrained/README.md,
  // "Recipes compared on the splits after Table 2's")
  demo: {
    name: 'demo', model: 'demo', pretrained: 'data/pretrained/demo-swin-change.safetensors',
    train: { numEpochs: 3, tMaxFraction: 1, batchSize: 16, lr: 3e-3, backboneLrScale: 0.03, minLr: 1e-5, logEvery: 5 },
    cropSize: 128, evalShortSide: 224, trainShortSide: 224, evalCrops: 20, ablationCrossCrops: 5, valCrops: 2, splits: 3,
    protocol: ['synth-A'], cross: [['synth-A', 'synth-B'], ['synth-B', 'synth-A']], ablation: { train: 'synth-A', cross: 'synth-B' }, ablationSplits: 3,
    lrByKind: null, ablationCross: null, lambdaSplits: 3, cropsModel: null, fullReferenceSplits: 1, fullReferenceTrain: {},
    lambdas: [0, 0.5], cropCounts: [1, 2, 5, 10, 20], natural: ['synth-B'], fullReference: ['synth-A'], synth: 'demo',
    densityTrain: null, densityScorers: ['dgiqa', 'rgb-only', 'niqe'], tsneImages: 300,
    tsne: [{ figure: 'fig07', model: 'split0', train: 'synth-A', test: 'synth-A' }, { figure: 'fig14', model: 'split0', train: 'synth-A', test: 'synth-B' }],
  },
  // the paper: real datasets on disk (DGIQA_DATA), ImageNet backbones (DGIQA_PRETRAINED), a GPU.
  // Each experiment on the sets and with the repeats the paper names (data/paper/hyperparameters.csv
  // lists every value with its source; the kit's assumptions stand where this copy lost the number).
  paper: {
    name: 'paper', model: 'paper', pretrained: '', train: {},
    cropSize: 224, evalShortSide: 384, trainShortSide: 384, evalCrops: 20, ablationCrossCrops: 20, valCrops: 5, splits: 10,
    protocol: ['live', 'csiq', 'tid2013', 'kadid10k', 'livec', 'koniq10k', 'livefb'],
    cross: [['koniq10k', 'livec'], ['koniq10k', 'livefb'], ['livefb', 'koniq10k'], ['kadid10k', 'live'], ['kadid10k', 'tid2013'], ['tid2013', 'live']],
    // Sec. 4.2: "a learning rate of _ (_) for synthetic (authentic) datasets", both values lost. Kit
    // assumption: synthetic keeps the kit's 2e-5 (TReS/MANIQA's order for Swin/ViT fine-tuning);
    // authentic takes half, 1e-5 (MANIQA's rate), as in-the-wild photos are nearer to the backbones'
    // ImageNet images and each has its own content, so smaller steps keep more of the pretrained features
    lrByKind: { synthetic: 2e-5, authentic: 1e-5 },
    // Table 4 on LIVE-C over the protocol's 10 splits: its full row is Table 2's LIVE-C, the same runs;
    // the t-SNE figure's LIVE-C model is shown on KonIQ-10k
    ablation: { train: 'livec', cross: 'koniq10k' }, ablationSplits: 10,
    // Table 5: trained on all of KonIQ-10k (Table 3's full-set model), tested on LIVE-C and LIVE-FB
    ablationCross: { train: 'koniq10k', tests: ['livec', 'livefb'] },
    // Fig. 11: on LIVE-C, one seed (split 0) per lambda, one point each as the paper plots
    lambdaSplits: 1,
    // Fig. 6 (appendix A): trained on KADID-10k, tested on LIVE: Table 3's kadid10k model
    cropsModel: { train: 'kadid10k', test: 'live' },
    // Table 6 (appendix C.3): "repeated _ times", "only _ epochs", "an initial learning rate of _", all
    // lost. Kit assumption: 10 splits, as the NR protocol's (`splits`); 10 epochs, half the NR
    // length, as the paper says DGIQA-FR converges faster; 1e-4, since the FR head learns a new mapping
    // of a feature difference and the shorter schedule needs a larger step than NR's 2e-5
    fullReferenceSplits: 10, fullReferenceTrain: { lr: 1e-4, numEpochs: 10 },
    lambdas: [0, 0.25, 0.5, 0.75, 1], cropCounts: [1, 5, 10, 15, 20, 25, 30], fullReference: ['live', 'csiq', 'tid2013', 'kadid10k'], synth: null,
    // Figs. 2 and 8 (Sec. 5.2): the five sets, scored by models trained on KonIQ-10k (whole set: Table 3's
    // full model, Table 5's RGB-only one), beside NIQE; the paper's baselines (MANIQA, ARNIQA) are not in the kit
    natural: ['lol', 'd2g', 'flare7k', 'ihaze', 'gopro'], densityTrain: 'koniq10k', densityScorers: ['dgiqa', 'rgb-only', 'niqe'],
    // Fig. 7: (a) KonIQ-10k and KADID-10k within, (b) the cross-dataset LIVE and LIVE-C (the Table 3
    // models that test on them); Fig. 14 (App. C.1): LIVE-C, CSIQ, TID2013, LIVE-FB within, KADID-10k
    // -> TID2013 and TID2013 -> LIVE. Within: split 0's model on its test part. Kit choice: at most 1000
    // images a panel (t-SNE is quadratic; the paper does not say how many it embedded)
    tsneImages: 1000,
    tsne: [
      { figure: 'fig07', model: 'split0', train: 'koniq10k', test: 'koniq10k' }, { figure: 'fig07', model: 'split0', train: 'kadid10k', test: 'kadid10k' },
      { figure: 'fig07', model: 'whole', train: 'kadid10k', test: 'live' }, { figure: 'fig07', model: 'whole', train: 'koniq10k', test: 'livec' },
      { figure: 'fig14', model: 'split0', train: 'livec', test: 'livec' }, { figure: 'fig14', model: 'split0', train: 'csiq', test: 'csiq' },
      { figure: 'fig14', model: 'split0', train: 'tid2013', test: 'tid2013' }, { figure: 'fig14', model: 'split0', train: 'livefb', test: 'livefb' },
      { figure: 'fig14', model: 'whole', train: 'kadid10k', test: 'tid2013' }, { figure: 'fig14', model: 'whole', train: 'tid2013', test: 'live' },
    ],
  },
});

/** Sets with synthetic distortions (the paper's Table 1, "Types"); every other real set has authentic ones. */
export const SYNTHETIC_DATASETS: readonly string[] = ['live', 'csiq', 'tid2013', 'kadid10k'];

/** The training overrides a set is trained with on top of `profile.train`: its kind's learning rate, if the profile has one. */
export function datasetTrain(profile: Profile, dataset: string): Record<string, unknown> {
  if (!profile.lrByKind) return {};
  return { lr: SYNTHETIC_DATASETS.includes(dataset) ? profile.lrByKind.synthetic : profile.lrByKind.authentic };
}

/** The profile named by DGIQA_PROFILE (default `demo`), or by the argument. */
export function profileFrom(name: string | undefined = setting('DGIQA_PROFILE')): Profile {
  const n = name ?? 'demo';
  if (!(PROFILE_NAMES as readonly string[]).includes(n)) throw new Error(`unknown profile "${n}" (expected ${PROFILE_NAMES.join(', ')}; set by --profile or DGIQA_PROFILE)`);
  return PROFILES[n as ProfileName];
}
