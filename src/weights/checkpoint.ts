// Checkpoints as the kit uses them: official PyTorch state dicts in, safetensors in the official key
// layout (plus the resolved config as JSON metadata) out, so the kit's files load in PyTorch too.
import { Dgiqa, DgiqaConfig, configFrom } from '../model/index.js';
import { readCheckpoint, writeSafetensors } from './formats.js';
import type { TensorFile } from './formats.js';
import { MatchReport, exportFromModel, loadIntoModel } from './mapping.js';

/** Metadata key holding the model config in the kit's safetensors checkpoints. */
export const CONFIG_METADATA_KEY = 'dgiqa_config';

export interface LoadedCheckpoint {
  model: Dgiqa;
  config: DgiqaConfig;
  /** where the config came from: the checkpoint's metadata, or what the caller gave */
  configSource: string;
  report: MatchReport;
  metadata: Record<string, string>;
}

/** The config a checkpoint records, if it is one of the kit's own. */
export function configInCheckpoint(file: TensorFile, path: string): DgiqaConfig | undefined {
  const raw = file.metadata[CONFIG_METADATA_KEY];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${path}: metadata "${CONFIG_METADATA_KEY}" is not valid JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${path}: metadata "${CONFIG_METADATA_KEY}" is not an object`);
  return configFrom(parsed as Record<string, unknown>, `${path} (metadata ${CONFIG_METADATA_KEY})`);
}

/**
 * Build a model and fill it from a .pth or .safetensors file. The architecture is `config` when given,
 * else the one recorded in the file, else the paper's.
 */
export async function loadModel(path: string, config?: DgiqaConfig): Promise<LoadedCheckpoint> {
  const file = await readCheckpoint(path);
  const recorded = configInCheckpoint(file, path);
  const chosen = config ?? recorded ?? configFrom('paper');
  const model = new Dgiqa(chosen);
  try {
    const report = loadIntoModel(model, file.tensors, path);
    return { model, config: chosen, configSource: config ? 'given' : recorded ? 'checkpoint metadata' : 'paper preset (default)', report, metadata: file.metadata };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Write the model as safetensors (atomically), official key names, config and extra metadata included. */
export async function saveModel(model: Dgiqa, path: string, metadata: Record<string, string> = {}, batchesTracked = 0): Promise<void> {
  await writeSafetensors(path, exportFromModel(model, batchesTracked), { ...metadata, [CONFIG_METADATA_KEY]: JSON.stringify(model.config) });
}
