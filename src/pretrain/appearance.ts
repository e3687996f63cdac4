// The appearance pretext: the backbone sees a pretraining scene, clean or with a random distortion
// of the kit's table at a random strength, and predicts, per stage-3 cell, simple statistics of what
// it sees and of the clean scene behind it:
//
//   per cell, for the input crop and for the clean crop alike (luma Y in 0..1, G_s a Gaussian blur):
//     fine   = log mean (Y - G_1 Y)^2          high-frequency energy: noise up, blur down
//     mid    = log mean (G_1 Y - G_3 Y)^2      mid-band energy: blocks, rings, pixelation, defocus
//     light  = mean Y                          exposure: low light, over-exposure, haze
//     spread = log std Y                       contrast: contrast loss, haze, flare
//     chroma = mean |RGB - Y|                  colourfulness: desaturation, haze, flare
//
// Why this task: a quality model must see both what the image shows and what it would show
// undistorted; predicting the two sets of statistics makes the features carry both, with no quality
// label and no distortion level as a target (levels only set how strong the input's distortion is,
// drawn from a continuous range between the table's mildest and strongest values). The depth target
// of the depth pretext stays as channel 0, so the backbone keeps its geometry. The `change` task
// (src/pretrain/scenes.ts, makeBatch) adds, per cell, each statistic of the input minus the clean
// crop's as five more targets: implied by the ten, but standardised on their own they weigh as much,
// so the features carry how far an image moved from its clean version, whatever the scene.
// The `structure` task adds two statistics of local structure to each set (STRUCTURE_STATS):
//     flat       = share of pixels whose right and lower neighbours hold the same bytes (to 1 level):
//                  pixelation, JPEG blocks, quantization
//     anisotropy = |(log Ex/Ey, log Ed1/Ed2)|, the luma gradient energies across and along the axes
//                  and diagonals: a directional blur (motion) at any angle
// Why: the five statistics above barely move under those distortions (a 10 px pixelation keeps its
// cell's band energy in the block edges), and the change-pretrained demo models scored pixelation,
// JPEG and motion blur nearly flat even at their strongest levels (data/pretrained/README.md).
import { distortionsOf, DISTORTIONS, type Distortion, type RgbImage, type SynthFamily } from '../data/synth/index.js';
import { convolveSeparable, gaussianKernel } from '../data/synth/image.js';
import { Rng, deriveSeed } from '../util/rng.js';

/** Statistics per cell and image, in the order of the header comment. */
export const APPEARANCE_STATS: readonly string[] = ['fine', 'mid', 'light', 'spread', 'chroma'];
/** The `structure` task's two more statistics per cell and image, after APPEARANCE_STATS. */
export const STRUCTURE_STATS: readonly string[] = ['flat', 'anisotropy'];

/** Statistics per cell in one set (input, clean or change). */
export function statsPerSet(structure: boolean): number {
  return APPEARANCE_STATS.length + (structure ? STRUCTURE_STATS.length : 0);
}

/** Share of inputs left clean (the quality model meets pristine images too). */
export const CLEAN_SHARE = 1 / 8;

const G1 = gaussianKernel(1);
const G3 = gaussianKernel(3);
/** floors inside the logs: below 8-bit rounding noise, so a flat cell does not become -infinity */
const ENERGY_FLOOR = 1e-6;
const SPREAD_FLOOR = 1e-3;

/** What was applied to a scene's input: a distortion of the table and its strength, or none. */
export interface AppliedDistortion {
  name: string | null;
  /** position on the table's levels, 0 (level 1) .. 4 (level 5), continuous */
  position: number;
  value: number;
}

/** The strength at a continuous position between the table's levels (integers where the parameter is one). */
export function strengthAt(d: Distortion, position: number): number {
  const lo = Math.floor(position);
  const hi = Math.min(d.values.length - 1, lo + 1);
  const t = position - lo;
  const v = (d.values[lo] as number) * (1 - t) + (d.values[hi] as number) * t;
  return ['jpeg', 'pixelate', 'quantization'].includes(d.name) ? Math.round(v) : v;
}

/**
 * The distortion a scene's input gets in one draw: from (seed, stream, scene) alone, so a resumed
 * run draws the same. Every type of both families, whatever the scene's family: the pretraining
 * prepares the backbone for distortions in general, as ImageNet prepares it for content.
 */
export function drawDistortion(seed: number, stream: number | string, scene: number): AppliedDistortion {
  const rng = new Rng(deriveSeed(seed, 'pretrain-distortion', stream, scene));
  if (rng.next() < CLEAN_SHARE) return { name: null, position: 0, value: 0 };
  const d = DISTORTIONS[rng.int(DISTORTIONS.length)] as Distortion;
  const position = rng.next() * (d.values.length - 1);
  return { name: d.name, position, value: strengthAt(d, position) };
}

/** The 8-bit input a scene shows under `applied` (the clean bytes when none). */
export async function distortScene(
  scene: { family: SynthFamily; seed: number; size: number; rgb: Uint8Array; logDepth: Float32Array },
  applied: AppliedDistortion,
  stream: number | string,
): Promise<Uint8Array> {
  if (applied.name === null) return scene.rgb;
  const d = DISTORTIONS.find((x) => x.name === applied.name);
  if (!d) throw new Error(`pretrain: unknown distortion "${applied.name}" (known: ${distortionsOf('A').concat(distortionsOf('B')).map((x) => x.name).join(', ')})`);
  const clean: RgbImage = { width: scene.size, height: scene.size, data: Float32Array.from(scene.rgb, (v) => v / 255) };
  const input = { clean, depth: Float32Array.from(scene.logDepth, Math.exp), family: scene.family, seed: deriveSeed(scene.seed, 'pretrain-noise', stream) };
  const out = await d.apply(input, applied.value, d.prepare?.(input));
  const bytes = new Uint8Array(out.data.length);
  for (let k = 0; k < bytes.length; k++) {
    const v = Math.round((out.data[k] as number) * 255);
    bytes[k] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return bytes;
}

/**
 * The statistics of one crop (interleaved 8-bit RGB, side `size`), per cell of a grid x grid:
 * writes grid * grid * statsPerSet(structure) values to `out` at `offset`, cell-major, with `stride`
 * values between cells (so the caller can interleave other channels).
 */
export function cellStats(rgb: Uint8Array, size: number, grid: number, out: Float32Array, offset: number, stride: number, structure = false): void {
  const n = size * size;
  const y = new Float32Array(n);
  const chroma = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = (rgb[3 * i] as number) / 255, g = (rgb[3 * i + 1] as number) / 255, b = (rgb[3 * i + 2] as number) / 255;
    const l = 0.299 * r + 0.587 * g + 0.114 * b;
    y[i] = l;
    chroma[i] = (Math.abs(r - l) + Math.abs(g - l) + Math.abs(b - l)) / 3;
  }
  const g1 = convolveSeparable(y, size, size, 1, G1);
  const g3 = convolveSeparable(g1, size, size, 1, G3);
  const cell = size / grid;
  const per = cell * cell;
  for (let cy = 0; cy < grid; cy++) {
    for (let cx = 0; cx < grid; cx++) {
      let fine = 0, mid = 0, sum = 0, sq = 0, col = 0;
      for (let r = cy * cell; r < (cy + 1) * cell; r++) {
        for (let c = cx * cell; c < (cx + 1) * cell; c++) {
          const i = r * size + c;
          const v = y[i] as number, a = g1[i] as number;
          fine += (v - a) ** 2;
          mid += (a - (g3[i] as number)) ** 2;
          sum += v;
          sq += v * v;
          col += chroma[i] as number;
        }
      }
      const mean = sum / per;
      const o = offset + (cy * grid + cx) * stride;
      out[o] = Math.log(fine / per + ENERGY_FLOOR);
      out[o + 1] = Math.log(mid / per + ENERGY_FLOOR);
      out[o + 2] = mean;
      out[o + 3] = Math.log(Math.sqrt(Math.max(0, sq / per - mean * mean)) + SPREAD_FLOOR);
      out[o + 4] = col / per;
      if (structure) {
        out[o + 5] = flatShare(rgb, size, cx * cell, cy * cell, cell);
        out[o + 6] = anisotropy(y, size, cx * cell, cy * cell, cell);
      }
    }
  }
}

/** Share of a cell's pixels whose right and lower neighbours (where inside the crop) differ by at most 1 in every byte. */
function flatShare(rgb: Uint8Array, size: number, x0: number, y0: number, cell: number): number {
  const same = (a: number, b: number): boolean =>
    Math.abs((rgb[a] as number) - (rgb[b] as number)) <= 1 && Math.abs((rgb[a + 1] as number) - (rgb[b + 1] as number)) <= 1 && Math.abs((rgb[a + 2] as number) - (rgb[b + 2] as number)) <= 1;
  let flat = 0;
  for (let r = y0; r < y0 + cell; r++) {
    for (let c = x0; c < x0 + cell; c++) {
      const i = 3 * (r * size + c);
      if ((c + 1 >= size || same(i, i + 3)) && (r + 1 >= size || same(i, i + 3 * size))) flat++;
    }
  }
  return flat / (cell * cell);
}

/** Length of (log Ex/Ey, log Ed1/Ed2) over a cell's luma: 0 for isotropic structure, large for a directional blur. */
function anisotropy(y: Float32Array, size: number, x0: number, y0: number, cell: number): number {
  let ex = 0, ey = 0, d1 = 0, d2 = 0;
  // differences inside the crop only: the last column/row of the crop has no right/lower neighbour
  for (let r = y0; r < Math.min(y0 + cell, size - 1); r++) {
    for (let c = x0; c < Math.min(x0 + cell, size - 1); c++) {
      const i = r * size + c;
      const v = y[i] as number;
      ex += ((y[i + 1] as number) - v) ** 2;
      ey += ((y[i + size] as number) - v) ** 2;
      d1 += ((y[i + size + 1] as number) - v) ** 2;
      if (c > 0) d2 += ((y[i + size - 1] as number) - v) ** 2;
    }
  }
  const per = cell * cell;
  const a = Math.log((ex / per + ENERGY_FLOOR) / (ey / per + ENERGY_FLOOR));
  const b = Math.log((d1 / per + ENERGY_FLOOR) / (d2 / per + ENERGY_FLOOR));
  return Math.hypot(a, b);
}
