// What a backbone's features know about each distortion: a linear probe. The RGB Swin backbone (as
// pretrained, or seeded random for the baseline) embeds each image as the mean and standard
// deviation over space of its four stage maps, averaged over evaluation crops; a ridge regression
// fitted on a split's training images predicts the test images' labels. Reported: test SROCC over
// all, and per distortion across scenes and within each scene (the levels of one scene ranked).
// Why: what the features separate before any head is trained is what a model on frozen backbones
// can build on; the pretrained card compares its backbones with it, and with what fine-tuning makes of them.
import { tf } from '../backend/tf.js';
import { evalCrops } from '../data/pipeline/index.js';
import { fitRidge, predictRidge, srocc } from '../eval/index.js';
import { evalCtx } from '../model/index.js';
import type { Dgiqa } from '../model/index.js';

/** One image for the probe: its features, label, distortion and scene (reference) where known, and which part of the split holds it. */
export interface ProbeRow {
  features: number[];
  label: number;
  distortion?: string;
  scene?: string;
  test: boolean;
}

export interface ProbeDistortion {
  /** test images of this distortion */
  images: number;
  /** SROCC of the probe's predictions over them, scenes pooled */
  srocc: number;
  /** mean over test scenes of the SROCC within one scene (its levels); null where no scene has 3 images */
  withinScene: number | null;
}

export interface ProbeReport {
  alpha: number;
  features: number;
  trainImages: number;
  testImages: number;
  /** SROCC on the training rows (how well the features fit) and on the test rows (how well they carry over) */
  trainSrocc: number;
  testSrocc: number;
  perDistortion: Record<string, ProbeDistortion>;
}

/** Images of one scene and distortion needed for a within-scene SROCC */
const WITHIN_MIN = 3;

/** Fit the ridge probe on the training rows, score the test rows. */
export function probeReport(rows: readonly ProbeRow[], alpha: number): ProbeReport {
  const train = rows.filter((r) => !r.test);
  const test = rows.filter((r) => r.test);
  if (train.length < 2 || test.length < 2) throw new Error(`probe: need at least 2 training and 2 test images, got ${train.length} and ${test.length}`);
  const model = fitRidge(train.map((r) => r.features), train.map((r) => r.label), alpha);
  const predOf = (rs: readonly ProbeRow[]): number[] => rs.map((r) => predictRidge(model, r.features));
  const testPred = predOf(test);
  const perDistortion: Record<string, ProbeDistortion> = {};
  for (const name of [...new Set(test.flatMap((r) => (r.distortion === undefined ? [] : [r.distortion])))].sort()) {
    const idx = test.flatMap((r, i) => (r.distortion === name ? [i] : []));
    const within: number[] = [];
    for (const scene of new Set(idx.flatMap((i) => (test[i]!.scene === undefined ? [] : [test[i]!.scene!])))) {
      const own = idx.filter((i) => test[i]!.scene === scene);
      if (own.length >= WITHIN_MIN) within.push(srocc(own.map((i) => testPred[i]!), own.map((i) => test[i]!.label)));
    }
    const finite = within.filter(Number.isFinite);
    perDistortion[name] = {
      images: idx.length,
      srocc: srocc(idx.map((i) => testPred[i]!), idx.map((i) => test[i]!.label)),
      withinScene: finite.length ? finite.reduce((s, v) => s + v, 0) / finite.length : null,
    };
  }
  return {
    alpha, features: train[0]!.features.length, trainImages: train.length, testImages: test.length,
    trainSrocc: srocc(predOf(train), train.map((r) => r.label)), testSrocc: srocc(testPred, test.map((r) => r.label)), perDistortion,
  };
}

/**
 * The probe's features of one image: mean and standard deviation over space of each stage map of
 * `model`'s RGB backbone, averaged over `crops` evaluation crops (the kit's multi-crop inference).
 */
export async function backboneFeatures(model: Dgiqa, image: string, opts: { crops: number; evalShortSide: number; seed?: number }): Promise<number[]> {
  const s = model.config.imgSize;
  const c = await evalCrops({ image, depth: undefined }, { seed: opts.seed ?? 0, crops: opts.crops, size: s, evalShortSide: opts.evalShortSide, allowMissingDepth: true });
  return tf.tidy(() => {
    const stages = model.backbone.apply(tf.tensor4d(c.rgb, [opts.crops, s, s, 3]), evalCtx());
    const parts = stages.flatMap((m) => {
      const mean = tf.mean(m, [1, 2], true);
      const std = tf.sqrt(tf.mean(tf.square(tf.sub(m, mean)), [1, 2]));
      return [tf.mean(tf.squeeze(mean, [1, 2]), 0), tf.mean(std, 0)];
    });
    return Array.from(tf.concat(parts).dataSync());
  });
}
