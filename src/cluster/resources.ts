// What one plan entry asks a cluster for: GPUs, CPUs, memory and wall time, from the cost model's
// FLOPs (src/model/cost.ts, as `dgiqa plan` counts them) and an assumed sustained throughput. The kit
// has never trained on a GPU, so the throughput below is an assumption, not a measurement: every
// request is padded, and each one can be overridden from the command line.
import type { PlanEntry, Profile } from '../experiments/index.js';
import { datasetImages, runModelConfig, VARIANTS } from '../experiments/index.js';
import { configFrom, modelCost } from '../model/index.js';

export const RESOURCE_DEFAULTS = Object.freeze({
  /**
   * sustained training and scoring throughput of one GPU, TFLOP/s: about a third of an A100's or
   * H100's FP32 peak, what libtensorflow's unfused kernels plausibly reach (assumed, not measured)
   */
  gpuTflops: 20,
  /**
   * the same on one CPU core (wasm backend): `dgiqa train --profile smoke` (119 GFLOP of training by
   * the cost model, then its scoring) took 29 s on a 2-core development machine, start-up included,
   * about 4 GFLOP/s; a little less is assumed
   */
  cpuTflops: 0.003,
  /** requests are the estimate times this, plus the fixed start-up below */
  timeFactor: 2,
  /** minutes for starting Node, opening the datasets and writing checkpoints */
  startMinutes: 10,
  /** a request is never below this many minutes, nor above this many hours (clusters cap jobs) */
  minMinutes: 15,
  maxHours: 72,
  /** CPU cores per task: the decode pool's workers and the main thread */
  gpuCpus: 8,
  cpuCpus: 1,
  /** host memory: the paper model on a GPU (weights, AdamW, the prefetch queue); a CPU training (parallel.ts keeps 3 GiB each) */
  gpuMemGb: 32,
  cpuMemGb: 4,
});

export interface ResourceOptions {
  /** replaces RESOURCE_DEFAULTS.gpuTflops / cpuTflops */
  gpuTflops?: number;
  cpuTflops?: number;
}

export interface Resources {
  /** GPUs per task (0 on the CPU profiles) */
  gpus: number;
  cpus: number;
  memGb: number;
  /** wall-time request in minutes */
  minutes: number;
  /** the estimate the request was made from: training and scoring GFLOP, hours on one device */
  gflop: number;
  hours: number;
}

/** The paper profile trains on a GPU; smoke and demo are sized for a CPU. */
export const usesGpu = (profile: Profile): boolean => profile.synth === null;

/** Forward GFLOP of scoring `images` images with `crops` crops each (null: count unknown). */
function scoringGflop(images: number | null, crops: number, forwardFlops: number): number {
  return images === null ? 0 : (images * crops * forwardFlops) / 1e9;
}

/**
 * The model config of an entry: its variant's overrides (VARIANTS' names), DGIQA-FR and the rest the
 * full model. NIQE's entries too are costed as the full model's scoring: NIQE is a CPU metric with no
 * FLOP count in the cost model, and a request is better too long than too short.
 */
function entryModel(profile: Profile, e: PlanEntry): Record<string, unknown> {
  return runModelConfig(profile, VARIANTS.find((v) => v.name === e.model)?.model ?? {});
}

/** The request of one entry: its training (with the per-epoch validation) or its scoring, padded. */
export function entryResources(profile: Profile, e: PlanEntry, options: ResourceOptions = {}): Resources {
  const gpu = usesGpu(profile);
  const tflops = gpu ? options.gpuTflops ?? RESOURCE_DEFAULTS.gpuTflops : options.cpuTflops ?? RESOURCE_DEFAULTS.cpuTflops;
  const forward = modelCost(configFrom(entryModel(profile, e))).forward.flops * (e.model === 'DGIQA-FR' ? 2 : 1);
  const testImages = e.test.reduce<number | null>((s, id) => {
    const n = datasetImages(profile, id);
    return s === null || n === null ? null : s + n;
  }, 0);
  let gflop: number;
  if (e.kind === 'train') {
    // a validation part of about a tenth of the training images, scored after every epoch
    const val = e.selection === 'validation' && e.trainImages !== null ? scoringGflop(Math.ceil(e.trainImages / 8), profile.valCrops, forward) * (e.epochs ?? 0) : 0;
    // the test: the whole test set where the run trains on all of it but validation, else a fifth
    const tested = e.split === 'all' ? testImages : testImages === null ? null : Math.ceil(testImages / 5);
    gflop = (e.trainGflop ?? 0) + val + scoringGflop(tested, profile.evalCrops, forward);
  } else {
    // a Fig. 6 entry scores with its own crop count (its id ends in crops-N: plan.ts)
    const sweep = e.experiment === 'fig6' ? Number(/crops-(\d+)$/.exec(e.id)?.[1]) : NaN;
    const crops = Number.isInteger(sweep) ? sweep : e.experiment === 'table5' ? profile.ablationCrossCrops : profile.evalCrops;
    gflop = scoringGflop(testImages, crops, forward);
  }
  const hours = gflop / (tflops * 1e3) / 3600;
  const padded = Math.ceil(hours * 60 * RESOURCE_DEFAULTS.timeFactor + RESOURCE_DEFAULTS.startMinutes);
  const minutes = Math.min(RESOURCE_DEFAULTS.maxHours * 60, Math.max(RESOURCE_DEFAULTS.minMinutes, padded));
  return {
    gpus: gpu ? 1 : 0,
    cpus: gpu ? RESOURCE_DEFAULTS.gpuCpus : RESOURCE_DEFAULTS.cpuCpus,
    memGb: gpu ? RESOURCE_DEFAULTS.gpuMemGb : RESOURCE_DEFAULTS.cpuMemGb,
    minutes,
    gflop,
    hours,
  };
}

/** Slurm's `--time` format, D-HH:MM:SS. */
export function slurmTime(minutes: number): string {
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${d > 0 ? `${d}-` : ''}${two(h)}:${two(m)}:00`;
}
