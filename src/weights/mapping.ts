// Between checkpoint tensors (official PyTorch names and layouts) and the kit's model (same names,
// NHWC layouts). A checkpoint that does not match the model exactly is refused, with the list.
import { tf } from '../backend/tf.js';
import type { Dgiqa } from '../model/index.js';
import { torchShape } from '../model/index.js';
import type { ParamSpec, ParamStore } from '../model/index.js';
import { RawTensor, toFloat32 } from './dtypes.js';

/** Buffers that PyTorch checkpoints may hold and the kit recomputes or does not track. */
const IGNORED_SUFFIXES = ['num_batches_tracked', 'relative_position_index', 'attn_mask'];
const LIST_LIMIT = 6;

function listed(items: string[]): string {
  const head = items.slice(0, LIST_LIMIT).join(', ');
  return items.length > LIST_LIMIT ? `${head}, ... (${items.length - LIST_LIMIT} more)` : head;
}

/** DataParallel checkpoints prefix every key with `module.`: strip it when all keys have it. */
export function stripModulePrefix(tensors: Map<string, RawTensor>): Map<string, RawTensor> {
  const keys = [...tensors.keys()];
  if (keys.length === 0 || !keys.every((k) => k.startsWith('module.'))) return tensors;
  return new Map(keys.map((k) => [k.slice('module.'.length), tensors.get(k) as RawTensor]));
}

export interface MatchReport {
  missing: string[];
  unexpected: string[];
  misshapen: string[];
  ignored: string[];
}

/** Compare a checkpoint's names and shapes with the model's parameter specs. */
export function matchCheckpoint(specs: Map<string, ParamSpec>, tensors: Map<string, RawTensor>): MatchReport {
  const report: MatchReport = { missing: [], unexpected: [], misshapen: [], ignored: [] };
  for (const [name, spec] of specs) {
    const t = tensors.get(name);
    if (!t) report.missing.push(name);
    else {
      const want = torchShape(spec);
      if (t.shape.join() !== want.join()) report.misshapen.push(`${name} is [${t.shape.join(', ')}], model wants [${want.join(', ')}]`);
      else if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') report.misshapen.push(`${name} has dtype ${t.dtype}, model wants a float`);
    }
  }
  for (const name of tensors.keys()) {
    if (specs.has(name)) continue;
    if (IGNORED_SUFFIXES.some((s) => name.endsWith(s))) report.ignored.push(name);
    else report.unexpected.push(name);
  }
  return report;
}

/**
 * Refuses a tensor holding NaN or infinity (issue 20: all-NaN weights scored `null` with exit 0):
 * weights are finite or the file is broken. Checked before the values are copied into the model.
 */
function firstNonFinite(t: RawTensor, name: string, source: string): void {
  const values = toFloat32(t, `${source}: ${name}`); // the file's own array for float dtypes: no copy
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v - v !== 0) throw new Error(`${source}: tensor ${name} holds ${Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity'} (element ${i} of ${values.length}): refused`);
  }
}

/**
 * Refuses, naming `source`, a checkpoint whose tensor names are not the model's (`names`): run before
 * the model is built or any tensor's data is read, so an unexpected key costs nothing.
 */
export function checkNames(names: Iterable<string>, tensors: Map<string, RawTensor>, source: string): void {
  const named = stripModulePrefix(tensors);
  const wanted = new Set(names);
  const missing = [...wanted].filter((n) => !named.has(n));
  const unexpected = [...named.keys()].filter((n) => !wanted.has(n) && !IGNORED_SUFFIXES.some((s) => n.endsWith(s)));
  const problems: string[] = [];
  if (missing.length) problems.push(`missing ${missing.length} (${listed(missing)})`);
  if (unexpected.length) problems.push(`unexpected ${unexpected.length} (${listed(unexpected)})`);
  if (problems.length) throw new Error(`${source}: checkpoint does not match the model: ${problems.join('; ')}`);
}

/** Kit layout from PyTorch layout, as a tensor (caller disposes). */
function toKit(spec: ParamSpec, t: RawTensor, name: string): tf.Tensor {
  const values = tf.tensor(toFloat32(t, name), torchShape(spec), 'float32');
  if (spec.layout === 'plain') return values;
  const perm = spec.layout === 'conv' ? [2, 3, 1, 0] : [1, 0];
  const out = tf.transpose(values, perm);
  values.dispose();
  return out;
}

/**
 * Load checkpoint tensors into the model. Fails, naming `source`, when any tensor is missing,
 * unexpected or of the wrong shape; buffers PyTorch keeps but the kit recomputes are skipped.
 */
export function loadIntoModel(model: Dgiqa, tensors: Map<string, RawTensor>, source: string): MatchReport {
  return loadIntoStore(model.store, tensors, source);
}

/** As loadIntoModel, for the parameters whose names start with `prefix` (one backbone, say). */
export function loadIntoStore(store: ParamStore, tensors: Map<string, RawTensor>, source: string, prefix = ''): MatchReport {
  const named = stripModulePrefix(tensors);
  const specs = prefix ? new Map([...store.specs].filter(([k]) => k.startsWith(prefix))) : store.specs;
  const report = matchCheckpoint(specs, named);
  const problems: string[] = [];
  if (report.missing.length) problems.push(`missing ${report.missing.length} (${listed(report.missing)})`);
  if (report.unexpected.length) problems.push(`unexpected ${report.unexpected.length} (${listed(report.unexpected)})`);
  if (report.misshapen.length) problems.push(`misshapen ${report.misshapen.length} (${listed(report.misshapen)})`);
  if (problems.length) throw new Error(`${source}: checkpoint does not match the model: ${problems.join('; ')}`);
  for (const [name, spec] of specs) {
    firstNonFinite(named.get(name) as RawTensor, name, source);
    const kit = toKit(spec, named.get(name) as RawTensor, `${source}: ${name}`);
    store.get(name).assign(kit);
    kit.dispose();
  }
  return report;
}

/** The model's tensors in the official names and PyTorch layouts, float32, plus BatchNorm counters. */
export function exportFromModel(model: Dgiqa, batchesTracked = 0): Map<string, RawTensor> {
  const out = new Map<string, RawTensor>();
  for (const [name, spec] of model.store.specs) {
    const data = tf.tidy(() => {
      const v = model.store.get(name);
      if (spec.layout === 'plain') return v.clone();
      return tf.transpose(v, spec.layout === 'conv' ? [3, 2, 0, 1] : [1, 0]);
    });
    out.set(name, { dtype: 'F32', shape: torchShape(spec), data: data.dataSync() as Float32Array });
    data.dispose();
    // PyTorch's strict load_state_dict expects BatchNorm's counter beside its running statistics.
    if (name.endsWith('.running_var')) {
      out.set(name.replace(/running_var$/, 'num_batches_tracked'), { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(batchesTracked)) });
    }
  }
  return out;
}
