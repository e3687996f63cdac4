// The pretext data: clean renders of the synthetic scene families with their exact depth, on seeds
// disjoint from the benchmark's, cut into random crops whose target is the depth on the backbone's
// stage-3 grid (per cell the mean of log depth, standardised per crop: monocular depth has no scale).
// Host-side only (typed arrays, no tensors): the loop turns batches into tensors.
import { normalizeValue } from '../data/pipeline/index.js';
import { makeScene, renderScene, type SynthFamily } from '../data/synth/index.js';
import { Rng, deriveSeed } from '../util/rng.js';
import { cellStats, statsPerSet } from './appearance.js';

/** One rendered scene as the benchmark would store it: 8-bit RGB, plus log of the z-depth in metres. */
export interface PretrainScene {
  family: SynthFamily;
  /** index within its family */
  index: number;
  seed: number;
  size: number;
  /** interleaved RGB, 0..255, rounded as the benchmark's PNGs are */
  rgb: Uint8Array;
  /** natural log of the depth, one value per pixel */
  logDepth: Float32Array;
}

/** A training or evaluation window: top-left corner in the scene, and a horizontal flip. */
export interface Crop {
  scene: number;
  x: number;
  y: number;
  flip: boolean;
}

/** A batch on the host: normalised NHWC RGB and the standardised cell targets, [count, grid * grid, channels]. */
export interface PretrainBatch {
  count: number;
  cropSize: number;
  grid: number;
  /** target channels per cell (1: depth alone) */
  channels: number;
  rgb: Float32Array;
  target: Float32Array;
}

/**
 * Smallest per-crop spread of log depth divided by when standardising (1 % in depth): a crop of one
 * flat wall would otherwise turn rounding noise into unit-variance targets.
 */
const STD_FLOOR = 0.01;

/** Scene i of the pretraining set: families alternate (A, B, A, ...), so any prefix mixes both. */
export function sceneSlot(i: number): { family: SynthFamily; index: number } {
  return { family: i % 2 === 0 ? 'A' : 'B', index: Math.floor(i / 2) };
}

/**
 * The seed of a pretraining scene. The benchmark's scenes use deriveSeed(2505, family, 'scene', i)
 * (src/data/synth/sceneWork.ts); the label 'pretrain' first makes a different stream for every base seed,
 * the benchmark's included, so the two sets share no scene (test/pretrain.test.ts compares renders).
 */
export function pretrainSceneSeed(seed: number, family: SynthFamily, index: number): number {
  return deriveSeed(seed, 'pretrain', family, index);
}

/** Renders one pretraining scene at `size` x `size`. */
export function renderPretrainScene(seed: number, i: number, size: number): PretrainScene {
  const { family, index } = sceneSlot(i);
  const sceneSeed = pretrainSceneSeed(seed, family, index);
  const { image, depth } = renderScene(makeScene(family, sceneSeed), size, size);
  const rgb = new Uint8Array(image.data.length);
  for (let k = 0; k < rgb.length; k++) {
    const v = Math.round((image.data[k] as number) * 255);
    rgb[k] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  const logDepth = new Float32Array(depth.length);
  for (let k = 0; k < depth.length; k++) logDepth[k] = Math.log(depth[k] as number);
  return { family, index, seed: sceneSeed, size, rgb, logDepth };
}

/** Renders scenes 0..count-1; `onScene` hears of each one done (the renders take about 0.2 s each). */
export function renderPretrainScenes(seed: number, count: number, size: number, onScene?: (done: number) => void): PretrainScene[] {
  const scenes: PretrainScene[] = [];
  for (let i = 0; i < count; i++) {
    scenes.push(renderPretrainScene(seed, i, size));
    onScene?.(i + 1);
  }
  return scenes;
}

/**
 * An epoch's training crops: the scenes in a shuffled order, each with a uniform window and a
 * fair-coin flip, all from (seed, epoch) alone, so a resumed run draws what the first one would have.
 */
export function epochCrops(sceneIds: readonly number[], size: number, cropSize: number, seed: number, epoch: number): Crop[] {
  const rng = new Rng(deriveSeed(seed, 'pretrain-crops', epoch));
  const order = rng.shuffle([...sceneIds]);
  return order.map((scene) => ({ scene, x: rng.int(size - cropSize + 1), y: rng.int(size - cropSize + 1), flip: rng.next() < 0.5 }));
}

/** Held-out windows: the centre of each scene, unflipped (the same every epoch). */
export function centreCrops(sceneIds: readonly number[], size: number, cropSize: number): Crop[] {
  const at = Math.floor((size - cropSize) / 2);
  return sceneIds.map((scene) => ({ scene, x: at, y: at, flip: false }));
}

/** Per-channel standardisation of the appearance targets (from the first epoch's training crops). */
export interface ChannelScale {
  mean: number[];
  std: number[];
}

/** What a batch's targets are: the depth channel alone, or depth and the appearance statistics. */
export interface BatchTask {
  appearance: boolean;
  /** also each statistic's change, input minus clean (the `change` task; needs appearance) */
  changes?: boolean;
  /** also the two structure statistics in each set (the `structure` task; needs appearance) */
  structure?: boolean;
  /** per crop, the scene-sized 8-bit input shown to the backbone (a distorted render); absent: the clean render */
  inputs?: readonly Uint8Array[];
  /** standardisation of channels 1.. (absent: raw statistics, to estimate it) */
  scale?: ChannelScale;
}

/** Target channels per cell: log depth, then the input's and the clean crop's statistics (and their changes). */
export function targetChannels(appearance: boolean, changes = false, structure = false): number {
  return appearance ? 1 + (changes ? 3 : 2) * statsPerSet(structure) : 1;
}

/**
 * Cuts, flips and normalises the crops (ImageNet mean and std on the 8-bit values, the data pipeline's
 * normalizeValue, so the features meet the inputs the quality model will give them) and computes
 * their targets on a grid x grid of cells: [count, grid * grid, channels], channel 0 the depth.
 */
export function makeBatch(scenes: readonly PretrainScene[], crops: readonly Crop[], cropSize: number, grid: number, task: BatchTask = { appearance: false }): PretrainBatch {
  if (cropSize % grid !== 0) throw new Error(`pretrain: crop ${cropSize} px does not split into ${grid}x${grid} cells`);
  if (task.inputs && task.inputs.length !== crops.length) throw new Error(`pretrain: ${task.inputs.length} inputs for ${crops.length} crops`);
  const count = crops.length;
  const structure = task.structure === true;
  const k = targetChannels(task.appearance, task.changes === true, structure);
  const n = statsPerSet(structure);
  const cells = grid * grid;
  const rgb = new Float32Array(count * cropSize * cropSize * 3);
  const target = new Float32Array(count * cells * k);
  const cell = cropSize / grid;
  const sums = new Float64Array(cells);
  const depth = new Float32Array(cells);
  const shown = new Uint8Array(cropSize * cropSize * 3);
  const clean = new Uint8Array(cropSize * cropSize * 3);
  crops.forEach((crop, b) => {
    const s = scenes[crop.scene];
    if (!s) throw new Error(`pretrain: crop of scene ${crop.scene}, which was not rendered`);
    if (crop.x < 0 || crop.y < 0 || crop.x + cropSize > s.size || crop.y + cropSize > s.size) throw new Error(`pretrain: crop at (${crop.x}, ${crop.y}) leaves the ${s.size} px scene ${crop.scene}`);
    const input = task.inputs?.[b] ?? s.rgb;
    if (input.length !== s.rgb.length) throw new Error(`pretrain: input of crop ${b} has ${input.length} values, scene ${crop.scene} has ${s.rgb.length}`);
    sums.fill(0);
    for (let r = 0; r < cropSize; r++) {
      const row = (crop.y + r) * s.size;
      for (let c = 0; c < cropSize; c++) {
        // the flip mirrors image and depth alike: output column c reads source column cropSize-1-c
        const src = row + crop.x + (crop.flip ? cropSize - 1 - c : c);
        const p = (r * cropSize + c) * 3;
        const o = b * cropSize * cropSize * 3 + p;
        for (let ch = 0; ch < 3; ch++) {
          const v = input[src * 3 + ch] as number;
          rgb[o + ch] = normalizeValue(v, ch as 0 | 1 | 2);
          shown[p + ch] = v;
          clean[p + ch] = s.rgb[src * 3 + ch] as number;
        }
        sums[Math.floor(r / cell) * grid + Math.floor(c / cell)] += s.logDepth[src] as number;
      }
    }
    standardise(sums, cell * cell, depth);
    const base = b * cells * k;
    for (let q = 0; q < cells; q++) target[base + q * k] = depth[q] as number;
    if (task.appearance) {
      cellStats(shown, cropSize, grid, target, base + 1, k, structure);
      cellStats(clean, cropSize, grid, target, base + 1 + n, k, structure);
      if (task.changes) {
        // how far the input's statistics moved from the clean crop's, a target of its own: as channels
        // 1-10 they are implied, but standardised on their own they weigh as much as the statistics
        for (let q = 0; q < cells; q++) {
          const o = base + q * k + 1;
          for (let s2 = 0; s2 < n; s2++) target[o + 2 * n + s2] = (target[o + s2] as number) - (target[o + n + s2] as number);
        }
      }
      if (task.scale) {
        for (let q = 0; q < cells; q++) {
          for (let ch = 1; ch < k; ch++) {
            const i = base + q * k + ch;
            target[i] = ((target[i] as number) - (task.scale.mean[ch - 1] as number)) / (task.scale.std[ch - 1] as number);
          }
        }
      }
    }
  });
  return { count, cropSize, grid, channels: k, rgb, target };
}

/** Mean and standard deviation of every appearance channel over raw batches (floored at 1e-6). */
export function channelScale(batches: readonly PretrainBatch[]): ChannelScale {
  const first = batches[0];
  if (!first || first.channels < 2) throw new Error('pretrain: no appearance batch to estimate the channel scale from');
  const k = first.channels;
  const sum = new Float64Array(k - 1);
  const sq = new Float64Array(k - 1);
  let n = 0;
  for (const batch of batches) {
    for (let i = 0; i < batch.target.length; i += k) {
      for (let ch = 1; ch < k; ch++) {
        const v = batch.target[i + ch] as number;
        sum[ch - 1] += v;
        sq[ch - 1] += v * v;
      }
      n++;
    }
  }
  const mean = Array.from(sum, (v) => v / n);
  const std = Array.from(sq, (v, i) => Math.max(1e-6, Math.sqrt(Math.max(0, v / n - (mean[i] as number) ** 2))));
  return { mean, std };
}

/** Cell means from cell sums, then minus their mean, over their standard deviation (floored). */
function standardise(sums: Float64Array, perCell: number, out: Float32Array): void {
  const n = sums.length;
  let mean = 0;
  for (let k = 0; k < n; k++) mean += (sums[k] as number) / perCell;
  mean /= n;
  let variance = 0;
  for (let k = 0; k < n; k++) variance += ((sums[k] as number) / perCell - mean) ** 2;
  const std = Math.max(STD_FLOOR, Math.sqrt(variance / n));
  for (let k = 0; k < n; k++) out[k] = ((sums[k] as number) / perCell - mean) / std;
}

/** Pearson correlation of two equally long vectors; 0 when either is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - ma;
    const db = (b[i] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}
