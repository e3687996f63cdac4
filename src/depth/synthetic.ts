// The `synthetic` provider: the exact depth the benchmark generator rendered, read from its
// 16-bit maps (one per scene, shared by the scene's distorted images).
import { join, relative, resolve, sep } from 'node:path';
import { stat } from 'node:fs/promises';
import { DEPTH_UNITS_PER_METER, loadSynth, readDepthPng16 } from '../data/synth/index.js';
import { metricToModelMap, resizeMap } from './scale.js';
import type { DepthMap, DepthProvider } from './types.js';

/** Scenes kept decoded: a scene's images are usually asked for together. */
const CACHE_SCENES = 4;

/** `root`: a family folder of the embedded benchmark, e.g. data/synth/A. */
export async function openSyntheticDepth(root: string): Promise<DepthProvider> {
  const dir = resolve(root);
  const sceneOf = new Map<string, string>();
  for (const r of await loadSynth(dir)) {
    if (r.refId === undefined) continue;
    sceneOf.set(r.relImage, r.refId);
    if (r.reference) sceneOf.set(relative(dir, r.reference).split(sep).join('/'), r.refId);
  }
  const cache = new Map<string, DepthMap>();

  const sceneMap = async (refId: string, image: string): Promise<DepthMap> => {
    const hit = cache.get(refId);
    if (hit) return hit;
    const path = join(dir, 'depth', `${refId}.png`);
    if (!(await stat(path).then(() => true, () => false))) {
      throw new Error(`synthetic depth: missing depth map ${path} (for image ${image}); regenerate with \`dgiqa synth\``);
    }
    const { width, height, depth } = await readDepthPng16(path, DEPTH_UNITS_PER_METER);
    const map = { width, height, data: metricToModelMap(depth) };
    if (cache.size >= CACHE_SCENES) cache.delete(cache.keys().next().value as string);
    cache.set(refId, map);
    return map;
  };

  return {
    name: 'synthetic',
    source: `exact depth of the embedded benchmark at ${dir}`,
    async depthOf(image, size) {
      const rel = relative(dir, resolve(image)).split(sep).join('/');
      const refId = sceneOf.get(rel);
      if (refId === undefined) {
        throw new Error(`synthetic depth: ${image} is not an image of the synthetic benchmark at ${dir} (not in its labels.csv)`);
      }
      const map = await sceneMap(refId, image);
      return size ? resizeMap(map, size.width, size.height) : map;
    },
  };
}
