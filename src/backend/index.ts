export { tf } from './tf.js';
export { initBackend, backendInfo, BACKENDS } from './select.js';
export type { BackendName, BackendInfo } from './select.js';
export { registerWasmGradKernels, registerGradientFixes, WASM_GRAD_KERNELS } from './wasmGrads.js';
export { backendMemory } from './memory.js';
export type { BackendMemory } from './memory.js';
export { WASM_TRAIN_STATE_LIMIT, trainingMemoryProblem } from './limits.js';
