// The `precomputed` provider: a folder of depth PNGs mirroring the image tree, e.g.
//   <imageRoot>/jpeg/img12.bmp  ->  <depthRoot>/jpeg/img12.png
// Any PNG sharp reads (8 or 16 bit, grey or RGB: the first channel is used), in Depth Anything's
// convention (larger = nearer); each map is min-max scaled to 0..255 on reading.
import { stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DataError } from '../data/loaders/files.js';
import { readGrey } from '../data/synth/io.js';
import { minMaxToUint8, resizeMap } from './scale.js';
import type { DepthProvider } from './types.js';

/** Where the map of `image` lives under `depthRoot` (the image's relative path, extension .png). */
export function mirroredDepthPath(imageRoot: string, depthRoot: string, image: string): string {
  const rel = relative(resolve(imageRoot), resolve(image));
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new DataError(image, `precomputed depth: the image is not under the image root ${imageRoot}`);
  }
  const ext = extname(rel);
  return join(resolve(depthRoot), (ext ? rel.slice(0, -ext.length) : rel) + '.png');
}

export function openPrecomputedDepth(opts: { imageRoot: string; depthRoot: string }): DepthProvider {
  const depthRoot = resolve(opts.depthRoot);
  const pathOf = async (image: string): Promise<string> => {
    const path = mirroredDepthPath(opts.imageRoot, depthRoot, image);
    if (!(await stat(path).then((s) => s.isFile(), () => false))) {
      const rel = relative(depthRoot, path).split(sep).join('/');
      throw new DataError(path, `missing depth map for image ${image} (expected ${rel} under ${depthRoot}, mirroring the image tree)`);
    }
    return path;
  };
  return {
    name: 'precomputed',
    source: `depth PNGs under ${depthRoot} mirroring ${resolve(opts.imageRoot)}`,
    pathOf,
    async depthOf(image, size) {
      const grey = await readGrey(await pathOf(image));
      const map = { width: grey.width, height: grey.height, data: minMaxToUint8(grey.data) };
      return size ? resizeMap(map, size.width, size.height) : map;
    },
  };
}
