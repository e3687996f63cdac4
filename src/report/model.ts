// The architecture walk of notebook 03: one zero input through the model block by block, the
// output shape after each block and the parameters it owns; parameters per part; the TCB's saving.
import { tf } from '../backend/index.js';
import { Dgiqa, configFrom, fusedSide } from '../model/index.js';
import type { DgiqaConfig } from '../model/index.js';
import type { TableRow } from '../plots/index.js';
import type { CourseTable } from './paperTables.js';
import { PAPER_TCB_SAVING_PCT, tcbSavingPct } from './paperTables.js';

export interface BlockRow extends TableRow {
  block: string;
  output: string;
  params: number;
}

/** The part of the model a parameter belongs to, from its official state-dict name. */
export function partOf(name: string): string {
  const head = name.split('.')[0]!;
  if (head === 'backbone') return name.startsWith('backbone.patch_embed') ? 'RGB Swin-T: patch embedding' : `RGB Swin-T: stage ${Number(name.split('.')[1]!.split('_')[1]) + 1}`;
  if (head === 'depth_backbone') return 'depth Swin-T';
  if (/^tcb\d_depth$/.test(head)) return 'depth TCBs';
  if (/^tcb\d$/.test(head)) return `TCB ${head.slice(3)} (RGB)`;
  if (head === 'depth_guided_cross_attention') return 'Depth-CAR: cross-attention';
  if (head === 'refinement_attention') return 'Depth-CAR: refinement';
  if (head === 'dilated_stack') return Number(name.split('.')[1]) < 3 ? 'dilated conv 1' : 'dilated conv 2';
  if (head === 'fc') return 'head (linear)';
  return head;
}

/** Trainable parameters per part, in declaration order. */
export function paramsByPart(model: Dgiqa): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of model.store.specs.values()) {
    if (!s.trainable) continue;
    const p = partOf(s.name);
    out.set(p, (out.get(p) ?? 0) + s.shape.reduce((a, b) => a * b, 1));
  }
  return out;
}

const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/**
 * Runs one zero image (and depth map) through the model's own forward with its tap points kept
 * (Dgiqa.forwardIntermediates) and returns, for each block, its output shape and its parameters.
 * Leaves no tensors behind.
 */
export function architectureWalk(model: Dgiqa): BlockRow[] {
  const c = model.config;
  const parts = paramsByPart(model);
  const p = (name: string): number => parts.get(name) ?? 0;
  const s = c.imgSize;
  const input = tf.zeros([1, s, s, 3]) as tf.Tensor4D;
  const { scores, taps } = model.forwardIntermediates(input, c.useDepth ? input : undefined);
  const shape = (name: string): string => shapeText(taps.get(name)!.shape);
  const rows: BlockRow[] = [];
  rows.push({ block: 'input: RGB crop (ImageNet-normalised)', output: shapeText(input.shape), params: 0 });
  if (c.useDepth) rows.push({ block: 'input: depth map, min-max to 0..255, 3 channels', output: shapeText(input.shape), params: 0 });
  rows.push({ block: `Swin-T patch embedding (${c.patchSize}x${c.patchSize}, ${c.embedDim} ch) + LayerNorm`, output: shape('backbone.patch_embed'), params: p('RGB Swin-T: patch embedding') });
  c.depths.forEach((d, i) => rows.push({ block: `Swin-T stage ${i + 1} (${d} blocks, ${c.numHeads[i]} heads${i > 0 ? ', patch merging' : ''})`, output: shape(`backbone.stage${i + 1}`), params: p(`RGB Swin-T: stage ${i + 1}`) }));
  if (c.tcb) c.depths.forEach((_, i) => rows.push({ block: `TCB ${i + 1}: 1x1 conv, squeeze-excitation, 3x3 conv, BN, ReLU`, output: shape(`tcb${i + 1}`), params: p(`TCB ${i + 1} (RGB)`) }));
  const h = fusedSide(c);
  rows.push({ block: `resize to ${h}x${h} (bilinear) + concat: fused RGB`, output: shape('fused_rgb'), params: 0 });
  if (c.useDepth) {
    rows.push({ block: `depth branch: its own Swin-T${c.tcb ? ' + 4 TCBs' : ''} + resize + concat: fused depth`, output: shape('fused_depth'), params: p('depth Swin-T') + p('depth TCBs') });
    if (c.depthCar) {
      rows.push({ block: `Depth-CAR cross-attention (${c.attnHeads} heads; query depth, key/value RGB) + MLP`, output: shape('depth_car.cross'), params: p('Depth-CAR: cross-attention') });
      rows.push({ block: 'Depth-CAR refinement self-attention + MLP', output: shape('depth_car.refine'), params: p('Depth-CAR: refinement') });
      rows.push({ block: `tokens back to a ${h}x${h} map`, output: shape('merged'), params: 0 });
    } else rows.push({ block: 'concat RGB and depth (no Depth-CAR)', output: shape('merged'), params: 0 });
  }
  const [d1, d2] = c.dilation ? c.dilations : [1, 1];
  rows.push({ block: `3x3 conv, dilation ${d1}, BN, ReLU`, output: shape('dilated_stack.conv1'), params: p('dilated conv 1') });
  rows.push({ block: `3x3 conv, dilation ${d2}, BN, ReLU`, output: shape('dilated_stack'), params: p('dilated conv 2') });
  rows.push({ block: 'global average pool', output: shape('pooled'), params: 0 });
  rows.push({ block: 'linear + sigmoid: quality score in [0, 1]', output: shape('score'), params: p('head (linear)') });
  tf.dispose([input, scores, ...taps.values()]);
  const listed = rows.reduce((a, r) => a + r.params, 0);
  rows.push({ block: 'total', output: '', params: listed });
  if (listed !== model.numParams()) throw new Error(`architectureWalk: the blocks list ${listed} parameters but the model has ${model.numParams()}`);
  return rows;
}

export function architectureTable(model: Dgiqa, preset: string): CourseTable {
  return {
    name: 'model-architecture',
    title: `The ${preset} model block by block: output shape (NHWC, batch 1) and learnable parameters`,
    rows: architectureWalk(model),
    columns: [{ key: 'block' }, { key: 'output', label: 'output shape' }, { key: 'params' }],
    notes: [`${model.config.imgSize}x${model.config.imgSize} input; the depth branch mirrors the RGB branch (same shapes, its own weights).`],
  };
}

/** The paper's exact count of the official model's learnable parameters (GUIDE; the paper rounds to 103M). */
export const PAPER_PARAMS = 102_878_829;

export interface TcbSaving {
  withTcb: number;
  withoutTcb: number;
  /** (without - with) / without, in % */
  savingPct: number;
  paperPct: number;
}

/** Parameter counts of a config, built with zero weights and released at once (~1 s and ~400 MB for the paper's size). */
export function countParams(config: DgiqaConfig): number {
  const m = new Dgiqa(config);
  const n = m.numParams();
  m.dispose();
  return n;
}

/** The TCB's parameter saving at the paper's size: the paper model against `paper-no-tcb`. */
export function tcbSaving(withTcb = countParams(configFrom('paper'))): TcbSaving {
  const withoutTcb = countParams(configFrom('paper-no-tcb'));
  return { withTcb, withoutTcb, savingPct: tcbSavingPct(withTcb, withoutTcb), paperPct: PAPER_TCB_SAVING_PCT };
}

export function parametersTable(model: Dgiqa, saving: TcbSaving): CourseTable {
  const total = model.numParams();
  const rows: TableRow[] = [...paramsByPart(model).entries()].map(([part, n]) => ({ part, params: n, share_pct: (100 * n) / total }));
  rows.push({ part: 'total', params: total, share_pct: 100 });
  rows.push({ part: 'paper (official model, exact count)', params: PAPER_PARAMS, share_pct: null });
  rows.push({ part: 'same model without TCBs (paper-no-tcb)', params: saving.withoutTcb, share_pct: null });
  return {
    name: 'model-parameters',
    title: 'Learnable parameters per part of the paper model, and the TCB saving',
    rows,
    columns: [{ key: 'part' }, { key: 'params' }, { key: 'share_pct', label: 'share (%)', digits: 2 }],
    notes: [
      `TCB saving measured by the kit: (${saving.withoutTcb.toLocaleString('en-US')} - ${saving.withTcb.toLocaleString('en-US')}) / ${saving.withoutTcb.toLocaleString('en-US')} = ${saving.savingPct.toFixed(1)}%; the paper states ${saving.paperPct}%.`,
      'Without TCBs the 1440 backbone channels per modality (96 + 192 + 384 + 768) go straight to Depth-CAR and the dilated stack, which grow with that width; the paper does not say how its no-TCB model was built, so the two percentages need not agree.',
    ],
  };
}
