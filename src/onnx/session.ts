// DGIQA inference on ONNX Runtime's CPU build (onnxruntime-node: MLAS kernels with AVX2/AVX-512 and
// a thread per core), fed by the kit's own export. TensorFlow.js's wasm backend runs one thread per
// process and 128-bit SIMD; for the paper-size forward ONNX Runtime is the faster engine on a CPU.
import { availableParallelism } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import type { Dgiqa, DgiqaConfig } from '../model/index.js';
import { exportOnnx } from './export.js';

type OnnxRuntime = typeof import('onnxruntime-node');
let runtime: Promise<OnnxRuntime> | undefined;

/**
 * ONNX Runtime's native binding, loaded on first use: a machine where it cannot load (no prebuilt
 * binary for the platform) still runs everything else, and hears why here.
 */
export function loadOnnxRuntime(): Promise<OnnxRuntime> {
  runtime ??= import('onnxruntime-node').catch((err: unknown) => {
    runtime = undefined;
    const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    throw new Error(`ONNX Runtime (onnxruntime-node) cannot be loaded on this machine (${why}); use the TensorFlow.js engine (--engine tfjs)`);
  });
  return runtime;
}

export interface OnnxOptions {
  /** intra-op threads (default: the machine's cores) */
  threads?: number;
}

/** A DGIQA model compiled by ONNX Runtime: scores batches of NHWC crops, as Dgiqa.predict does. */
export class OnnxDgiqa {
  private constructor(
    readonly config: DgiqaConfig,
    private readonly session: InferenceSession,
    readonly threads: number,
    private readonly tensor: typeof Tensor,
  ) {}

  /** Export `model` (its current weights) and load the graph; the tfjs model stays the caller's. */
  static async fromModel(model: Dgiqa, o: OnnxOptions = {}): Promise<OnnxDgiqa> {
    return OnnxDgiqa.fromBytes(exportOnnx(model).bytes, model.config, o);
  }

  /** Load an exported graph (`dgiqa export`), with the config it was exported from. */
  static async fromBytes(bytes: Uint8Array, config: DgiqaConfig, o: OnnxOptions = {}): Promise<OnnxDgiqa> {
    // onnxruntime-node 1.21 is not safe in worker threads: two of them using it abort the process
    // ("Entering the V8 API without proper locking"), so it is refused there with a reason
    if (!isMainThread) throw new Error('ONNX Runtime runs on the main thread only (its Node binding aborts the process when worker threads use it); use the TensorFlow.js engine in workers');
    const threads = o.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`ONNX Runtime threads must be a positive integer, got ${threads}`);
    const ort = await loadOnnxRuntime();
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    return new OnnxDgiqa(config, session, threads, ort.Tensor);
  }

  /** rgb, depth: n crops [n, S, S, 3] normalised NHWC, flattened; returns n scores. */
  async scores(rgb: Float32Array, depth: Float32Array | undefined, n: number): Promise<Float32Array> {
    return (await this.run(rgb, depth, n, 'scores')).scores;
  }

  /** scores and the pooled features [n, C], row-major */
  async run(rgb: Float32Array, depth: Float32Array | undefined, n: number, ...fetch: ('scores' | 'pooled')[]): Promise<{ scores: Float32Array; pooled: Float32Array }> {
    const s = this.config.imgSize;
    const size = n * s * s * 3;
    if (rgb.length !== size) throw new Error(`ONNX model input must be [${n}, ${s}, ${s}, 3] (${size} values), got ${rgb.length} values`);
    const feeds: Record<string, Tensor> = { rgb: new this.tensor('float32', rgb, [n, s, s, 3]) };
    if (this.config.useDepth) {
      if (!depth || depth.length !== size) throw new Error(`ONNX model depth input must be [${n}, ${s}, ${s}, 3] (${size} values), got ${depth ? depth.length : 'none'}`);
      feeds.depth = new this.tensor('float32', depth, [n, s, s, 3]);
    }
    const names = fetch.length ? fetch : ['scores', 'pooled'];
    const out = await this.session.run(feeds, names);
    const get = (name: string): Float32Array => {
      const t = out[name];
      if (!names.includes(name)) return new Float32Array(0);
      if (!t || !(t.data instanceof Float32Array)) throw new Error(`ONNX model returned no float "${name}"`);
      return t.data;
    };
    return { scores: get('scores'), pooled: get('pooled') };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
