// Named tap points of one forward (timm's forward_intermediates): the model's blocks hand their
// intermediate tensors to `ctx.taps` when a caller asked for them, and do nothing otherwise, so the
// ordinary forward and a tapped one are the same code and give the same scores.
//
//   const { scores, taps } = model.forwardIntermediates(rgb, depth, { only: ['tcb1.gate', 'depth_car.cross.attention'] });
//   taps.get('tcb1.gate')   // [B, H, W, C] in (0, 1); the caller disposes scores and every tap
//
// Names (official state-dict prefixes where a block has one):
//   backbone.patch_embed, backbone.stage1..4        RGB Swin-T maps, NHWC (depth_backbone.* for depth)
//   tcb1..4.gate, tcb1..4                           a TCB's squeeze-excitation gate and its output (tcbN_depth.* for depth)
//   fused_rgb, fused_depth                          bridged maps resized to the fused side and concatenated
//   depth_car.cross.attention                       softmax(Q K^T / sqrt(d)) per head, [B, heads, L, L]: Q from depth, K from RGB
//   depth_car.cross, depth_car.refine.attention, depth_car.refine   the blocks' outputs [B, L, C] and the refinement's weights
//   merged                                          what enters the dilated stack (Depth-CAR's output as a map, or the concat without it)
//   dilated_stack.conv1, dilated_stack              after the first dilated conv (BN, ReLU) and after the second
//   pooled, score                                   [B, C] global average pool; [B] sigmoid output
import { tf } from '../backend/tf.js';

export class Taps {
  readonly tensors = new Map<string, tf.Tensor>();
  private readonly wanted: Set<string> | undefined;

  /** only: the names to keep (default all); names the model never taps are reported by `check`. */
  constructor(only?: readonly string[]) {
    this.wanted = only ? new Set(only) : undefined;
  }

  wants(name: string): boolean {
    return !this.wanted || this.wanted.has(name);
  }

  /** Keeps a copy that survives the enclosing tf.tidy scopes (the copy shares the data: no cost). */
  keep(name: string, t: tf.Tensor): void {
    if (!this.wants(name)) return;
    if (this.tensors.has(name)) throw new Error(`taps: "${name}" was tapped twice in one forward (tap one forward at a time)`);
    this.tensors.set(name, tf.keep(t.clone()));
  }

  /** Throws when a requested name was never tapped (a typo, or a part the config switches off). */
  check(): void {
    for (const n of this.wanted ?? []) {
      if (!this.tensors.has(n)) throw new Error(`taps: the forward has no tap "${n}" (tapped: ${[...this.tensors.keys()].join(', ') || 'none'})`);
    }
  }
}
