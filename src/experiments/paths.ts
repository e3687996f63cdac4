// Where the kit keeps things, relative to its root (notebooks run from notebooks/, commands from
// anywhere): generated benchmark, real datasets, depth maps, results, figures. Each can be moved with
// an environment variable.
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { setting } from '../settings/index.js';

/** dist/src/experiments -> the kit's root */
export const KIT_ROOT = resolve(setting('DGIQA_HOME') ?? fileURLToPath(new URL('../../../', import.meta.url)));

export const paths = {
  synth: resolve(setting('DGIQA_SYNTH') ?? join(KIT_ROOT, 'data', 'synth')),
  /** the real datasets, one folder per id as unpacked from the official archives */
  datasets: resolve(setting('DGIQA_DATA') ?? join(KIT_ROOT, 'data', 'datasets')),
  /** precomputed depth maps, one folder per dataset mirroring its image tree */
  depth: resolve(setting('DGIQA_DEPTH') ?? join(KIT_ROOT, 'data', 'depth')),
  /** Depth Anything: hub downloads, and the maps made for single images (`dgiqa score`) */
  models: resolve(setting('DGIQA_MODELS') ?? join(KIT_ROOT, 'data', 'cache', 'models')),
  depthCache: resolve(setting('DGIQA_DEPTH_CACHE') ?? join(KIT_ROOT, 'data', 'cache', 'depth-anything')),
  results: resolve(setting('DGIQA_RESULTS') ?? join(KIT_ROOT, 'results')),
  figures: resolve(setting('DGIQA_FIGURES') ?? join(KIT_ROOT, 'figures')),
  /** timm swin_tiny_patch4_window7_224 weights (safetensors or .pth) for the paper profile, if any */
  pretrained: setting('DGIQA_PRETRAINED') ?? '',
};
