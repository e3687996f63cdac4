// Studies made from trained models, without training: crops (Fig. 6) and Grad-CAM (Figs. 5 and 15);
// the density study is density.ts, t-SNE tsne.ts.
import { tf } from '../backend/index.js';
import type { Dgiqa } from '../model/index.js';
import { computeMetrics, predictRecords } from '../eval/index.js';
import { evalCrops } from '../data/pipeline/index.js';
import { applySplit } from '../data/splits.js';
import { openBenchmark } from './datasets.js';
import type { BenchItem } from './datasets.js';
import type { Profile } from './profiles.js';
import { readResult, resultPath, writeResult } from './results.js';
import { loadRunModel } from './run.js';
import { ablationSpecs, splitsFor, runAblations, runCross, VARIANTS } from './protocol.js';

/** The model most studies use: a variant of the ablation study (default the full model) trained on its split 0. */
export async function referenceModel(profile: Profile, variant: Record<string, unknown> = {}): Promise<Dgiqa> {
  await runAblations(profile);
  const k = VARIANTS.findIndex((x) => JSON.stringify(x.model) === JSON.stringify(variant));
  if (k < 0) throw new Error(`referenceModel: ${JSON.stringify(variant)} is not a variant of the ablation study`);
  // ablationSpecs lists each variant's splits in a row; split 0 is the variant's first
  const spec = (await ablationSpecs(profile))[k * profile.ablationSplits];
  return loadRunModel(spec!.dir, profile, variant);
}

async function testItems(profile: Profile): Promise<BenchItem[]> {
  const a = await openBenchmark(profile.ablation.train, profile);
  return applySplit(a.items, (await splitsFor(profile, a, 1))[0]).test;
}

export interface CropsRow { crops: number; srocc: number; plcc: number; seconds: number }

/** Where one crop count's row of Fig. 6 is saved when the profile scores Table 3's model (cropsModel; a plan's fig6 entry). */
export function cropsRowFile(profile: Profile, crops: number): string {
  const m = profile.cropsModel;
  if (!m) throw new Error(`profile ${profile.name}: its crops study has no per-count rows (cropsModel is null)`);
  return resultPath(profile, 'crops', `${m.train}__${m.test}`, `crops-${crops}.json`);
}

/** One crop count of Fig. 6 on Table 3's model of cropsModel.train, scored on all of cropsModel.test (trained first if it is not yet). */
export async function cropsRow(profile: Profile, crops: number): Promise<CropsRow> {
  const file = cropsRowFile(profile, crops);
  const saved = await readResult<CropsRow>(file);
  if (saved) return { crops: saved.crops, srocc: saved.srocc, plcc: saved.plcc, seconds: saved.seconds };
  const { train, test } = profile.cropsModel!;
  await runCross(profile, train, test); // Table 3's model: read back when saved
  const items = (await openBenchmark(test, profile)).items;
  const model = await loadRunModel(resultPath(profile, 'cross', `${train}__full`), profile);
  try {
    const p = await predictRecords(model, items, { crops, seed: 0, evalShortSide: profile.evalShortSide, imagesPerBatch: Math.max(1, Math.floor(32 / crops)) });
    const m = computeMetrics(p.scores, items.map((t) => t.score01));
    const row: CropsRow = { crops, srocc: m.srocc, plcc: m.plcc, seconds: p.seconds };
    await writeResult(file, 'crops-row', profile, `${train} model (Table 3) on all of ${test}`, { ...row, images: items.length });
    return row;
  } finally {
    model.dispose();
  }
}

/** Fig. 6: SROCC, PLCC and evaluation time against the number of crops. */
export async function runCropsSweep(profile: Profile): Promise<CropsRow[]> {
  const file = resultPath(profile, 'crops', 'summary.json');
  const saved = await readResult<{ rows: CropsRow[] }>(file);
  if (saved) return saved.rows;
  const m = profile.cropsModel;
  if (m) {
    // the paper's: Table 3's model on another set, each count saved as its own row (a cluster task each)
    const rows: CropsRow[] = [];
    for (const crops of profile.cropCounts) rows.push(await cropsRow(profile, crops));
    await writeResult(file, 'crops-sweep', profile, `${m.train} model (Table 3) on all of ${m.test}`, { rows, images: (await openBenchmark(m.test, profile)).items.length });
    return rows;
  }
  const model = await referenceModel(profile);
  const test = await testItems(profile);
  const rows: CropsRow[] = [];
  for (const crops of profile.cropCounts) {
    const p = await predictRecords(model, test, { crops, seed: 0, evalShortSide: profile.evalShortSide, imagesPerBatch: Math.max(1, Math.floor(32 / crops)) });
    const m = computeMetrics(p.scores, test.map((t) => t.score01));
    rows.push({ crops, srocc: m.srocc, plcc: m.plcc, seconds: p.seconds });
  }
  model.dispose();
  await writeResult(file, 'crops-sweep', profile, `${profile.ablation.train} split 0 test`, { rows, images: test.length });
  return rows;
}

/**
 * Grad-CAM from the dilated stack (Selvaraju et al.): the stack's maps weighted by the spatially pooled
 * gradient of the score, summed over channels, ReLU, upsampled to the crop. With this model's pooled
 * linear head the weights are proportional to the head's weights (Grad-CAM reduces to CAM here).
 */
export function gradCam(model: Dgiqa, rgb: tf.Tensor4D, depth: tf.Tensor4D | undefined): number[][] {
  return tf.tidy(() => {
    const maps = model.features(rgb, depth).refined;
    const head = (r: tf.Tensor): tf.Tensor => tf.sigmoid(model.fc.apply(tf.mean(r, [1, 2]))).sum();
    const g = tf.grad(head)(maps);
    const weights = tf.mean(g, [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(maps, weights), 3, true)) as tf.Tensor4D;
    const up = tf.image.resizeBilinear(cam, [rgb.shape[1], rgb.shape[2]], false, true);
    return up.squeeze([0, 3]).arraySync() as number[][];
  });
}

/** Grad-CAM of one image on its first evaluation crop. */
export async function gradCamFor(model: Dgiqa, item: BenchItem, profile: Profile): Promise<{ heat: number[][]; crop: Float32Array; size: number }> {
  const s = profile.cropSize;
  const crops = await evalCrops({ image: item.image, depth: item.depth }, { seed: 0, crops: 1, size: s, evalShortSide: profile.evalShortSide });
  const rgb = tf.tensor4d(crops.rgb.subarray(0, s * s * 3), [1, s, s, 3]);
  const depth = model.config.useDepth ? tf.tensor4d(crops.depth.subarray(0, s * s * 3), [1, s, s, 3]) : undefined;
  const heat = gradCam(model, rgb, depth);
  tf.dispose(depth ? [rgb, depth] : [rgb]);
  return { heat, crop: crops.rgb.slice(0, s * s * 3), size: s };
}
