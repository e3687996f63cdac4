// What the backend holds: the engine's live tensors and bytes, and on wasm the size of the module's
// heap (it grows and never shrinks, so a leak or fragmentation shows there even when the engine's
// counts are flat); on WebGPU the bytes of the GPU buffers in use (a buffer outliving its tensor shows
// there).
import { tf } from './tf.js';

export interface BackendMemory {
  numTensors: number;
  /** bytes of live tensor data the engine tracks */
  numBytes: number;
  /** the wasm module's linear memory; undefined on other backends */
  wasmHeapBytes: number | undefined;
  /** WebGPU: bytes of GPU buffers in use (pooled free buffers excluded); undefined on other backends */
  gpuBytes: number | undefined;
}

interface WasmHeapHolder {
  wasm?: { HEAPU8?: Uint8Array };
}

export function backendMemory(): BackendMemory {
  const m = tf.memory();
  const heap = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmHeapHolder).wasm?.HEAPU8?.byteLength : undefined;
  const gpu = (m as { numBytesInGPU?: number }).numBytesInGPU;
  return { numTensors: m.numTensors, numBytes: m.numBytes, wasmHeapBytes: heap, gpuBytes: tf.getBackend() === 'webgpu' ? gpu : undefined };
}
