// DGIQA-FR (appendix C.3, Table 6): the same trunk on the reference and the distorted image, the score
// sigmoid(W (F_ref - F_dist) + b). Reference and distorted crops are aligned: both loaders use the same
// seed and order, the same windows (training: per index; evaluation: per distorted image's name, the
// reference's cropKey), and a reference has its distorted images' size.
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import { DgiqaFr } from '../model/index.js';
import type { Dgiqa } from '../model/index.js';
import { applySplit } from '../data/splits.js';
import { DecodePool, Prefetcher, defaultWorkers } from '../data/pipeline/index.js';
import type { CropBatch, LoaderOptions, SampleRecord } from '../data/pipeline/index.js';
import { computeMetrics } from '../eval/index.js';
import type { Metrics } from '../eval/index.js';
import { epochSamples, fit, resolveTrainConfig } from '../train/index.js';
import type { HostBatch } from '../train/index.js';
import { seedFor } from '../util/rng.js';
import { openBenchmark } from './datasets.js';
import type { BenchItem } from './datasets.js';
import { datasetTrain } from './profiles.js';
import type { Profile } from './profiles.js';
import { readResult, resultPath, writeResult } from './results.js';
import { splitDir, splitsFor } from './protocol.js';
import { runModelConfig, startOf } from './run.js';
import { runJobs, type Job } from './parallel.js';

export interface FrRow {
  dataset: string;
  srocc: number;
  plcc: number;
  metrics: Metrics;
  train: number;
  test: number;
}

// each reference cropped where its distorted image is (cropKey: the windows follow that image's name)
const refsOf = (items: BenchItem[]): SampleRecord[] => items.map((i) => ({ image: (i.reference as { image: string }).image, depth: (i.reference as { depth: string }).depth, score01: i.score01, cropKey: i.image }));

/** Distorted and reference batches of one loader configuration, in lockstep. */
async function* aligned(items: BenchItem[], opts: LoaderOptions): AsyncGenerator<{ dist: CropBatch; ref: CropBatch }> {
  const dist = new Prefetcher(items, opts)[Symbol.asyncIterator]();
  const ref = new Prefetcher(refsOf(items), opts)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const [a, b] = await Promise.all([dist.next(), ref.next()]);
      if (a.done || b.done) break;
      yield { dist: a.value, ref: b.value };
    }
  } finally {
    await Promise.all([dist.return?.(), ref.return?.()]);
  }
}

async function predictFr(model: Dgiqa, items: BenchItem[], profile: Profile, pool: DecodePool): Promise<number[]> {
  const fr = new DgiqaFr(model);
  const scores = new Array<number>(items.length).fill(NaN);
  for await (const { dist, ref } of aligned(items, { mode: 'eval', size: profile.cropSize, crops: profile.evalCrops, evalShortSide: profile.evalShortSide, seed: 0, batchSize: 2, pool })) {
    const s = dist.size;
    const t = tf.tidy(() => {
      const four = (a: Float32Array): tf.Tensor4D => tf.tensor4d(a, [dist.n, s, s, 3]);
      const out = fr.forward({ rgb: four(ref.rgb), depth: four(ref.depth) }, { rgb: four(dist.rgb), depth: four(dist.depth) });
      return out.reshape([dist.indices.length, dist.cropsPerImage]).mean(1);
    });
    const v = t.dataSync();
    t.dispose();
    dist.indices.forEach((k, i) => (scores[k] = v[i]));
  }
  return scores;
}

/** Table 6: DGIQA-FR trained and tested on `fullReferenceSplits` splits of each dataset with references (their mean), side by side. */
export async function runFullReference(profile: Profile): Promise<FrRow[]> {
  const file = resultPath(profile, 'full-reference', 'summary.json');
  const saved = await readResult<{ rows: FrRow[] }>(file);
  if (saved) return saved.rows;
  const done = await runJobs(frJobs(profile));
  // several splits: the jobs' rows are splits, each dataset's row their mean (read back, not retrained)
  const rows: FrRow[] = [];
  if (profile.fullReferenceSplits <= 1) rows.push(...done);
  else for (const id of profile.fullReference) rows.push(await frDataset(profile, id));
  await writeResult(file, 'full-reference', profile, profile.fullReference.join(', '), { rows });
  return rows;
}

/** One worker job per dataset with references, and per split where the profile repeats DGIQA-FR (fullReferenceSplits). */
export function frJobs(profile: Profile): Job<FrRow>[] {
  if (profile.fullReferenceSplits <= 1) return profile.fullReference.map((id): Job<FrRow> => ({ task: { kind: 'fr', profile: profile.name, dataset: id }, label: `${id} DGIQA-FR`, local: () => frDataset(profile, id) }));
  return profile.fullReference.flatMap((id) => Array.from({ length: profile.fullReferenceSplits }, (_, k): Job<FrRow> => ({
    task: { kind: 'fr', profile: profile.name, dataset: id, split: k }, label: `${id} DGIQA-FR split ${k}`, local: () => frSplit(profile, id, k),
  })));
}

/** Where one dataset's DGIQA-FR row is saved (its presence: trained and tested; with several splits, their mean). */
export function frResultFile(profile: Profile, id: string): string {
  return resultPath(profile, 'full-reference', id, 'result.json');
}

/** A DGIQA-FR split's folder: full-reference/<set> itself with one split (as the demo saves it), full-reference/<set>/split-NN with several. */
export function frSplitDir(profile: Profile, id: string, k: number): string {
  return profile.fullReferenceSplits > 1 ? resultPath(profile, 'full-reference', id, splitDir(k)) : resultPath(profile, 'full-reference', id);
}

const rowOf = (r: FrRow): FrRow => ({ dataset: r.dataset, srocc: r.srocc, plcc: r.plcc, metrics: r.metrics, train: r.train, test: r.test });

/** One dataset's DGIQA-FR row: its one split's, or the mean over its splits (each trained when not saved). */
export async function frDataset(profile: Profile, id: string): Promise<FrRow> {
  if (profile.fullReferenceSplits <= 1) return frSplit(profile, id, 0);
  const rowFile = frResultFile(profile, id);
  const saved = await readResult<FrRow & { splits: FrRow[] }>(rowFile);
  if (saved) return rowOf(saved);
  const splits: FrRow[] = [];
  for (let k = 0; k < profile.fullReferenceSplits; k++) splits.push(await frSplit(profile, id, k));
  const mean = (f: (r: FrRow) => number): number => splits.reduce((s, r) => s + f(r), 0) / splits.length;
  const metrics = Object.fromEntries(Object.keys(splits[0]!.metrics).map((k) => [k, mean((r) => (r.metrics as unknown as Record<string, number>)[k]!)])) as unknown as Metrics;
  const row: FrRow = { dataset: id, srocc: mean((r) => r.srocc), plcc: mean((r) => r.plcc), metrics, train: splits[0]!.train, test: splits[0]!.test };
  await writeResult(rowFile, 'full-reference-dataset', profile, `${id}, mean of ${splits.length} splits`, { ...row, splits });
  return row;
}

/** One dataset's DGIQA-FR on split k: trained (resumable), tested, its row saved beside its run. */
export async function frSplit(profile: Profile, id: string, k: number): Promise<FrRow> {
  const dir = frSplitDir(profile, id, k);
  const rowFile = join(dir, 'result.json');
  const saved = await readResult<FrRow>(rowFile);
  if (saved) return rowOf(saved);
  const b = await openBenchmark(id, profile);
  const items = b.items.filter((i) => i.reference);
  if (items.length === 0) throw new Error(`${id}: no reference images: DGIQA-FR needs a dataset with references`);
  const parts = applySplit(items, (await splitsFor(profile, { ...b, items }, Math.max(1, profile.fullReferenceSplits)))[k]!);
  const train = [...parts.train, ...parts.val];
  // split k trains with seed k, as the protocol's splits; the FR overrides (its own rate and length) last
  const config = resolveTrainConfig({ model: runModelConfig(profile), seed: k, ...profile.train, ...datasetTrain(profile, id), ...profile.fullReferenceTrain, lambda: 0, ...startOf(profile) }, `${id} FR train config`);
  const pool = new DecodePool(Math.max(1, defaultWorkers()));
  try {
    const batches = async function* (epoch: number): AsyncGenerator<HostBatch> {
      for await (const { dist, ref } of aligned(epochSamples(train, config.cropsPerImage), { mode: 'train', batchSize: config.batchSize, seed: seedFor(config.seed, epoch), size: profile.cropSize, trainShortSide: profile.trainShortSide, pool })) {
        yield { rgb: dist.rgb, depth: dist.depth, labels: dist.labels, n: dist.n, size: dist.size, ref: { rgb: ref.rgb, depth: ref.depth } };
      }
    };
    const { model } = await fit({ runDir: join(dir, 'run'), config, batches, imagesPerEpoch: train.length * config.cropsPerImage, resume: true, meta: { label: profile.fullReferenceSplits > 1 ? `${id} DGIQA-FR split ${k}` : `${id} DGIQA-FR`, fullReference: true, data: id } });
    const pred = await predictFr(model, parts.test, profile, pool);
    model.dispose();
    const metrics = computeMetrics(pred, parts.test.map((t) => t.score01));
    const row: FrRow = { dataset: id, srocc: metrics.srocc, plcc: metrics.plcc, metrics, train: train.length, test: parts.test.length };
    await writeResult(rowFile, 'full-reference-dataset', profile, id, row);
    return row;
  } finally {
    await pool.close();
  }
}
