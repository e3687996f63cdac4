// `dgiqa bench --config <preset|file> --batch B [--what forward|train|both]`: steady-state speed of the
// model in this process. Random weights and inputs (speed does not depend on their values), warm-up
// steps untimed (kernel set-up, XNNPACK weight packing), then the median of the timed steps -> images/s.
// The last line of stdout is one JSON object; its numbers are what the README quotes. Never a timed
// test: the machines here are shared and noisy, so numbers come from this command, with their context.
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { formatProfile, initBackend, machinePeak, profileKernels, tf, trainingMemoryProblem } from '../backend/index.js';
import type { KernelProfile, MachinePeak } from '../backend/index.js';
import type { BackendName } from '../backend/index.js';
import { Dgiqa, modelCost } from '../model/index.js';
import type { DgiqaConfig } from '../model/index.js';
import { AdamW, createStepEngine, onnxTrainingProblem } from '../train/index.js';
import type { StepEngine } from '../train/index.js';
import { OnnxDgiqa } from '../onnx/index.js';
import { readConfig } from './forward.js';
import { chooseEngine } from './engine.js';

const USAGE = `usage: dgiqa bench --config PRESET|config.json --batch B [--what forward|train|both] [--steps N] [--warmup N]
                   [--engine auto|tfjs|onnx] [--workers N] [--threads N] [--backend tensorflow|webgpu|wasm|cpu] [--profile]
  --engine onnx  on ONNX Runtime (--threads of its pool, default all cores): the forward from the kit's
                 export, the training step traced from TensorFlow.js's (src/train/onnxEngine.ts)
  --engine auto  (default) what the kit's commands run: onnx on the CPU where ONNX Runtime loads,
                 tfjs on a GPU backend, and tfjs for --workers and --profile, which time tfjs
  --workers N    tfjs forward split over N worker threads, a backend each
  --profile      after the timed steps, one more of each kind with every tfjs kernel timed: the top
                 kernels by time, kernel calls a step, time outside kernels (to stderr, and in the JSON)`;
const DEFAULTS = { config: 'paper', batch: '8', what: 'both', steps: '5', warmup: '2', workers: '1', engine: 'auto' };
/** the consistency-loss weight of the timed training step (> 0: the flipped forward and backward run) */
const BENCH_LAMBDA = 1;
const BENCH_LR = 1e-4;
const SEED = 1;
const MB = 2 ** 20;

type What = 'forward' | 'train';

export interface BenchResult {
  config: string;
  batch: number;
  backend: string;
  /** what ran the forward: TensorFlow.js on `backend`, or ONNX Runtime's CPU build */
  forward_engine: 'tfjs' | 'onnxruntime';
  /** what ran the training step */
  train_engine: 'tfjs' | 'onnxruntime' | null;
  /** ONNX Runtime's intra-op threads (null for tfjs) */
  threads: number | null;
  forward_ips: number | null;
  train_ips: number | null;
  peak_rss_mb: number;
  /** WebGPU: the GPU buffers allocated at the end, pooled or in use (tfjs's pool never frees, so its high-water mark) */
  gpu_allocated_mb?: number;
  /** WebGPU: the adapter that ran */
  adapter?: string;
  workers: number;
  /** median seconds of one step, wall clock and process CPU */
  forward_step_s: number | null;
  train_step_s: number | null;
  forward_cpu_s: number | null;
  train_cpu_s: number | null;
  /** the analytic cost (src/model/cost.ts) per image, and what the measured speed achieves of it */
  forward_gflop_per_image: number;
  /** why the training step was not timed (wasm heap), when it was not */
  train_skipped?: string;
  forward_mb_per_image: number;
  train_gflop_per_image: number;
  train_mb_per_image: number;
  forward_gflops: number | null;
  train_gflops: number | null;
  /** the machine's float32 peak (src/backend/peak.ts), and the share of it the timed steps reach */
  peak?: MachinePeak & { gflops: number; forward_share: number | null; train_share: number | null };
  /** --profile: the tfjs kernels of one step of each kind */
  profile?: Partial<Record<'forward' | 'train', KernelProfile>>;
  steps: number;
  warmup: number;
  machine: { cpu: string; cores: number; memory_gb: number; node: string };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One model, one fixed batch, and the step to time; everything made once, outside the timed steps. */
export class BenchRunner {
  private readonly model: Dgiqa;
  private readonly rgb: tf.Tensor4D;
  private readonly depth: tf.Tensor4D | undefined;
  private readonly labels: tf.Tensor1D;
  private optimizer: AdamW | undefined;
  private engine: StepEngine | undefined;
  /** 'onnx': training steps on ONNX Runtime (set before the first step) */
  trainEngine: 'tfjs' | 'onnx' = 'tfjs';
  trainThreads: number | undefined;
  private steps = 0;
  /** set by useOnnx(): the forward runs on ONNX Runtime with the same weights and inputs */
  private onnx: { engine: OnnxDgiqa; rgb: Float32Array; depth: Float32Array | undefined } | undefined;

  constructor(readonly config: DgiqaConfig, readonly batch: number) {
    this.model = new Dgiqa(config, SEED);
    const shape: [number, number, number, number] = [batch, config.imgSize, config.imgSize, 3];
    this.rgb = tf.randomNormal(shape, 0, 1, 'float32', SEED);
    this.depth = config.useDepth ? tf.randomNormal(shape, 0, 1, 'float32', SEED + 1) : undefined;
    this.labels = tf.randomUniform([batch], 0, 1, 'float32', SEED + 2);
  }

  /** Why this model cannot train on ONNX Runtime here (undefined: it can). */
  onnxTrainingProblem(): string | undefined {
    return onnxTrainingProblem(this.model);
  }

  async useOnnx(threads: number | undefined): Promise<number> {
    const engine = await OnnxDgiqa.fromModel(this.model, threads === undefined ? {} : { threads });
    this.onnx = { engine, rgb: this.rgb.dataSync() as Float32Array, depth: this.depth?.dataSync() as Float32Array | undefined };
    return engine.threads;
  }

  /** Runs one step to completion (scores or loss read back, as a caller would). */
  async step(what: What): Promise<void> {
    this.steps += 1;
    if (what === 'forward' && this.onnx) {
      await this.onnx.engine.scores(this.onnx.rgb, this.onnx.depth, this.batch);
      return;
    }
    if (what === 'forward') {
      const scores = this.model.predict(this.rgb, this.depth);
      await scores.data(); // asynchronous: the only read the WebGPU backend has in Node
      scores.dispose();
      return;
    }
    this.optimizer ??= new AdamW(this.model.store.trainableByName());
    this.engine ??= await createStepEngine(this.trainEngine, this.model, this.optimizer, this.trainThreads);
    await this.engine.step({ rgb: this.rgb, depth: this.depth, labels: this.labels }, { lr: BENCH_LR, lambda: BENCH_LAMBDA, rank: 0, seed: this.steps });
  }

  /** ONNX Runtime's threads for the training step, once it ran there */
  get trainOnnxThreads(): number | null {
    return this.engine?.threads ?? null;
  }

  async dispose(): Promise<void> {
    await this.onnx?.engine.dispose();
    await this.engine?.dispose();
    this.optimizer?.dispose();
    this.model.dispose();
    tf.dispose([this.rgb, this.labels, ...(this.depth ? [this.depth] : [])]);
  }
}

interface Timing {
  wall: number[];
  cpu: number[];
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

async function timeSteps(step: () => Promise<void>, warmup: number, steps: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await step();
  const t: Timing = { wall: [], cpu: [] };
  for (let i = 0; i < steps; i++) {
    const c0 = cpuSeconds();
    const t0 = performance.now();
    await step();
    t.wall.push((performance.now() - t0) / 1000);
    t.cpu.push(cpuSeconds() - c0);
  }
  return t;
}

// --- worker threads: data-parallel forward, the batch split across workers, one backend each ---

export interface BenchWorkerInit {
  kind: 'dgiqa-bench';
  config: DgiqaConfig;
  batch: number;
  backend: BackendName | undefined;
}

const WORKER_URL = new URL('./benchWorker.js', import.meta.url);

/** Workers that each hold a model and a share of the batch and run one forward per request. */
class WorkerPool {
  private constructor(private readonly workers: Worker[]) {}

  static async start(config: DgiqaConfig, shares: number[], backend: BackendName | undefined): Promise<WorkerPool> {
    const workers = shares.map((batch) => new Worker(WORKER_URL, { workerData: { kind: 'dgiqa-bench', config, batch, backend } satisfies BenchWorkerInit }));
    const pool = new WorkerPool(workers);
    await Promise.all(workers.map((w) => pool.reply(w, 'ready')));
    return pool;
  }

  private reply(w: Worker, expected: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: unknown): void => {
        cleanup();
        if (m === expected) resolve();
        else reject(new Error(`bench worker: ${String(m)}`));
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(err);
      };
      const cleanup = (): void => {
        w.off('message', onMessage);
        w.off('error', onError);
      };
      w.on('message', onMessage);
      w.on('error', onError);
    });
  }

  async forward(): Promise<void> {
    await Promise.all(this.workers.map((w) => {
      const done = this.reply(w, 'done');
      w.postMessage('forward');
      return done;
    }));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** The worker side (src/cli/benchWorker.ts runs it). */
export async function benchWorkerMain(init: BenchWorkerInit, port: { postMessage(m: unknown): void; on(e: 'message', f: (m: unknown) => void): void }): Promise<void> {
  try {
    await initBackend(init.backend);
    const runner = new BenchRunner(init.config, init.batch);
    port.on('message', (m) => {
      try {
        if (m === 'forward') void runner.step('forward').then(() => port.postMessage('done'), (err: unknown) => port.postMessage(err instanceof Error ? err.message : String(err)));
        else port.postMessage('done');
      } catch (err) {
        port.postMessage(err instanceof Error ? err.message : String(err));
      }
    });
    port.postMessage('ready');
  } catch (err) {
    port.postMessage(err instanceof Error ? err.message : String(err));
  }
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

export async function benchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', default: DEFAULTS.config },
      batch: { type: 'string', default: DEFAULTS.batch },
      what: { type: 'string', default: DEFAULTS.what },
      steps: { type: 'string', default: DEFAULTS.steps },
      warmup: { type: 'string', default: DEFAULTS.warmup },
      workers: { type: 'string', default: DEFAULTS.workers },
      engine: { type: 'string', default: DEFAULTS.engine },
      threads: { type: 'string' },
      backend: { type: 'string' },
      profile: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const batch = positiveInt(values.batch, '--batch');
  const steps = positiveInt(values.steps, '--steps');
  const warmup = Number(values.warmup);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup must be a non-negative integer, got "${values.warmup}"`);
  const workers = positiveInt(values.workers, '--workers');
  if (!['forward', 'train', 'both'].includes(values.what)) throw new Error(`--what must be forward, train or both, got "${values.what}"\n${USAGE}`);
  const whats: What[] = values.what === 'both' ? ['forward', 'train'] : [values.what as What];
  if (workers > 1 && whats.includes('train')) throw new Error('--workers > 1 times the forward pass only (--what forward): training steps run on one thread');
  if (workers > batch) throw new Error(`--workers ${workers} is more than the batch (${batch} images)`);
  if (values.engine !== 'auto' && values.engine !== 'tfjs' && values.engine !== 'onnx') throw new Error(`--engine must be auto, tfjs or onnx, got "${values.engine}"`);
  if (values.engine === 'onnx' && workers > 1) throw new Error('--workers splits a tfjs forward; ONNX Runtime uses threads: give --threads N instead');
  if (values.profile && (values.engine === 'onnx' || workers > 1)) throw new Error('--profile times TensorFlow.js kernels: use it with --engine tfjs and one worker');
  const threads = values.threads === undefined ? undefined : positiveInt(values.threads, '--threads');
  let onnxThreads: number | null = null;

  const backend = await initBackend(values.backend as BackendName | undefined);
  process.stderr.write(backend.message + '\n');
  // auto times what the kit runs by default (scoring and trainings on ONNX Runtime on the CPU)
  let onnx = values.engine === 'onnx'
    || (values.engine === 'auto' && workers === 1 && !values.profile && (await chooseEngine('auto', (l) => process.stderr.write(l + '\n'))) === 'onnx');
  const config = await readConfig(values.config);
  const cost = modelCost(config, batch);
  const out: Partial<Record<What, Timing>> = {};
  const profiles: Partial<Record<What, KernelProfile>> = {};
  const trainSkipped = whats.includes('train') ? trainingMemoryProblem(backend.name, cost.params, values.config) : undefined;
  if (trainSkipped) {
    if (values.what === 'train') throw new Error(trainSkipped);
    process.stderr.write(`train: skipped: ${trainSkipped}\n`);
    whats.splice(whats.indexOf('train'), 1);
  }

  const engineChosen = (why?: string): void => {
    if (!onnx && threads !== undefined) throw new Error('--threads is for --engine onnx (tfjs on wasm runs one thread per worker: see --workers)');
    process.stderr.write(`engine: ${onnx ? 'ONNX Runtime' : 'TensorFlow.js'}${values.engine === 'auto' ? ` (--engine auto${why ? `: ${why}` : ''})` : ''}\n`);
  };
  if (workers === 1) {
    const runner = new BenchRunner(config, batch);
    try {
      // auto follows the trainings' own choice: a model that draws dropout masks trains on tfjs
      const problem = values.engine === 'auto' && onnx && whats.includes('train') ? runner.onnxTrainingProblem() : undefined;
      if (problem) onnx = false;
      engineChosen(problem);
      if (onnx && whats.includes('forward')) onnxThreads = await runner.useOnnx(threads);
      if (onnx) {
        runner.trainEngine = 'onnx';
        runner.trainThreads = threads;
      }
      for (const what of whats) {
        process.stderr.write(`${what}: ${warmup} warm-up + ${steps} timed steps, batch ${batch}${onnx && what === 'train' ? ' (the first warm-up traces and compiles the step)' : ''}\n`);
        out[what] = await timeSteps(() => runner.step(what), warmup, steps);
        if (values.profile) {
          const p = await profileKernels(() => runner.step(what));
          profiles[what] = p;
          process.stderr.write(`${what}, one step, tfjs kernels on ${backend.name}:\n${formatProfile(p)}\n`);
        }
      }
      if (onnx && out.train) onnxThreads = runner.trainOnnxThreads;
    } finally {
      await runner.dispose();
    }
  } else {
    engineChosen();
    // the batch split as evenly as it goes; a step ends when the slowest worker is done
    const shares = Array.from({ length: workers }, (_, i) => Math.floor(batch / workers) + (i < batch % workers ? 1 : 0));
    const pool = await WorkerPool.start(config, shares, backend.name);
    try {
      process.stderr.write(`forward: ${warmup} warm-up + ${steps} timed steps, batch ${batch} over ${workers} workers (${shares.join(' + ')})\n`);
      out.forward = await timeSteps(() => pool.forward(), warmup, steps);
    } finally {
      await pool.close();
    }
  }

  const ips = (t: Timing | undefined): number | null => (t ? round(batch / median(t.wall), 3) : null);
  const stepS = (xs: number[] | undefined): number | null => (xs ? round(median(xs), 3) : null);
  const gflops = (t: Timing | undefined, flops: number): number | null => (t ? round((batch * flops) / median(t.wall) / 1e9, 2) : null);
  const machine = machinePeak();
  // the peak of what the engine can use: every core's widest vectors on ONNX Runtime, one core's
  // 128-bit SIMD a worker on wasm, the widest vectors of one core for tfjs's cpu backend (plain JS)
  const peakGflops = machine === undefined ? undefined
    : onnx ? machine.coreGflops * (onnxThreads ?? machine.cores)
    : backend.name === 'wasm' ? machine.simd128CoreGflops * workers
    : machine.coreGflops;
  const share = (x: number | null): number | null => (x === null || peakGflops === undefined ? null : round(x / peakGflops, 3));
  const forwardGflops = gflops(out.forward, cost.forward.flops);
  const trainGflops = gflops(out.train, cost.train.flops);
  const result: BenchResult = {
    config: values.config,
    batch,
    backend: onnx ? 'onnxruntime-cpu' : backend.name,
    forward_engine: onnx && out.forward ? 'onnxruntime' : 'tfjs',
    train_engine: out.train ? (onnx ? 'onnxruntime' : 'tfjs') : null,
    threads: onnxThreads,
    forward_ips: ips(out.forward),
    train_ips: ips(out.train),
    peak_rss_mb: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
    ...(backend.name === 'webgpu' && !onnx ? { gpu_allocated_mb: Math.round(((tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU ?? 0) / MB) } : {}),
    ...(backend.adapter ? { adapter: backend.adapter.name } : {}),
    workers,
    forward_step_s: stepS(out.forward?.wall),
    train_step_s: stepS(out.train?.wall),
    forward_cpu_s: stepS(out.forward?.cpu),
    train_cpu_s: stepS(out.train?.cpu),
    forward_gflop_per_image: round(cost.forward.flops / 1e9, 3),
    forward_mb_per_image: round(cost.forward.bytes / MB, 1),
    train_gflop_per_image: round(cost.train.flops / 1e9, 3),
    train_mb_per_image: round(cost.train.bytes / MB, 1),
    forward_gflops: forwardGflops,
    train_gflops: trainGflops,
    ...(machine && peakGflops !== undefined ? { peak: { ...machine, gflops: round(peakGflops, 1), forward_share: share(forwardGflops), train_share: share(trainGflops) } } : {}),
    ...(values.profile ? { profile: profiles } : {}),
    ...(trainSkipped ? { train_skipped: trainSkipped } : {}),
    steps,
    warmup,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version },
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  return 0;
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
