// Training defaults. The paper's numbers for these did not survive in our copy of its text (see
// ../data/paper/hyperparameters.csv): each value below is the kit's assumption, from the closest
// published practice, and says where it comes from.
import { mergeStrict } from '../util/options.js';

export interface TrainConfig {
  /** model preset name or a partial model config */
  model: string | Record<string, unknown>;
  /** epochs (the most a run trains: the epoch kept is chosen on validation where a run has a validation part) */
  numEpochs: number;
  /**
   * the cosine's T_max as a fraction of numEpochs: 0.5 is the paper's "T_max = half the epochs", where
   * the rate reaches its floor mid-run and climbs back to the peak by the end (a run that keeps its
   * best validation epoch then keeps one near the trough); 1 anneals once, ending at the floor
   */
  tMaxFraction: number;
  batchSize: number;
  /** peak learning rate of AdamW */
  lr: number;
  /** floor of the cosine schedule */
  minLr: number;
  /**
   * the Swin backbones' learning rate as a fraction of `lr` (both backbones; the rest, the bridges,
   * Depth-CAR, the dilated stack and the head, train at `lr`): 1 is the paper's one rate for all; below
   * 1 a pretrained backbone keeps its features while the new layers after it learn
   */
  backboneLrScale: number;
  /**
   * epochs at the start in which the backbones do not move (their rate is 0, then backboneLrScale x
   * lr): the new layers learn on fixed features first, so their first, random-headed gradients do not
   * reach the pretrained features (linear probing then fine-tuning, Kumar et al., ICLR 2022). Not in
   * the paper; 0 trains everything from the first step
   */
  backboneFrozenEpochs: number;
  /** decoupled weight decay of AdamW */
  weightDecay: number;
  /** weight of the consistency loss (paper Eq. 6; swept in appendix A.2) */
  lambda: number;
  /**
   * weight of an in-batch ranking loss added to the paper's (step.ts, rankLoss): not in the paper,
   * whose loss is MSE plus lambda times the consistency term; 0 keeps the paper's loss
   */
  rankWeight: number;
  /**
   * random crops per image per epoch, each with its own position and flips: the epoch shows every
   * training image this many times, shuffled apart (epochSamples)
   */
  cropsPerImage: number;
  /** crops averaged at evaluation (official inference script: 20) */
  evalCrops: number;
  /** smaller side at evaluation, before the crops (official inference script: 384) */
  evalResize: number;
  /** seed of data order, crops, flips, dropout and initialisation */
  seed: number;
  /** timm swin_tiny_patch4_window7_224 weights on disk (safetensors or .pth) for both backbones, or '' */
  pretrained: string;
  /** log a step record every this many steps */
  logEvery: number;
}

export const TRAIN_DEFAULTS: Readonly<TrainConfig> = Object.freeze({
  model: 'paper',
  numEpochs: 20, // assumption: TReS / MANIQA-style fine-tuning lengths
  tMaxFraction: 0.5, // paper: T_max = half the epochs
  batchSize: 8, // assumption: fits one 16-24 GB GPU at 224 crops with two Swin-T backbones
  lr: 2e-5, // assumption: TReS's and MANIQA's order of magnitude for Swin/ViT fine-tuning
  minLr: 1e-7, // assumption: a small floor so the schedule never stops learning entirely
  backboneLrScale: 1, // paper: one learning rate (per kind of dataset) for the whole model
  backboneFrozenEpochs: 0, // paper: the whole model trains from the first step
  weightDecay: 1e-5, // assumption: MANIQA's AdamW weight decay
  lambda: 0.5, // assumption: the middle of the paper's Fig. 11 sweep
  rankWeight: 0, // paper: MSE and the consistency term only
  cropsPerImage: 1,
  evalCrops: 20, // official inference script (README: 20 crops)
  evalResize: 384, // official inference script
  seed: 0,
  pretrained: '',
  logEvery: 10,
});

export function resolveTrainConfig(overrides: Record<string, unknown> = {}, source = 'train config'): TrainConfig {
  // `model` is a preset name or a config object: checked by the model's own resolver, not here
  const { model, ...rest } = overrides;
  const c = mergeStrict({ ...TRAIN_DEFAULTS }, rest, source);
  if (model !== undefined) {
    if (typeof model !== 'string' && (typeof model !== 'object' || model === null || Array.isArray(model))) throw new Error(`${source}: "model" must be a preset name or a config object`);
    c.model = model as TrainConfig['model'];
  }
  for (const k of ['numEpochs', 'batchSize', 'cropsPerImage', 'evalCrops', 'evalResize', 'logEvery'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`${source}: "${k}" must be a positive integer, got ${c[k]}`);
  }
  if (!(c.lr > 0) || c.minLr < 0 || c.minLr > c.lr) throw new Error(`${source}: need 0 <= minLr <= lr and lr > 0`);
  if (!(c.tMaxFraction > 0 && c.tMaxFraction <= 1)) throw new Error(`${source}: "tMaxFraction" must be in (0, 1], got ${c.tMaxFraction}`);
  if (!(c.backboneLrScale >= 0 && c.backboneLrScale <= 1)) throw new Error(`${source}: "backboneLrScale" must be in [0, 1], got ${c.backboneLrScale}`);
  if (!Number.isInteger(c.backboneFrozenEpochs) || c.backboneFrozenEpochs < 0 || c.backboneFrozenEpochs >= c.numEpochs) {
    throw new Error(`${source}: "backboneFrozenEpochs" must be an integer from 0 to numEpochs - 1 (${c.numEpochs - 1}), got ${c.backboneFrozenEpochs}; backboneLrScale 0 freezes the backbones for the whole run`);
  }
  if (c.lambda < 0 || c.weightDecay < 0 || c.rankWeight < 0) throw new Error(`${source}: lambda, rankWeight and weightDecay must be >= 0`);
  return c;
}

/**
 * One epoch's samples: every training item `cropsPerImage` times. The loader draws each sample's crop
 * and flips from its position in this list, so the copies get crops of their own.
 */
export function epochSamples<T>(items: readonly T[], cropsPerImage: number): T[] {
  return Array.from({ length: cropsPerImage }, () => items).flat();
}
