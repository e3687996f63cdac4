// Figs. 7 and 14: t-SNE of the pooled dilated-stack features of test images, coloured by their labels.
// One panel per profile.tsne entry (a model and the images it embeds), each saved as
// tsne/<train>__<test>.json and listed by the plan as an evaluation.
import { tf } from '../backend/index.js';
import { evalCrops } from '../data/pipeline/index.js';
import { tsne } from '../plots/index.js';
import { openBenchmark } from './datasets.js';
import type { BenchItem } from './datasets.js';
import type { Profile, TsneSpec } from './profiles.js';
import { protocolSpecs, runCross } from './protocol.js';
import { readResult, resultPath, writeResult } from './results.js';
import { loadRunModel, trainAndTest } from './run.js';

export interface TsnePoint {
  x: number;
  y: number;
  quality: number;
  distortion?: string;
}

export interface TsnePanel {
  spec: TsneSpec;
  points: TsnePoint[];
}

export function tsneFile(profile: Profile, spec: TsneSpec): string {
  return resultPath(profile, 'tsne', `${spec.train}__${spec.test}.json`);
}

/** The first test set of the Table 3 model trained on `train` (the one its training scored). */
export function crossFirstTest(profile: Profile, train: string): string {
  const test = profile.cross.find(([a]) => a === train)?.[1];
  if (test === undefined) throw new Error(`profile ${profile.name}: no Table 3 model is trained on all of ${train}`);
  return test;
}

/** A t-SNE panel's model (trained here if missing) and the images it embeds. */
async function panelInputs(profile: Profile, spec: TsneSpec): Promise<{ dir: string; items: BenchItem[] }> {
  if (spec.model === 'whole') {
    await runCross(profile, spec.train, crossFirstTest(profile, spec.train));
    return { dir: resultPath(profile, 'cross', `${spec.train}__full`), items: (await openBenchmark(spec.test, profile)).items };
  }
  if (!profile.protocol.includes(spec.train)) throw new Error(`profile ${profile.name}: t-SNE panel ${spec.train} -> ${spec.test} needs a split-0 model of ${spec.train}, which is not a protocol dataset`);
  const split0 = (await protocolSpecs(profile, spec.train)).specs[0]!;
  await trainAndTest(split0);
  return { dir: split0.dir, items: spec.test === spec.train ? split0.test : (await openBenchmark(spec.test, profile)).items };
}

/** One panel: features of up to profile.tsneImages images (evenly subsampled), embedded, saved. */
export async function tsnePanel(profile: Profile, spec: TsneSpec): Promise<TsnePanel> {
  const file = tsneFile(profile, spec);
  const saved = await readResult<{ points: TsnePoint[] }>(file);
  if (saved) return { spec, points: saved.points };
  const { dir, items: all } = await panelInputs(profile, spec);
  const step = Math.max(1, Math.ceil(all.length / profile.tsneImages));
  const items = all.filter((_, i) => i % step === 0);
  const model = await loadRunModel(dir, profile);
  const features: number[][] = [];
  try {
    const s = profile.cropSize;
    for (const item of items) {
      const c = await evalCrops({ image: item.image, depth: item.depth }, { seed: 0, crops: 1, size: s, evalShortSide: profile.evalShortSide });
      features.push(tf.tidy(() => Array.from(model.features(tf.tensor4d(c.rgb, [1, s, s, 3]), model.config.useDepth ? tf.tensor4d(c.depth, [1, s, s, 3]) : undefined).pooled.dataSync())));
    }
  } finally {
    model.dispose();
  }
  // perplexity 30 (van der Maaten's usual value), smaller where there are few points
  const { embedding } = tsne(features, { perplexity: Math.min(30, Math.max(2, Math.floor((features.length - 1) / 3))), iterations: 500, seed: 0 });
  const points = embedding.map(([x, y], i) => ({ x: x!, y: y!, quality: items[i]!.score01, ...(items[i]!.distortion ? { distortion: items[i]!.distortion } : {}) }));
  const within = spec.model === 'split0' && spec.test === spec.train;
  await writeResult(file, 'tsne', profile, within ? `${spec.train} split 0 test` : `${spec.train} model (${spec.model === 'whole' ? 'all of it' : 'split 0'}) on ${spec.test}`, { points, images: items.length });
  return { spec, points };
}

/** Every t-SNE panel of the profile, in its order. */
export async function runTsnePanels(profile: Profile): Promise<TsnePanel[]> {
  const out: TsnePanel[] = [];
  for (const spec of profile.tsne) out.push(await tsnePanel(profile, spec));
  return out;
}

/** A panel's title part: "KonIQ-10k split 0 test" or "trained on KADID-10k, tested on LIVE". */
export function tsneCaption(spec: TsneSpec, label: (id: string) => string = (id) => id): string {
  if (spec.model === 'split0' && spec.train === spec.test) return `${label(spec.train)} split 0 test`;
  return `trained on ${label(spec.train)}${spec.model === 'whole' ? ' (all of it)' : ' (split 0)'}, tested on ${label(spec.test)}`;
}
