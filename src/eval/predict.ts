// Multi-crop scoring (the official inference protocol): each image's smaller side resized to 384,
// N random 224 crops from a seed, the model's scores averaged over the crops.
import { tf } from '../backend/index.js';
import type { Dgiqa } from '../model/index.js';
import { Prefetcher } from '../data/pipeline/index.js';
import type { DecodePool, SampleRecord } from '../data/pipeline/index.js';

export interface PredictOptions {
  /** crops per image (official README: 20) */
  crops: number;
  /** crop seed; recorded with the results */
  seed: number;
  /** smaller side before cropping (official: 384) */
  evalShortSide?: number;
  /** images per forward pass (each contributes `crops` crops) */
  imagesPerBatch?: number;
  workers?: number;
  pool?: DecodePool;
  /** called after each batch with the number of images scored */
  onProgress?: (done: number) => void;
}

export interface Predictions {
  /** mean score of each record's crops, in the records' order */
  scores: number[];
  crops: number;
  seed: number;
  seconds: number;
}

export async function predictRecords(model: Dgiqa, records: readonly SampleRecord[], o: PredictOptions): Promise<Predictions> {
  const t0 = performance.now();
  const scores = new Array<number>(records.length).fill(NaN);
  const loader = new Prefetcher(records, {
    mode: 'eval',
    size: model.config.imgSize,
    crops: o.crops,
    seed: o.seed,
    batchSize: o.imagesPerBatch ?? 1,
    ...(o.evalShortSide ? { evalShortSide: o.evalShortSide } : {}),
    ...(o.pool ? { pool: o.pool } : o.workers !== undefined ? { workers: o.workers } : {}),
    allowMissingDepth: !model.config.useDepth,
  });
  let done = 0;
  for await (const b of loader) {
    const perImage = tf.tidy(() => {
      const rgb = tf.tensor4d(b.rgb, [b.n, b.size, b.size, 3]);
      const depth = model.config.useDepth ? tf.tensor4d(b.depth, [b.n, b.size, b.size, 3]) : undefined;
      const s = model.forward(rgb, depth).scores;
      return s.reshape([b.indices.length, b.cropsPerImage]).mean(1);
    });
    const values = perImage.dataSync();
    perImage.dispose();
    b.indices.forEach((recordIndex, i) => (scores[recordIndex] = values[i]));
    done += b.indices.length;
    o.onProgress?.(done);
  }
  return { scores, crops: o.crops, seed: o.seed, seconds: (performance.now() - t0) / 1000 };
}
