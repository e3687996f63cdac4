// Checkpoints as the kit uses them: official PyTorch state dicts in, safetensors in the official key
// layout (plus the resolved config as JSON metadata) out, so the kit's files load in PyTorch too.
import { Dgiqa, DgiqaConfig, configFrom, modelCost, resolveConfig } from '../model/index.js';
import { CheckpointFormatError } from './errors.js';
import { numelOf, readCheckpoint, writeSafetensors } from './formats.js';
import type { TensorFile } from './formats.js';
import { MatchReport, checkNames, exportFromModel, loadIntoModel } from './mapping.js';

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

/**
 * Upper bounds on a config read from a file (issue 20: a 296-byte file whose metadata described a
 * 6 GB model): several times the paper's sizes, far below what would exhaust a machine. A config the
 * user names (a preset) is trusted; one a file brings is not.
 */
export const FILE_CONFIG_BOUNDS: Readonly<Record<string, number>> = Object.freeze({
  imgSize: 1024, patchSize: 32, embedDim: 512, windowSize: 32, mlpRatio: 16, seReduction: 1024,
  attnHeads: 256, dilationChannels: 8192, depths: 64, numHeads: 256, tcbOut: 8192, dilations: 64,
});

/**
 * A model may hold at most this many more values than the file gives it (plus the same again): a
 * file that could never fill the model is refused before the model is built, so a refusal costs a
 * small multiple of the file's own size. The slack keeps the named missing-key report for near misses.
 */
const MODEL_SLACK_VALUES = 1_000_000;

/** Above this many parameters (16 MB of float32) the names are checked before the model is built. */
const NAMES_FIRST_PARAMS = 4_000_000;

function checkBounds(c: DgiqaConfig, path: string): void {
  for (const [key, max] of Object.entries(FILE_CONFIG_BOUNDS)) {
    const v = (c as unknown as Record<string, number | number[]>)[key];
    const worst = Array.isArray(v) ? Math.max(...v) : v;
    if (worst !== undefined && worst > max) throw new CheckpointFormatError(path, `metadata "${CONFIG_METADATA_KEY}" has ${key} ${JSON.stringify(v)}, above the bound ${max} for a config read from a file (give --config to choose the architecture)`);
  }
}

/** Refuses, before any model is built, a file whose values could not fill the model `c` describes. */
export function checkModelBudget(c: DgiqaConfig, file: TensorFile, path: string, source: string): void {
  let values = 0;
  for (const t of file.tensors.values()) values += numelOf(t.shape);
  const params = modelCost(c).params;
  if (params > 2 * values + MODEL_SLACK_VALUES) {
    throw new CheckpointFormatError(path, `the ${source} describes a model of ${params.toLocaleString('en-US')} parameters, the file holds ${values.toLocaleString('en-US')} values: refused before building it`);
  }
}

/**
 * The parameter names of the model `c` describes, from a skeleton of the same structure (depths,
 * switches) at the smallest widths: names do not depend on widths, and the skeleton costs kilobytes.
 */
export function parameterNames(c: DgiqaConfig): string[] {
  const skeleton = new Dgiqa(resolveConfig({
    ...c, imgSize: 32, patchSize: 4, windowSize: 2, embedDim: 4, numHeads: [1, 1, 1, 1], mlpRatio: 1,
    tcbOut: [2, 2, 2, 2], seReduction: 2, attnHeads: 2, dilationChannels: 4,
  }, 'skeleton config'));
  try {
    return [...skeleton.store.specs.keys()];
  } finally {
    skeleton.dispose();
  }
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
  const c = configFrom(parsed as Record<string, unknown>, `${path} (metadata ${CONFIG_METADATA_KEY})`);
  checkBounds(c, path);
  return c;
}

/**
 * Build a model and fill it from a .pth or .safetensors file. The architecture is `config` when given,
 * else the one recorded in the file, else the paper's.
 */
export async function loadModel(path: string, config?: DgiqaConfig): Promise<LoadedCheckpoint> {
  return modelFromCheckpoint(await readCheckpoint(path, { lazy: true }), path, config);
}

/**
 * The same from a parsed file (`parseCheckpoint(bytes, name, { lazy: true })`): what the browser page
 * calls on the bytes a user picked. `path` labels errors.
 */
export function modelFromCheckpoint(file: TensorFile, path: string, config?: DgiqaConfig): LoadedCheckpoint {
  // Budget first (issue 20): a file's config within bounds, the file's values enough to fill that
  // model, its names the model's, all before the model is built or a .pth storage is inflated.
  const recorded = configInCheckpoint(file, path);
  const chosen = config ?? recorded ?? configFrom('paper');
  checkModelBudget(chosen, file, path, config ? 'given config' : recorded ? `metadata "${CONFIG_METADATA_KEY}"` : 'paper preset (the file records no config)');
  // a small model is built at once, so that a mismatch is reported with shapes too (costs little)
  if (modelCost(chosen).params > NAMES_FIRST_PARAMS) checkNames(parameterNames(chosen), file.tensors, path);
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
