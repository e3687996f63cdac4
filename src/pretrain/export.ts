// The pretrained backbone as timm's Swin state dict: the inverse of src/weights/backbone.ts's
// timmSwinToKit (kit `backbone.layers_<i>.X` -> `layers.<i>.X`, `backbone.patch_embed.X` ->
// `patch_embed.X`) and of the kit's NHWC layouts (conv [kh,kw,in,out] -> [out,in,kh,kw], linear
// [in,out] -> [out,in]), so loadPretrainedBackbones reads the file as it reads timm's own weights.
import { tf } from '../backend/index.js';
import { torchShape } from '../model/index.js';
import type { ParamStore } from '../model/index.js';
import type { RawTensor } from '../weights/index.js';

/** timm's name of a kit backbone parameter (`prefix` is the backbone's, without the dot). */
export function kitToTimmSwinName(name: string, prefix: string): string {
  if (!name.startsWith(`${prefix}.`)) throw new Error(`pretrain export: "${name}" is not under "${prefix}."`);
  const rest = name.slice(prefix.length + 1);
  const stage = /^layers_(\d+)\.(.*)$/.exec(rest);
  if (stage) return `layers.${stage[1]}.${stage[2]}`; // timm's current layout: a stage's merge opens it
  if (rest.startsWith('patch_embed.')) return rest;
  throw new Error(`pretrain export: "${name}" is neither a patch embedding nor a stage tensor`);
}

/** Every parameter under `prefix.` in timm's names and PyTorch layouts, float32, in the store's order. */
export function backboneToTimm(store: ParamStore, prefix: string): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [name, spec] of store.specs) {
    if (!name.startsWith(`${prefix}.`)) continue;
    const torch = tf.tidy(() => {
      const v = store.get(name);
      if (spec.layout === 'plain') return v.clone();
      return tf.transpose(v, spec.layout === 'conv' ? [3, 2, 0, 1] : [1, 0]);
    });
    out.set(kitToTimmSwinName(name, prefix), { dtype: 'F32', shape: torchShape(spec), data: torch.dataSync() as Float32Array });
    torch.dispose();
  }
  if (out.size === 0) throw new Error(`pretrain export: no parameter under "${prefix}."`);
  return out;
}
