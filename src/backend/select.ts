// Picks the compute backend: the GPU build of libtensorflow when it works, else WebGPU on a GPU adapter
// (Dawn, no CUDA), else wasm, else cpu. A CPU WebGPU adapter (SwiftShader) only when asked for by name.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setting } from '../settings/index.js';
import { tf } from './tf.js';
import { registerGradientFixes, registerWasmGradKernels } from './wasm/index.js';
import { setupWebgpu } from './webgpu.js';
import type { WebgpuAdapter } from './webgpu.js';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

export interface BackendInfo {
  name: BackendName;
  /** true only when a GPU runs the kernels: CUDA loaded into this process, or a WebGPU GPU adapter */
  gpu: boolean;
  /** webgpu only: the adapter it runs on (a GPU, or a CPU adapter such as SwiftShader) */
  adapter?: WebgpuAdapter;
  /** one line for the terminal: what runs, and why */
  message: string;
}

let current: BackendInfo | undefined;

/** CUDA shows up in the process's memory map once libtensorflow has opened a GPU device. */
function cudaLoaded(): boolean {
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8');
    return /libcudart|libcudnn|libcuda\.so/.test(maps);
  } catch {
    return false;
  }
}

async function tryTensorflow(): Promise<string | undefined> {
  try {
    // Optional dependency: absent where its libtensorflow download failed. createRequire keeps
    // TypeScript from needing its types when it is not installed.
    const require = createRequire(import.meta.url);
    require('@tensorflow/tfjs-node-gpu');
  } catch (err) {
    return `@tensorflow/tfjs-node-gpu is not usable (${(err as Error).message.split('\n')[0]})`;
  }
  if (!(await tf.setBackend('tensorflow'))) return 'the tensorflow backend failed to initialise';
  return undefined;
}

/**
 * Initialise the backend once per process. `requested` (or DGIQA_BACKEND) forces one; without it
 * the GPU build is tried first, then wasm. Returns what is really in use, GPU or not.
 */
export async function initBackend(requested?: BackendName): Promise<BackendInfo> {
  const forced = requested ?? setting('DGIQA_BACKEND');
  if (forced !== undefined && !BACKENDS.includes(forced)) throw new Error(`unknown backend "${String(forced)}" (expected ${BACKENDS.join(', ')})`);
  if (current && (!forced || forced === current.name)) return current;

  const notes: string[] = [];
  let name: BackendName | undefined;
  if (forced === 'tensorflow' || forced === undefined) {
    const failure = await tryTensorflow();
    if (failure === undefined) name = 'tensorflow';
    else if (forced === 'tensorflow') throw new Error(`DGIQA_BACKEND=tensorflow: ${failure}`);
    else notes.push(failure);
  }
  let adapter: WebgpuAdapter | undefined;
  if (name === undefined && (forced === 'webgpu' || forced === undefined)) {
    // by name, a CPU adapter is accepted (correctness checks); automatically, only a GPU
    const found = await setupWebgpu(forced === 'webgpu');
    if (typeof found !== 'string') {
      adapter = found;
      name = 'webgpu';
    } else if (forced === 'webgpu') throw new Error(`DGIQA_BACKEND=webgpu: ${found}`);
    else notes.push(`WebGPU: ${found}`);
  }
  if (name === undefined && (forced === 'wasm' || forced === undefined)) {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      registerWasmGradKernels();
      name = 'wasm';
    } else if (forced === 'wasm') throw new Error('DGIQA_BACKEND=wasm: the wasm backend failed to initialise');
    else notes.push('the wasm backend failed to initialise');
  }
  if (name === undefined) {
    await tf.setBackend('cpu');
    name = 'cpu';
  }
  await tf.ready();
  // gradients tfjs-core lacks or gets wrong (strided slice, dilated conv, half-pixel resize): every backend
  registerGradientFixes();

  let gpu = false;
  let message: string;
  if (name === 'tensorflow') {
    tf.tidy(() => tf.matMul(tf.ones([8, 8]), tf.ones([8, 8])).dataSync());
    gpu = cudaLoaded();
    message = gpu
      ? 'backend: tensorflow (libtensorflow with CUDA: running on the GPU)'
      : 'backend: tensorflow, but NO GPU IS IN USE: libtensorflow runs on the CPU (it needs CUDA 11.2 and cuDNN 8.1 on the library path; see README, "GPU")';
  } else if (name === 'webgpu' && adapter !== undefined) {
    gpu = adapter.gpu;
    message = adapter.gpu
      ? `backend: webgpu (Dawn, GPU adapter ${adapter.name})`
      : `backend: webgpu on a CPU adapter (${adapter.name}): right results at a CPU's speed, for checks, not for training`;
  } else {
    message = `backend: ${name}${name === 'wasm' ? ' (WebAssembly SIMD, one thread)' : ' (pure JavaScript, slow)'}`;
    if (notes.length > 0) message += `; no GPU: ${notes.join('; ')}`;
  }
  current = { name, gpu, message, ...(adapter ? { adapter } : {}) };
  return current;
}

/** The backend in use, initialising the default one if needed. */
export async function backendInfo(): Promise<BackendInfo> {
  return current ?? initBackend();
}

/**
 * True on a backend that drives one device (libtensorflow, WebGPU): tfjs runs every step there, not
 * ONNX Runtime on the CPU, and trainings go one at a time (the device serialises them anyway).
 */
export function onDeviceBackend(): boolean {
  const name = tf.getBackend();
  return name === 'tensorflow' || name === 'webgpu';
}
