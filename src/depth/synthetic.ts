// The `synthetic` provider: the exact depth the benchmark generator rendered, read from its
// 16-bit inverse-depth maps (one per scene, shared by the scene's distorted images).
import { stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { readGrey } from '../data/synth/io.js';
import { loadSynth } from '../data/synth/load.js';
import { minMaxToUint8, resizeMap } from './scale.js';
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

  const pathOf = async (image: string): Promise<string> => {
    const rel = relative(dir, resolve(image)).split(sep).join('/');
    const refId = sceneOf.get(rel);
    if (refId === undefined) {
      throw new Error(`synthetic depth: ${image} is not an image of the synthetic benchmark at ${dir} (not in its labels.csv)`);
    }
    const path = join(dir, 'depth', `${refId}.png`);
    if (!(await stat(path).then((s) => s.isFile(), () => false))) {
      throw new Error(`synthetic depth: missing depth map ${path} (for image ${image}); regenerate with \`dgiqa synth\``);
    }
    return path;
  };

  return {
    name: 'synthetic',
    source: `exact depth of the embedded benchmark at ${dir}`,
    pathOf,
    async depthOf(image, size) {
      const path = await pathOf(image);
      let map = cache.get(path);
      if (!map) {
        // The stored values are inverse depth, so min-max scaling gives the near-bright model map.
        const grey = await readGrey(path);
        map = { width: grey.width, height: grey.height, data: minMaxToUint8(grey.data) };
        if (cache.size >= CACHE_SCENES) cache.delete(cache.keys().next().value as string);
        cache.set(path, map);
      }
      return size ? resizeMap(map, size.width, size.height) : map;
    },
  };
}
