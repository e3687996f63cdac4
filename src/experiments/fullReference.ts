// DGIQA-FR (appendix C.3, Table 6): the same trunk on the reference and the distorted image, the score
// sigmoid(W (F_ref - F_dist) + b). Reference and distorted crops are aligned: both loaders use the same
// seed, order and per-index crop windows, and a reference has its distorted images' size.
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import { DgiqaFr } from '../model/index.js';
import type { Dgiqa } from '../model/index.js';
import { applySplit } from '../data/splits.js';
import { DecodePool, Prefetcher, defaultWorkers } from '../data/pipeline/index.js';
import type { CropBatch, LoaderOptions, SampleRecord } from '../data/pipeline/index.js';
import { computeMetrics } from '../eval/index.js';
import type { Metrics } from '../eval/index.js';
import { fit, resolveTrainConfig } from '../train/index.js';
import type { HostBatch } from '../train/index.js';
import { seedFor } from '../util/rng.js';
import { openBenchmark } from './datasets.js';
import type { BenchItem } from './datasets.js';
import type { Profile } from './profiles.js';
import { readResult, resultPath, writeResult } from './results.js';
import { splitsFor } from './protocol.js';
import { pretrainedFor, runModelConfig } from './run.js';
import { runJobs, type Job } from './parallel.js';

export interface FrRow {
  dataset: string;
  srocc: number;
  plcc: number;
  metrics: Metrics;
  train: number;
  test: number;
}

const refsOf = (items: BenchItem[]): SampleRecord[] => items.map((i) => ({ image: (i.reference as { image: string }).image, depth: (i.reference as { depth: string }).depth, score01: i.score01 }));

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

/** Table 6: DGIQA-FR trained and tested on split 0 of each dataset with references, side by side. */
export async function runFullReference(profile: Profile): Promise<FrRow[]> {
  const file = resultPath(profile, 'full-reference', 'summary.json');
  const saved = await readResult<{ rows: FrRow[] }>(file);
  if (saved) return saved.rows;
  const rows = await runJobs(frJobs(profile));
  await writeResult(file, 'full-reference', profile, profile.fullReference.join(', '), { rows });
  return rows;
}

/** One worker job per dataset with references. */
export function frJobs(profile: Profile): Job<FrRow>[] {
  return profile.fullReference.map((id): Job<FrRow> => ({ task: { kind: 'fr', profile: profile.name, dataset: id }, label: `${id} DGIQA-FR`, local: () => frDataset(profile, id) }));
}

/** Where one dataset's DGIQA-FR row is saved (its presence: trained and tested). */
export function frResultFile(profile: Profile, id: string): string {
  return resultPath(profile, 'full-reference', id, 'result.json');
}

/** One dataset's DGIQA-FR: trained on split 0 (resumable), tested, its row saved beside its run. */
export async function frDataset(profile: Profile, id: string): Promise<FrRow> {
  const rowFile = frResultFile(profile, id);
  const saved = await readResult<FrRow>(rowFile);
  if (saved) return { dataset: saved.dataset, srocc: saved.srocc, plcc: saved.plcc, metrics: saved.metrics, train: saved.train, test: saved.test };
  const b = await openBenchmark(id, profile);
  const items = b.items.filter((i) => i.reference);
  if (items.length === 0) throw new Error(`${id}: no reference images: DGIQA-FR needs a dataset with references`);
  const parts = applySplit(items, (await splitsFor(profile, { ...b, items }, 1))[0]);
  const train = [...parts.train, ...parts.val];
  const config = resolveTrainConfig({ model: runModelConfig(profile), pretrained: pretrainedFor(profile), ...profile.train, lambda: 0 }, `${id} FR train config`);
  const pool = new DecodePool(Math.max(1, defaultWorkers()));
  try {
    const batches = async function* (epoch: number): AsyncGenerator<HostBatch> {
      for await (const { dist, ref } of aligned(train, { mode: 'train', batchSize: config.batchSize, seed: seedFor(config.seed, epoch), size: profile.cropSize, trainShortSide: profile.trainShortSide, pool })) {
        yield { rgb: dist.rgb, depth: dist.depth, labels: dist.labels, n: dist.n, size: dist.size, ref: { rgb: ref.rgb, depth: ref.depth } };
      }
    };
    const { model } = await fit({ runDir: join(resultPath(profile, 'full-reference', id), 'run'), config, batches, imagesPerEpoch: train.length, resume: true, meta: { label: `${id} DGIQA-FR`, fullReference: true, data: id } });
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
