// Writing every image's depth map to a folder that mirrors the image tree: what `dgiqa depth`
// does, usable from a notebook. Maps already there are skipped, each file is written atomically,
// so a stopped run restarts where it was.
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { writeGreyPng8 } from '../data/synth/io.js';
import { mirroredDepthPath } from './precomputed.js';
import type { DepthProvider } from './types.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff'];

/** Image files under `root`, sorted, skipping hidden folders and `exclude` (e.g. the output folder). */
export async function listImages(root: string, exclude: string[] = []): Promise<string[]> {
  const skip = new Set(exclude.map((p) => resolve(p)));
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    if (skip.has(dir)) return;
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) await walk(path);
      else if (e.isFile() && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(path);
    }
  };
  const top = resolve(root);
  if (!(await stat(top).then((s) => s.isDirectory(), () => false))) throw new Error(`${root}: not a folder`);
  await walk(top);
  return out;
}

export interface PrecomputeProgress { done: number; total: number; written: number; skipped: number; current: string }

export interface PrecomputeResult { images: number; written: number; skipped: number; outDir: string }

export async function precomputeDepth(opts: {
  images: string[];
  imageRoot: string;
  outDir: string;
  provider: DepthProvider;
  onProgress?: (p: PrecomputeProgress) => void;
}): Promise<PrecomputeResult> {
  let written = 0, skipped = 0;
  const total = opts.images.length;
  for (const [i, image] of opts.images.entries()) {
    const target = mirroredDepthPath(opts.imageRoot, opts.outDir, image);
    if (await stat(target).then((s) => s.isFile() && s.size > 0, () => false)) {
      skipped++;
    } else {
      const map = await opts.provider.depthOf(image);
      await mkdir(dirname(target), { recursive: true });
      await writeGreyPng8(target, map.data, map.width, map.height);
      written++;
    }
    opts.onProgress?.({ done: i + 1, total, written, skipped, current: relative(resolve(opts.imageRoot), image) });
  }
  return { images: total, written, skipped, outDir: resolve(opts.outDir) };
}
