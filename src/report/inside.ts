// Under the hood (notebook 03): one real batch of the course's benchmark through the model's own
// forward with its tap points kept (Dgiqa.forwardIntermediates), and the tables and figures that
// show each equation's quantity on that batch: the fused maps' shapes, the TCB's channel gate
// (Eqs. 1-2), Depth-CAR's attention for one query position beside the image and its depth (Eq. 3),
// the dilated stack's receptive field (Eq. 4), the scores (Eq. 5). Eq. 6 is train.lossTerms.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import { Dgiqa, configFrom, fusedSide, tapShapes } from '../model/index.js';
import { evalCrops } from '../data/pipeline/index.js';
import { loadRunModel, openBenchmark, runModelConfig } from '../experiments/index.js';
import type { BenchItem, Profile } from '../experiments/index.js';
import { gateFigure, heatmapOverlayFigure, receptiveFieldFigure } from '../plots/index.js';
import type { Figure, GateRow, TableRow } from '../plots/index.js';
import type { CourseTable } from './paperTables.js';
import { cropPng } from './explain.js';
import { protocolSplitSpec } from './training.js';

/** A few images of the protocol's first dataset, one evaluation crop each, as the model takes them. */
export interface InsideBatch {
  dataset: string;
  items: BenchItem[];
  size: number;
  /** [n, size, size, 3] ImageNet-normalised NHWC, RGB and depth (3 channels) */
  rgb: Float32Array;
  depth: Float32Array;
  labels: number[];
}

/** n images spread over the label range (lowest to highest quality), so the batch shows both ends. */
export async function insideBatch(profile: Profile, n = 4): Promise<InsideBatch> {
  const dataset = profile.protocol[0]!;
  const b = await openBenchmark(dataset, profile);
  if (b.items.length < n) throw new Error(`insideBatch: ${dataset} has ${b.items.length} images, fewer than ${n}`);
  const sorted = [...b.items].sort((x, y) => x.score01 - y.score01 || x.relImage.localeCompare(y.relImage));
  const items = Array.from({ length: n }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / Math.max(1, n - 1))]!);
  const s = profile.cropSize;
  const rgb = new Float32Array(n * s * s * 3);
  const depth = new Float32Array(n * s * s * 3);
  for (const [i, item] of items.entries()) {
    const c = await evalCrops({ image: item.image, depth: item.depth }, { seed: 0, crops: 1, size: s, evalShortSide: profile.evalShortSide });
    rgb.set(c.rgb.subarray(0, s * s * 3), i * s * s * 3);
    depth.set(c.depth.subarray(0, s * s * 3), i * s * s * 3);
  }
  return { dataset, items, size: s, rgb, depth, labels: items.map((x) => x.score01) };
}

/** The batch as tensors (the caller disposes them). */
export function insideTensors(b: InsideBatch): { rgb: tf.Tensor4D; depth: tf.Tensor4D; labels: tf.Tensor1D } {
  const shape: [number, number, number, number] = [b.items.length, b.size, b.size, 3];
  return { rgb: tf.tensor4d(b.rgb, shape), depth: tf.tensor4d(b.depth, shape), labels: tf.tensor1d(b.labels) };
}

/** The model the course trains on split 0 when that run exists, else the profile's model with seeded random weights; says which. */
export async function insideModel(profile: Profile): Promise<{ model: Dgiqa; source: string }> {
  const spec = await protocolSplitSpec(profile);
  if (existsSync(join(spec.dir, 'run', 'model.safetensors'))) {
    return { model: await loadRunModel(spec.dir, profile), source: `the model trained on ${spec.label} (notebook 04's run)` };
  }
  return { model: new Dgiqa(configFrom(runModelConfig(profile)), 0), source: `the ${profile.model} preset with seeded random weights (notebook 04 has not trained its run yet)` };
}

const ROLE: [RegExp, string][] = [
  [/^backbone\.stage(\d)$/, 'RGB Swin-T stage $1'],
  [/^tcb(\d)$/, 'TCB $1 output (RGB)'],
  [/^fused_rgb$/, 'F_rgb: bridged RGB maps resized and concatenated'],
  [/^fused_depth$/, 'F_d: the same for depth'],
  [/^depth_car\.cross\.attention$/, 'cross-attention weights A = softmax(Q K^T / sqrt(d)), Q from depth, K from RGB'],
  [/^depth_car\.cross$/, 'cross-attention block output (tokens)'],
  [/^depth_car\.refine$/, 'refinement self-attention output (tokens)'],
  [/^merged$/, 'Depth-CAR output as a map: the dilated stack\'s input'],
  [/^dilated_stack\.conv1$/, 'after the first dilated conv'],
  [/^dilated_stack$/, 'after the second dilated conv'],
  [/^pooled$/, 'global average pool'],
  [/^score$/, 'sigmoid(linear): the score'],
];

/** The taps of the fusion and everything after it, with their shapes on this batch. */
export function tapsTable(taps: Map<string, tf.Tensor>, model: Dgiqa): CourseTable {
  const want = tapShapes(model.config, taps.get('score')?.shape[0] ?? 1);
  const rows: TableRow[] = [];
  for (const [name, role] of ROLE) {
    for (const key of want.keys()) {
      const t = taps.get(key);
      if (!name.test(key) || !t) continue;
      rows.push({ tap: key, what: key.replace(name, role), shape: `[${t.shape.join(', ')}]` });
    }
  }
  return {
    name: 'model-taps',
    title: 'The tapped tensors of one forward on this batch (NHWC maps; [B, L, C] tokens; [B, heads, L, L] attention)',
    rows,
    columns: [{ key: 'tap' }, { key: 'what' }, { key: 'shape' }],
    notes: ['Names are Dgiqa.forwardIntermediates tap points (src/model/taps.ts); the depth branch has the same shapes under depth_backbone.* and tcbN_depth.'],
  };
}

/** Eqs. 1-2: each image's TCB gate at one stage, averaged over positions, RGB and depth rows. */
export function tcbGateFigure(taps: Map<string, tf.Tensor>, b: InsideBatch, stage: number, title?: string): Figure {
  const rows: GateRow[] = [];
  for (const [suffix, branch] of [['', 'RGB'], ['_depth', 'depth']] as const) {
    const t = taps.get(`tcb${stage}${suffix}.gate`);
    if (!t) continue;
    const means = tf.tidy(() => tf.mean(t, [1, 2]).arraySync() as number[][]);
    means.forEach((values, i) => rows.push({ label: `${branch}, image ${i + 1}`, values }));
  }
  if (rows.length === 0) throw new Error(`tcbGateFigure: no tap tcb${stage}.gate (a model without TCBs, or taps not kept)`);
  return gateFigure(rows, { title: title ?? `TCB ${stage}'s channel gate on ${b.items.length} images of ${b.dataset}: mean over positions per channel (1 passes, 0 suppresses)` });
}

/**
 * Eq. 3: Depth-CAR's cross-attention of one image (default the batch's last, the best label) for one
 * query position (row, col of the fused grid; default the centre), averaged over heads: where in the
 * RGB map the depth query looks. Beside the image and its depth.
 */
export function attentionFigure(taps: Map<string, tf.Tensor>, b: InsideBatch, image = b.items.length - 1, query?: [number, number], title?: string): Figure {
  const w = taps.get('depth_car.cross.attention');
  if (!w) throw new Error('attentionFigure: no tap depth_car.cross.attention (a model without Depth-CAR, or taps not kept)');
  const [, , l] = w.shape;
  const side = Math.round(Math.sqrt(l!));
  const [qy, qx] = query ?? [Math.floor(side / 2), Math.floor(side / 2)];
  const heat = tf.tidy(() => tf.mean(w.slice([image, 0, qy * side + qx, 0], [1, -1, 1, -1]), [0, 1, 2]).reshape([side, side]).arraySync() as number[][]);
  const s = b.size;
  const crop = (x: Float32Array): Float32Array => x.subarray(image * s * s * 3, (image + 1) * s * s * 3);
  const png = cropPng(crop(b.rgb), s);
  return heatmapOverlayFigure([
    { title: `image ${image + 1} (label ${b.labels[image]!.toFixed(2)})`, pngBase64: png },
    { title: 'its depth map (model input)', pngBase64: cropPng(crop(b.depth), s) },
    { title: `query (${qy}, ${qx}) over the ${side}x${side} RGB keys, min-max scaled`, pngBase64: png, heat },
  ], { name: 'model-depthcar-attention', cols: 3, title: title ?? `Depth-CAR attention of one depth query over the RGB keys (image ${image + 1} of ${b.dataset}, mean over heads)` });
}

/** Eq. 4: the dilated stack's receptive field on the fused grid, the config's dilations against dilation 1. */
export function dilatedFieldFigure(model: Dgiqa): Figure {
  const c = model.config;
  return receptiveFieldFigure(fusedSide(c), [
    { title: `dilations ${c.dilations.join(', ')}`, dilations: c.dilations },
    { title: 'dilation 1, 1 (the ablation)', dilations: [1, 1] },
  ]);
}
