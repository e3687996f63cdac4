// Notebook 09's pieces: Grad-CAM panels of the full model and of the model without depth input
// (Figs. 5 and 15; t-SNE is experiments.runTsnePanels). Results are saved, so the figures redraw
// without the models.
import { applySplit } from '../data/splits.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../data/pipeline/index.js';
import { gradCamFor, referenceModel } from '../experiments/analysis.js';
import { openBenchmark } from '../experiments/datasets.js';
import type { BenchItem } from '../experiments/datasets.js';
import type { Profile } from '../experiments/profiles.js';
import { splitsFor } from '../experiments/protocol.js';
import { readResult, resultPath, writeResult } from '../experiments/results.js';
import { heatmapOverlayFigure, pngBase64 } from '../plots/index.js';
import type { Figure, OverlayPanel } from '../plots/index.js';

/**
 * The model the Grad-CAM figures compare against: without depth input (and so without Depth-CAR), as
 * in the paper's Figs. 5 and 15; the ablation study trains it as its RGB-only variant.
 */
export const WITHOUT_DEPTH_VARIANT = { useDepth: false, depthCar: false } as const;

/** An ImageNet-normalised NHWC crop back to 8-bit RGB, as a base64 PNG. */
export function cropPng(crop: Float32Array, size: number): string {
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < data.length; i++) {
    const c = i % 3;
    data[i] = Math.max(0, Math.min(255, Math.round(255 * (crop[i]! * IMAGENET_STD[c]! + IMAGENET_MEAN[c]!))));
  }
  return pngBase64({ width: size, height: size, channels: 3, data });
}

/** Average-pools a heat map to at most `max` x `max` cells (the maps are upsampled 4x4 or 7x7 grids). */
export function shrinkHeat(heat: number[][], max = 28): number[][] {
  const h = heat.length;
  const w = heat[0]?.length ?? 0;
  const fy = Math.ceil(h / max);
  const fx = Math.ceil(w / max);
  if (fy <= 1 && fx <= 1) return heat;
  const out: number[][] = [];
  for (let y = 0; y < h; y += fy) {
    const row: number[] = [];
    for (let x = 0; x < w; x += fx) {
      let s = 0;
      let n = 0;
      for (let yy = y; yy < Math.min(h, y + fy); yy++) for (let xx = x; xx < Math.min(w, x + fx); xx++) { s += heat[yy]![xx]!; n++; }
      row.push(s / n);
    }
    out.push(row);
  }
  return out;
}

export interface GradCamPanel {
  figure: 'fig05' | 'fig15';
  image: string;
  distortion: string;
  level: number | null;
  mos: number;
  /** the evaluation crop the maps were computed on */
  pngBase64: string;
  heatFull: number[][];
  heatWithoutDepth: number[][];
}

async function ablationTest(profile: Profile): Promise<BenchItem[]> {
  const a = await openBenchmark(profile.ablation.train, profile);
  return applySplit(a.items, (await splitsFor(profile, a, 1))[0]!).test;
}

/** `count` test images, mid-level first, spread over scenes and distortion types as far as the set allows. */
export function pickVaried<T extends { relImage: string; refId?: string; distortion?: string; level?: number }>(items: T[], count: number): T[] {
  const sorted = [...items].sort((a, b) => Math.abs((a.level ?? 3) - 3) - Math.abs((b.level ?? 3) - 3) || a.relImage.localeCompare(b.relImage));
  const out: T[] = [];
  // pass 0: a new scene and a new distortion; pass 1: a new distortion; pass 2: whatever image is left
  for (const pass of [0, 1, 2]) {
    for (const it of sorted) {
      if (out.length >= count) break;
      if (out.includes(it)) continue;
      const newType = !out.some((o) => o.distortion === it.distortion);
      const newScene = !out.some((o) => o.refId === it.refId);
      if ((pass === 0 && newType && newScene) || (pass === 1 && newType) || pass === 2) out.push(it);
    }
  }
  return out;
}

/** Where the Grad-CAM panels are saved (a file of its own: summary.json of an older kit compared with the model without Depth-CAR). */
export function gradCamFile(profile: Profile): string {
  return resultPath(profile, 'gradcam', 'without-depth.json');
}

/**
 * Figs. 5 and 15: Grad-CAM from the dilated stack of the full model and of the model without depth
 * input, as the paper compares them. 3 images for Fig. 5, 6 for Fig. 15.
 */
export async function runGradCam(profile: Profile): Promise<GradCamPanel[]> {
  const file = gradCamFile(profile);
  const saved = await readResult<{ panels: GradCamPanel[] }>(file);
  if (saved) return saved.panels;
  const items = pickVaried(await ablationTest(profile), 9);
  const full = await referenceModel(profile);
  const without = await referenceModel(profile, { ...WITHOUT_DEPTH_VARIANT });
  const panels: GradCamPanel[] = [];
  try {
    for (const [i, item] of items.entries()) {
      const a = await gradCamFor(full, item, profile);
      const b = await gradCamFor(without, item, profile);
      panels.push({
        figure: i < 3 ? 'fig05' : 'fig15', image: item.relImage, distortion: item.distortion ?? '-', level: item.level ?? null, mos: item.score01,
        pngBase64: cropPng(a.crop, a.size), heatFull: shrinkHeat(a.heat), heatWithoutDepth: shrinkHeat(b.heat),
      });
    }
  } finally {
    full.dispose();
    without.dispose();
  }
  await writeResult(file, 'gradcam', profile, `${profile.ablation.train} split 0 test`, { panels, compared: 'full model vs without depth input (RGB only)' });
  return panels;
}

/** The titles of Figs. 5 and 15, after the paper's captions. */
export const GRADCAM_TITLES = {
  fig05: 'Fig. 5: Grad-CAM of the dilated stack, full model vs without depth input',
  fig15: 'Fig. 15: more Grad-CAM comparisons on further test images, full model vs without depth input',
} as const;

/** One row per image: the crop, the full model's map, the map of the model without depth input. */
export function gradCamFigure(panels: GradCamPanel[], figure: 'fig05' | 'fig15', title?: string): Figure {
  const mine = panels.filter((p) => p.figure === figure);
  if (mine.length === 0) throw new Error(`gradCamFigure: no panels for ${figure}`);
  const overlay: OverlayPanel[] = mine.flatMap((p) => {
    const what = `${p.distortion}${p.level !== null ? ` L${p.level}` : ''}`;
    return [
      { title: `${what} (label ${p.mos.toFixed(2)})`, pngBase64: p.pngBase64 },
      { title: 'full model (Depth-CAR)', pngBase64: p.pngBase64, heat: p.heatFull },
      { title: 'without depth (RGB only)', pngBase64: p.pngBase64, heat: p.heatWithoutDepth },
    ];
  });
  return heatmapOverlayFigure(overlay, {
    name: `${figure}-gradcam`,
    title: title ?? GRADCAM_TITLES[figure],
    // three panels per image; two images a row when there are more than three
    cols: mine.length > 3 ? 6 : 3,
    cellSize: 220,
  });
}
