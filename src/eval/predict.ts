// Multi-crop scoring (the official inference protocol): each image's smaller side resized to 384,
// N random 224 crops from a seed, the model's scores averaged over the crops.
import { isMainThread } from 'node:worker_threads';
import { setting } from '../settings/index.js';
import { onDeviceBackend, tf } from '../backend/index.js';
import type { Dgiqa } from '../model/index.js';
import { Prefetcher } from '../data/pipeline/index.js';
import type { CropBatch, DecodePool, SampleRecord } from '../data/pipeline/index.js';
import { OnnxDgiqa, loadOnnxRuntime } from '../onnx/index.js';

/** What runs the forward: TensorFlow.js on the kit's backend, or ONNX Runtime on the kit's export of the model. */
export type Engine = 'tfjs' | 'onnx';

/**
 * The engine for `auto`: tfjs on the GPU backend (faster than ONNX Runtime's CPU build) and in
 * worker threads, else ONNX Runtime (several times the wasm backend's speed), else tfjs where ONNX
 * Runtime cannot load.
 * DGIQA_ENGINE=auto|onnx|tfjs sets what `auto` means for every evaluation of a run.
 */
export async function resolveEngine(requested: Engine | 'auto' = 'auto', onFallback?: (why: string) => void): Promise<Engine> {
  const wanted = requested === 'auto' ? engineFromEnvironment() : requested;
  if (wanted !== 'auto') return wanted;
  // ONNX Runtime's Node binding aborts the process when a worker thread uses it (OnnxDgiqa)
  if (onDeviceBackend() || !isMainThread) return 'tfjs';
  try {
    await loadOnnxRuntime();
    return 'onnx';
  } catch (err) {
    onFallback?.(err instanceof Error ? err.message : String(err));
    return 'tfjs';
  }
}

function engineFromEnvironment(): Engine | 'auto' {
  return setting('DGIQA_ENGINE') ?? 'auto';
}

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
  /** default auto (resolveEngine); onnx exports the model's current weights once per call */
  engine?: Engine | 'auto';
  /**
   * ONNX Runtime threads (default 1: the experiments evaluate beside trainings running one per core,
   * and one thread keeps their results independent of where they ran); the CLI gives all cores
   */
  threads?: number;
  /** called after each batch with the number of images scored */
  onProgress?: (done: number) => void;
}

export interface Predictions {
  /** mean score of each record's crops, in the records' order */
  scores: number[];
  engine: Engine;
  crops: number;
  seed: number;
  seconds: number;
}

export async function predictRecords(model: Dgiqa, records: readonly SampleRecord[], o: PredictOptions): Promise<Predictions> {
  return (await predictRecordsEach([model], records, o))[0]!;
}

/**
 * Several models (of one input size) scored on the same crops, each batch decoded once for all of
 * them: what each gets is what predictRecords gives it alone. `seconds` is each model's share of the
 * pass. (Table 5 tests the demo's 15 trained runs on one set: decoding it again for each run took
 * about a quarter of each run's test.)
 */
export async function predictRecordsEach(models: readonly Dgiqa[], records: readonly SampleRecord[], o: PredictOptions): Promise<Predictions[]> {
  const t0 = performance.now();
  const size = models[0]?.config.imgSize;
  if (size === undefined) throw new Error('predictRecordsEach: no model given');
  if (models.some((m) => m.config.imgSize !== size)) throw new Error(`predictRecordsEach: the models take different input sizes (${models.map((m) => m.config.imgSize).join(', ')})`);
  const scores = models.map(() => new Array<number>(records.length).fill(NaN));
  // the engine first: a model that cannot be exported leaves no loader (and its workers) behind
  const engine = await resolveEngine(o.engine);
  const sessions: OnnxDgiqa[] = [];
  try {
    if (engine === 'onnx') for (const m of models) sessions.push(await OnnxDgiqa.fromModel(m, { threads: o.threads ?? 1 }));
    const loader = new Prefetcher(records, {
      mode: 'eval',
      size,
      crops: o.crops,
      seed: o.seed,
      batchSize: o.imagesPerBatch ?? 1,
      ...(o.evalShortSide ? { evalShortSide: o.evalShortSide } : {}),
      ...(o.pool ? { pool: o.pool } : o.workers !== undefined ? { workers: o.workers } : {}),
      allowMissingDepth: models.every((m) => !m.config.useDepth),
    });
    let done = 0;
    for await (const b of loader) {
      for (const [k, model] of models.entries()) {
        const onnx = sessions[k];
        const perImage = onnx ? meanOfCrops(await onnx.scores(b.rgb, model.config.useDepth ? b.depth : undefined, b.n), b.cropsPerImage) : await tfjsMeans(model, b);
        b.indices.forEach((recordIndex, i) => (scores[k]![recordIndex] = perImage[i]!));
      }
      done += b.indices.length;
      o.onProgress?.(done);
    }
  } finally {
    for (const onnx of sessions) await onnx.dispose();
  }
  const seconds = (performance.now() - t0) / 1000 / models.length;
  return scores.map((s) => ({ scores: s, engine, crops: o.crops, seed: o.seed, seconds }));
}

/** each image's mean crop score, in float32 as the tfjs path computes it */
function meanOfCrops(crops: Float32Array, perImage: number): Float32Array {
  const out = new Float32Array(crops.length / perImage);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let k = 0; k < perImage; k++) sum += crops[i * perImage + k];
    out[i] = sum / perImage;
  }
  return out;
}

/** Per-image means of the crops' scores; read asynchronously (a WebGPU backend in Node has no synchronous read). */
async function tfjsMeans(model: Dgiqa, b: CropBatch): Promise<Float32Array> {
  const perImage = tf.tidy(() => {
    const rgb = tf.tensor4d(b.rgb, [b.n, b.size, b.size, 3]);
    const depth = model.config.useDepth ? tf.tensor4d(b.depth, [b.n, b.size, b.size, 3]) : undefined;
    const s = model.forward(rgb, depth).scores;
    return s.reshape([b.indices.length, b.cropsPerImage]).mean(1);
  });
  try {
    return (await perImage.data()) as Float32Array;
  } finally {
    perImage.dispose();
  }
}
