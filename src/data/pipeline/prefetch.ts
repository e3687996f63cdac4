// The loader: decodes and crops ahead of the model on worker threads and yields NHWC float32
// batches in a fixed order, whatever order the workers finish in.
//
//   const loader = new Prefetcher(records, { mode: 'train', batchSize: 16, seed: epochSeed });
//   for await (const batch of loader) { ... tf.tensor4d(batch.rgb, [batch.n, 224, 224, 3]) ... }
//
// Order: training shuffles the records with the seed (shuffle: false keeps the given order);
// evaluation keeps the given order. A training sample's crop is a function of (seed, its index in
// `records`) only; an evaluation sample's of (seed, its file name) only (evalSeedOf).
// Backpressure: at most `queueSize` batches are decoded ahead of the one the consumer holds. Shutdown: workers are terminated when iteration ends, breaks or throws; a loader
// abandoned mid-way leaves only idle (unref'd) workers, which do not keep the process alive.
import { Rng } from '../../util/rng.js';
import type { BadInput } from '../records.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_QUEUE_BATCHES } from './constants.js';
import { DecodePool, InlineExecutor, defaultWorkers } from './pool.js';
import type { SampleExecutor } from './pool.js';
import { SAMPLE_DEFAULTS, evalSeedOf, sampleSeed } from './sample.js';
import type { CropInfo, SampleJob, SampleRecord, SampleResult } from './sample.js';

export interface LoaderOptions {
  /** 'train': one random crop with flips per image; 'eval': the official N crops per image. Default 'train'. */
  mode?: 'train' | 'eval';
  /** Images per batch (an eval batch holds batchSize * crops crops). Default 16 for train, 1 for eval. */
  batchSize?: number;
  /** Epoch seed (train) or evaluation seed. Default 0. */
  seed?: number;
  /** Shuffle the record order with the seed. Default true for train; eval must keep the order. */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Crop side. Default 224. */
  size?: number;
  /** Training flips (p = 0.5 each). Default true. */
  hflip?: boolean;
  vflip?: boolean;
  /** Eval: crops per image (default 20) and the smaller side images are resized to first (default 384). */
  crops?: number;
  evalShortSide?: number;
  /**
   * Train: the smaller side images are resized to before the random crop, so that training sees the
   * scale evaluation sees (the demo: 220, as its evaluation). Default 0: crops from full resolution.
   */
  trainShortSide?: number;
  /** Decode workers: default min(2, cores); 0 decodes inline on the main thread. Ignored with `pool`. */
  workers?: number;
  /** A shared DecodePool (not closed by this loader). */
  pool?: DecodePool;
  /** Batches decoded ahead of the consumer (bounded queue). Default 2. */
  queueSize?: number;
  /** Let records without a depth map through (RGB-only models); their depth input is a constant map's. */
  allowMissingDepth?: boolean;
  /**
   * A sample that fails (an image changed on disk since the check before training) is left out of
   * its batch and recorded (`skipped`, `onSkip`) instead of ending the pass. Default false: the
   * pass stops with the one-line error naming the file.
   */
  skipBad?: boolean;
  /** Called once per sample left out with `skipBad` (e.g. to add it to the run's report). */
  onSkip?: (bad: BadInput) => void;
}

const OPTION_KEYS: readonly (keyof LoaderOptions)[] = [
  'mode', 'batchSize', 'seed', 'shuffle', 'dropLast', 'size', 'hflip', 'vflip', 'crops', 'evalShortSide',
  'trainShortSide', 'workers', 'pool', 'queueSize', 'allowMissingDepth', 'skipBad', 'onSkip',
];

/**
 * A batch of crops, NHWC float32, ready for `tf.tensor4d(rgb, [n, size, size, 3])`, with where each
 * crop came from; the trainer takes it as it is (its HostBatch holds the arrays only).
 */
export interface CropBatch {
  /** ImageNet-normalized RGB crops, n * size * size * 3. */
  rgb: Float32Array;
  /** The depth crops: min-max to 0..255, repeated to 3 channels, ImageNet-normalized. */
  depth: Float32Array;
  /** Crops in the batch (images * cropsPerImage). */
  n: number;
  size: number;
  /** Position of the batch in the iteration (0, 1, ...). */
  index: number;
  /** Index in `records` of each image, in batch order; image i owns crops i*cropsPerImage ... */
  indices: number[];
  cropsPerImage: number;
  /** Each image's label, its record's `score01` (NaN where the record has none); the trainer's `labels`. */
  labels: Float32Array;
  /** Where each crop came from. */
  crops: CropInfo[];
  /** Images of this batch that were smaller than the crop and were upscaled (training). */
  upscaled: string[];
  /** Images of this batch without a depth map (allowMissingDepth). */
  missingDepth: string[];
  /** One line per thing worth telling (upscaling, missing depth, a sample left out). */
  notes: string[];
  /** Samples of this batch left out with `skipBad` (the batch is that much smaller). */
  skipped: BadInput[];
}

interface Resolved {
  mode: 'train' | 'eval';
  batchSize: number;
  seed: number;
  shuffle: boolean;
  dropLast: boolean;
  size: number;
  hflip: boolean;
  vflip: boolean;
  crops: number;
  evalShortSide: number;
  trainShortSide: number;
  workers: number;
  queueSize: number;
  allowMissingDepth: boolean;
  skipBad: boolean;
}

interface Deferred {
  promise: Promise<SampleResult>;
  resolve: (r: SampleResult) => void;
  reject: (e: Error) => void;
}

function deferred(): Deferred {
  let resolve!: (r: SampleResult) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<SampleResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Handled where the consumer awaits it; this keeps an early failure from being "unhandled".
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`Prefetcher: ${name} must be an integer >= 1, got ${v}`);
  return v;
}

function resolveOptions(opts: LoaderOptions): Resolved {
  for (const key of Object.keys(opts)) {
    if (!(OPTION_KEYS as readonly string[]).includes(key)) {
      throw new Error(`Prefetcher: unknown option '${key}' (known: ${OPTION_KEYS.join(', ')})`);
    }
  }
  const mode = opts.mode ?? 'train';
  if (mode !== 'train' && mode !== 'eval') throw new Error(`Prefetcher: mode must be 'train' or 'eval', got '${String(mode)}'`);
  if (mode === 'eval' && opts.shuffle === true) throw new Error("Prefetcher: shuffle is for training; eval keeps the records' order");
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`Prefetcher: seed must be an integer, got ${seed}`);
  const workers = opts.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`Prefetcher: workers must be an integer >= 0, got ${workers}`);
  const size = positiveInt('size', opts.size ?? SAMPLE_DEFAULTS.size);
  const evalShortSide = positiveInt('evalShortSide', opts.evalShortSide ?? SAMPLE_DEFAULTS.evalShortSide);
  if (evalShortSide < size) throw new Error(`Prefetcher: evalShortSide ${evalShortSide} is smaller than size ${size}`);
  const trainShortSide = opts.trainShortSide ?? SAMPLE_DEFAULTS.trainShortSide;
  if (trainShortSide !== 0 && (!Number.isInteger(trainShortSide) || trainShortSide < size)) throw new Error(`Prefetcher: trainShortSide must be 0 (full resolution) or an integer >= size ${size}, got ${trainShortSide}`);
  return {
    mode,
    batchSize: positiveInt('batchSize', opts.batchSize ?? (mode === 'train' ? DEFAULT_BATCH_SIZE : 1)),
    seed,
    shuffle: opts.shuffle ?? mode === 'train',
    dropLast: opts.dropLast ?? false,
    size,
    hflip: opts.hflip ?? SAMPLE_DEFAULTS.hflip,
    vflip: opts.vflip ?? SAMPLE_DEFAULTS.vflip,
    crops: positiveInt('crops', opts.crops ?? SAMPLE_DEFAULTS.crops),
    evalShortSide,
    trainShortSide,
    workers,
    queueSize: positiveInt('queueSize', opts.queueSize ?? DEFAULT_QUEUE_BATCHES),
    allowMissingDepth: opts.allowMissingDepth ?? SAMPLE_DEFAULTS.allowMissingDepth,
    skipBad: opts.skipBad ?? false,
  };
}

/** The record order of an epoch: 0..n-1, shuffled (Fisher-Yates) with a stream derived from the seed. */
export function epochOrder(n: number, seed: number, shuffle: boolean): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  if (!shuffle) return order;
  const rng = new Rng(sampleSeed(seed, 0xffffffff));
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** One pass over the records (an epoch, or an evaluation). Iterate it once. */
export class Prefetcher implements AsyncIterable<CropBatch> {
  readonly records: readonly SampleRecord[];
  readonly options: Readonly<Resolved>;
  /** Record indices in iteration order. */
  readonly order: readonly number[];
  readonly numBatches: number;
  /** Every image upscaled so far in this pass (training), in order of appearance. */
  readonly upscaled: string[] = [];
  /** Every sample left out so far with `skipBad`, in order of appearance. */
  readonly skipped: BadInput[] = [];
  private readonly onSkip: ((bad: BadInput) => void) | undefined;
  private readonly sharedPool: DecodePool | undefined;
  private executor: SampleExecutor | null = null;
  private readonly slots = new Map<number, Deferred>();
  private readonly total: number;
  private started = false;
  private closed = false;
  private dispatched = 0;
  private consumed = 0;
  private inFlight = 0;

  constructor(records: readonly SampleRecord[], options: LoaderOptions = {}) {
    this.options = resolveOptions(options);
    this.sharedPool = options.pool;
    this.onSkip = options.onSkip;
    const o = this.options;
    records.forEach((r, i) => {
      if (typeof r.image !== 'string' || r.image === '') throw new Error(`Prefetcher: record ${i} has no image path`);
    });
    if (!o.allowMissingDepth) {
      const missing = records.filter((r) => r.depth === undefined);
      if (missing.length > 0) {
        throw new Error(
          `${missing[0]!.image}: no depth map given (${missing.length} of ${records.length} records lack one; ` +
            'make depth maps first, or pass allowMissingDepth for an RGB-only model)',
        );
      }
    }
    this.records = records;
    this.order = epochOrder(records.length, o.seed, o.shuffle);
    this.total = o.dropLast ? records.length - (records.length % o.batchSize) : records.length;
    this.numBatches = Math.ceil(this.total / o.batchSize);
  }

  /** Workers of this loader's own pool that are still running (0 once iteration has ended). */
  get liveWorkers(): number {
    return this.executor instanceof DecodePool && this.executor !== this.sharedPool ? this.executor.liveWorkers : 0;
  }

  /** Progress: samples started, batches handed out, samples being decoded now. */
  get stats(): { dispatched: number; consumed: number; inFlight: number } {
    return { dispatched: this.dispatched, consumed: this.consumed, inFlight: this.inFlight };
  }

  /** Thread ids of the workers doing the decoding (empty when inline). */
  get threadIds(): number[] {
    return this.executor instanceof DecodePool ? this.executor.threadIds : [];
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CropBatch, void, undefined> {
    if (this.started) throw new Error('Prefetcher: a loader is iterated once; make a new one per epoch');
    this.started = true;
    try {
      if (this.numBatches === 0) return;
      this.executor = this.sharedPool ?? (this.options.workers === 0 ? new InlineExecutor() : new DecodePool(this.options.workers));
      this.pump();
      const { batchSize } = this.options;
      for (let b = 0; b < this.numBatches; b++) {
        const first = b * batchSize;
        const last = Math.min(first + batchSize, this.total);
        const done: { p: number; result: SampleResult }[] = [];
        const skipped: BadInput[] = [];
        // In position order, so that the first failing image of the batch is the one reported.
        for (let p = first; p < last; p++) {
          try {
            done.push({ p, result: await this.slot(p).promise });
          } catch (err) {
            if (!this.options.skipBad) throw err;
            skipped.push(this.skip(p, err));
          }
        }
        for (let p = first; p < last; p++) this.slots.delete(p);
        this.consumed = b + 1;
        this.pump();
        // A batch whose every sample was left out is not yielded: a model takes no empty batch.
        if (done.length > 0) yield this.assemble(b, done, skipped);
      }
    } finally {
      await this.close();
    }
  }

  /** Stops decoding and terminates this loader's own workers (a shared pool is left running). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exec = this.executor;
    if (exec !== null && exec !== this.sharedPool) await exec.close();
  }

  private slot(p: number): Deferred {
    let d = this.slots.get(p);
    if (d === undefined) {
      d = deferred();
      this.slots.set(p, d);
    }
    return d;
  }

  /** Starts jobs while there is room in the executor and in the bounded queue. */
  private pump(): void {
    const exec = this.executor;
    if (exec === null) return;
    const o = this.options;
    const limit = Math.min(this.total, (this.consumed + o.queueSize) * o.batchSize);
    while (!this.closed && this.inFlight < exec.capacity && this.dispatched < limit) {
      const p = this.dispatched++;
      const d = this.slot(p);
      this.inFlight++;
      exec.run(this.job(p)).then(
        (r) => {
          this.inFlight--;
          d.resolve(r);
          this.pump();
        },
        (e: unknown) => {
          this.inFlight--;
          d.reject(e instanceof Error ? e : new Error(String(e)));
          this.pump();
        },
      );
    }
  }

  private job(p: number): SampleJob {
    const o = this.options;
    const index = this.order[p]!;
    const r = this.records[index]!;
    return {
      mode: o.mode,
      image: r.image,
      depth: r.depth,
      seed: o.mode === 'eval' ? evalSeedOf(o.seed, r.cropKey ?? r.image) : sampleSeed(o.seed, index),
      size: o.size,
      hflip: o.hflip,
      vflip: o.vflip,
      crops: o.crops,
      evalShortSide: o.evalShortSide,
      trainShortSide: o.trainShortSide,
      allowMissingDepth: o.allowMissingDepth,
    };
  }

  /** Records the sample at position p as left out, with the one-line reason its job failed with. */
  private skip(p: number, err: unknown): BadInput {
    const image = this.records[this.order[p]!]!.image;
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
    const bad = message.startsWith(`${image}: `) ? { file: image, problem: message.slice(image.length + 2) } : { file: image, problem: message };
    this.skipped.push(bad);
    this.onSkip?.(bad);
    return bad;
  }

  private assemble(b: number, done: { p: number; result: SampleResult }[], skipped: BadInput[]): CropBatch {
    const { size } = this.options;
    const results = done.map((d) => d.result);
    const indices = done.map((d) => this.order[d.p]!);
    const cropsPerImage = results[0]!.n;
    const n = results.length * cropsPerImage;
    let rgb: Float32Array;
    let depth: Float32Array;
    if (results.length === 1) {
      rgb = results[0]!.rgb;
      depth = results[0]!.depth;
    } else {
      rgb = new Float32Array(n * size * size * 3);
      depth = new Float32Array(n * size * size * 3);
      let off = 0;
      for (const r of results) {
        rgb.set(r.rgb, off);
        depth.set(r.depth, off);
        off += r.rgb.length;
      }
    }
    const upscaled: string[] = [];
    const missingDepth: string[] = [];
    const notes: string[] = [];
    results.forEach((r, i) => {
      const image = this.records[indices[i]!]!.image;
      if (r.upscaled) {
        const c = r.crops[0]!;
        upscaled.push(image);
        this.upscaled.push(image);
        notes.push(`${image}: ${r.width}x${r.height} is smaller than ${size} on a side; upscaled to ${c.viewWidth}x${c.viewHeight} (bilinear) before cropping`);
      }
      if (r.missingDepth) {
        missingDepth.push(image);
        notes.push(`${image}: no depth map; depth input is a constant map's (allowMissingDepth)`);
      }
    });
    for (const s of skipped) notes.push(`${s.file}: left out of this batch (skipBad): ${s.problem}`);
    return {
      rgb, depth, n, size, index: b, indices, cropsPerImage,
      labels: Float32Array.from(indices, (i) => this.records[i]!.score01 ?? NaN),
      crops: results.flatMap((r) => r.crops),
      upscaled, missingDepth, notes, skipped,
    };
  }
}
