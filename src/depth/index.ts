// Depth maps for the model's second input: from the synthetic benchmark's exact depth, from a
// folder of precomputed PNGs, or from Depth Anything (ONNX).
import { openDepthAnything, type DepthAnythingOptions } from './depthAnything.js';
import { openPrecomputedDepth } from './precomputed.js';
import { openSyntheticDepth } from './synthetic.js';
import type { DepthProvider } from './types.js';

export type DepthSpec =
  | { provider: 'synthetic'; root: string }
  | { provider: 'precomputed'; imageRoot: string; depthRoot: string }
  | ({ provider: 'depth-anything' } & DepthAnythingOptions);

export async function openDepthProvider(spec: DepthSpec): Promise<DepthProvider> {
  switch (spec.provider) {
    case 'synthetic':
      return openSyntheticDepth(spec.root);
    case 'precomputed':
      return openPrecomputedDepth(spec);
    case 'depth-anything':
      return openDepthAnything(spec);
  }
}

/** The records with the path of each one's depth map (`depth`), as the image pipeline takes them. */
export async function withDepth<T extends { image: string }>(records: readonly T[], provider: DepthProvider): Promise<(T & { depth: string })[]> {
  const out: (T & { depth: string })[] = [];
  for (const r of records) out.push({ ...r, depth: await provider.pathOf(r.image) });
  return out;
}

export { openSyntheticDepth } from './synthetic.js';
export { openPrecomputedDepth, mirroredDepthPath } from './precomputed.js';
export { openDepthAnything, depthAnythingInput, depthAnythingInputSize, depthAnythingToUint8, DEPTH_ANYTHING_DEFAULTS, DEPTH_ANYTHING_DTYPES, DEPTH_ANYTHING_INPUT, DEPTH_ANYTHING_MODELS } from './depthAnything.js';
export type { DepthAnythingOptions } from './depthAnything.js';
export { precomputeDepth, listImages, IMAGE_EXTENSIONS } from './precompute.js';
export type { PrecomputeProgress, PrecomputeResult } from './precompute.js';
export { minMaxToUint8, metricToModelMap, resizeMap } from './scale.js';
export { DEPTH_PROVIDERS } from './types.js';
export type { DepthMap, DepthProvider, DepthProviderName } from './types.js';
