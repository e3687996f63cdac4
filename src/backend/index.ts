export { tf } from './tf.js';
export { initBackend, backendInfo, BACKENDS } from './select.js';
export type { BackendName, BackendInfo } from './select.js';
export { registerWasmGradKernels } from './wasmGrads.js';
