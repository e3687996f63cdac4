// The `depth-anything` provider: Depth Anything (the paper's depth model) in ONNX through
// @huggingface/transformers. That package is not part of this kit's dependencies (its
// onnxruntime-node install step downloads add-ons from outside the npm registry), so asking for
// this provider fails at once and says how to supply depth maps instead.
import type { DepthProvider } from './types.js';

export const DEPTH_ANYTHING_UNAVAILABLE =
  'depth-anything: the Depth Anything ONNX provider is not bundled with this kit (it needs @huggingface/transformers, ' +
  'which is not installed). Provide depth maps instead: a folder of PNGs mirroring the image tree (one <image name>.png ' +
  'per image, larger = nearer as Depth Anything writes them, e.g. made with the official Depth Anything code), then use ' +
  '--provider precomputed --from <folder>; the embedded benchmark has exact depth (--provider synthetic).';

export async function openDepthAnything(_opts: { model?: string } = {}): Promise<DepthProvider> {
  throw new Error(DEPTH_ANYTHING_UNAVAILABLE);
}
