// Records the kernels a TensorFlow.js computation runs, outermost calls only, while it runs for real.
// What the training graph (src/train/onnxEngine.ts) is made from: one training step of the kit's own model code,
// its forward, tfjs's gradients and the kit's backward kernels, as a list of kernel calls with their
// inputs, outputs and attributes. Kernels that other kernels call (the kit's wasm kernels are built
// from tfjs ops) are not recorded: their caller stands for them.
import { tf, withKernelsWrapped } from '../backend/index.js';

export interface KernelCall {
  name: string;
  /** the kernel's named inputs in their declared order (a list for Concat and Pack) */
  inputs: tf.TensorInfo[];
  inputNames: string[];
  outputs: tf.TensorInfo[];
  attrs: tf.NamedAttrMap;
}

export interface Trace<T> {
  result: T;
  calls: KernelCall[];
  /** values of the tensors the kernels read that no recorded call made and the caller did not name */
  constants: Map<string, Float32Array>;
}

const ids = new WeakMap<object, number>();
let nextId = 0;

/** One value of the trace: a tensor's data, shape and type (a reshape shares the data, not the key). */
export function valueKey(info: tf.TensorInfo): string {
  let id = ids.get(info.dataId);
  if (id === undefined) ids.set(info.dataId, (id = nextId++));
  return `${id}:${info.dtype}:${info.shape.join('x')}`;
}

type Backend = { readSync(dataId: object): ArrayLike<number> | Uint8Array[] };

/** The values of a live tensor, as float32 (what the engine refuses to read in any other type is named). */
export function readValues(info: tf.TensorInfo): Float32Array {
  if (info.dtype !== 'float32' && info.dtype !== 'int32' && info.dtype !== 'bool') throw new Error(`trace: cannot read a ${info.dtype} tensor`);
  const backend = tf.engine().backend as unknown as Backend;
  const size = info.shape.reduce((a, b) => a * b, 1);
  const raw = backend.readSync(info.dataId) as ArrayLike<number>;
  return Float32Array.from({ length: size }, (_, i) => raw[i]);
}

/** Runs `fn` and returns what it returned with its outermost kernel calls, in order. */
export function traceKernels<T>(fn: () => T, external: ReadonlySet<string>): Trace<T> {
  const calls: KernelCall[] = [];
  const constants = new Map<string, Float32Array>();
  const made = new Set<string>();
  let depth = 0;
  const result = withKernelsWrapped((kernelName, original) => (args) => {
    if (depth === 0) {
      // read now: a constant made inside fn is usually disposed before fn returns
      for (const info of Object.values(args.inputs)) {
        if (!info) continue;
        const key = valueKey(info);
        if (!made.has(key) && !external.has(key) && !constants.has(key)) constants.set(key, readValues(info));
      }
    }
    depth += 1;
    let out: tf.TensorInfo | tf.TensorInfo[];
    try {
      out = original(args);
    } finally {
      depth -= 1;
    }
    if (depth === 0) {
      const named = Object.entries(args.inputs).filter((e): e is [string, tf.TensorInfo] => e[1] !== undefined && e[1] !== null);
      const outputs = Array.isArray(out) ? out : [out];
      for (const o of outputs) made.add(valueKey(o));
      calls.push({ name: kernelName, inputs: named.map((e) => e[1]), inputNames: named.map((e) => e[0]), outputs, attrs: { ...(args.attrs ?? {}) } });
    }
    return out;
  }, fn);
  return { result, calls, constants };
}
