// The wasm backend's internals that the heap kernels use, in one place: makeOutput and
// typedArrayFromHeap (its JavaScript kernels' helpers, absent from tfjs-core's KernelBackend type)
// and its dataId reference counts. A tfjs upgrade can change them without a compile error, so
// checkWasmInternals runs before any kernel is registered and names what is wrong.
import { createRequire } from 'node:module';
import { tf } from '../tf.js';
import type { HeapArray } from './heapCopy.js';

/** The @tensorflow/tfjs-backend-wasm release the kernels were written and checked against. */
export const WASM_BACKEND_VERSION = '4.22.0';

/** The backend members the kernels call, all methods. */
interface HeapBackend {
  /** allocates a tensor's data on the wasm heap */
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** a view of a tensor's data on the heap, no copy (detached once the heap grows) */
  typedArrayFromHeap(t: tf.TensorInfo): HeapArray;
  /** one more reference to a dataId: Identity hands out the same data */
  incRef(dataId: tf.DataId): void;
  refCount(dataId: tf.DataId): number;
}

type Internal = keyof HeapBackend;
const INTERNALS: readonly Internal[] = ['makeOutput', 'typedArrayFromHeap', 'incRef', 'refCount'];
/** Members tfjs-core's KernelBackend declares as placeholders that throw; a backend must override them. */
const CORE_PLACEHOLDERS: ReadonlySet<Internal> = new Set<Internal>(['incRef', 'refCount']);

/** The installed @tensorflow/tfjs-backend-wasm version, from its package.json ('unknown' if unreadable). */
export function installedWasmVersion(): string {
  const require = createRequire(import.meta.url);
  const pkg: unknown = require('@tensorflow/tfjs-backend-wasm/package.json');
  const version = typeof pkg === 'object' && pkg !== null ? Reflect.get(pkg, 'version') : undefined;
  return typeof version === 'string' ? version : 'unknown';
}

/** The first internal the backend lacks (or only has as tfjs-core's placeholder); undefined when all are there. */
function missingInternal(backend: object): string | undefined {
  for (const name of INTERNALS) {
    const member: unknown = Reflect.get(backend, name);
    if (typeof member !== 'function') return `${name}() (found ${typeof member})`;
    if (CORE_PLACEHOLDERS.has(name) && member === Reflect.get(tf.KernelBackend.prototype, name)) {
      return `${name}() (only tfjs-core's placeholder)`;
    }
  }
  return undefined;
}

/**
 * Throws one line naming the installed version when it is not WASM_BACKEND_VERSION, or when the
 * backend object lacks an internal the kernels use. Inputs as parameters, so a test can fake either.
 */
export function checkWasmInternals(version: string, backend: object | null | undefined): void {
  const pkg = `@tensorflow/tfjs-backend-wasm ${version}`;
  if (version !== WASM_BACKEND_VERSION) {
    throw new Error(
      `${pkg} is installed, but the kit's wasm kernels (src/backend/wasm) use internals of ${WASM_BACKEND_VERSION}: install ${WASM_BACKEND_VERSION} (npm ci), or check the kernels against ${version} and update WASM_BACKEND_VERSION`);
  }
  if (backend === null || backend === undefined) {
    throw new Error(`${pkg}: the wasm backend is not initialised; call tf.setBackend('wasm') before registering the kit's wasm kernels`);
  }
  const missing = missingInternal(backend);
  if (missing !== undefined) {
    throw new Error(`${pkg}: the backend lacks ${missing}, an internal the kit's wasm kernels (src/backend/wasm) use; reinstall ${WASM_BACKEND_VERSION} (npm ci)`);
  }
}

/** Backends already found to have every internal: the heap kernels run thousands of times a step. */
const vetted = new WeakSet<object>();

function isHeapBackend(backend: object): backend is HeapBackend {
  if (vetted.has(backend)) return true;
  if (missingInternal(backend) !== undefined) return false;
  vetted.add(backend);
  return true;
}

/** The kernel's backend as the wasm backend; checkWasmInternals has vetted it before registration. */
function heap(backend: object): HeapBackend {
  if (!isHeapBackend(backend)) throw new Error(`a kit wasm kernel ran on a backend without the wasm internals (${missingInternal(backend)})`);
  return backend;
}

/** A new tensor of `shape` on the wasm heap, its data not yet written. */
export function makeHeapOutput(backend: object, shape: number[], dtype: tf.DataType): tf.TensorInfo {
  return heap(backend).makeOutput(shape, dtype);
}

/** The tensor's data on the wasm heap; take views after any makeHeapOutput, which may grow the heap. */
export function heapView(backend: object, t: tf.TensorInfo): HeapArray {
  return heap(backend).typedArrayFromHeap(t);
}

/** x's data under a new TensorInfo: one more reference, no copy. */
export function shareData(backend: object, x: tf.TensorInfo): tf.TensorInfo {
  heap(backend).incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}
