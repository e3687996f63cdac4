// ImageNet initialisation of both Swin-T backbones from timm's swin_tiny_patch4_window7_224 weights
// (what the official code loads with pretrained=True). Accepts timm's current layout (`layers.1.downsample`
// at the start of a stage) and the original release's (`layers.0.downsample` at the end of one).
import type { Dgiqa } from '../model/index.js';
import type { RawTensor } from './dtypes.js';
import { readCheckpoint } from './formats.js';
import { loadIntoStore, stripModulePrefix } from './mapping.js';

export interface BackboneReport {
  /** model parameters filled, per backbone */
  mapped: number;
  /** checkpoint tensors not used: the classifier head, the final norm, recomputed buffers */
  skipped: string[];
  layout: 'timm' | 'original';
}

const UNUSED = [/^head\./, /^norm\./, /relative_position_index$/, /attn_mask$/, /relative_coords_table$/];

/** Rename a timm Swin state dict to the kit's `<prefix>.layers_<i>...` names. */
export function timmSwinToKit(tensors: Map<string, RawTensor>, prefix: string, source: string): { renamed: Map<string, RawTensor>; skipped: string[]; layout: 'timm' | 'original' } {
  const named = stripModulePrefix(tensors);
  const original = [...named.keys()].some((k) => k.startsWith('layers.0.downsample.'));
  const renamed = new Map<string, RawTensor>();
  const skipped: string[] = [];
  for (const [key, t] of named) {
    if (UNUSED.some((r) => r.test(key))) {
      skipped.push(key);
      continue;
    }
    const m = /^layers\.(\d+)\.(.*)$/.exec(key);
    let name = key;
    if (m) {
      let stage = Number(m[1]);
      // the original release keeps the merge at the end of the previous stage
      if (original && m[2].startsWith('downsample.')) stage += 1;
      name = `layers_${stage}.${m[2]}`;
    } else if (!key.startsWith('patch_embed.')) {
      throw new Error(`${source}: "${key}" is not a Swin Transformer tensor (is this timm's swin_tiny_patch4_window7_224?)`);
    }
    renamed.set(`${prefix}.${name}`, t);
  }
  return { renamed, skipped, layout: original ? 'original' : 'timm' };
}

/** Fill both backbones (RGB and depth) of `model` from an ImageNet Swin checkpoint on disk. */
export async function loadPretrainedBackbones(model: Dgiqa, path: string): Promise<BackboneReport> {
  const file = await readCheckpoint(path);
  const prefixes = model.depthBackbone ? ['backbone', 'depth_backbone'] : ['backbone'];
  let mapped = 0;
  let skipped: string[] = [];
  let layout: 'timm' | 'original' = 'timm';
  for (const prefix of prefixes) {
    const r = timmSwinToKit(file.tensors, prefix, path);
    // checked against this backbone's parameters only: every one present and well shaped
    loadIntoStore(model.store, r.renamed, path, `${prefix}.`);
    mapped = [...model.store.specs.keys()].filter((k) => k.startsWith(`${prefix}.`)).length;
    skipped = r.skipped;
    layout = r.layout;
  }
  return { mapped, skipped, layout };
}
