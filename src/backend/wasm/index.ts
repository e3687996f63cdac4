// The kit's wasm kernels and gradient fixes: what the backend selection and the tests use.
export { registerWasmGradKernels, WASM_GRAD_KERNELS, WASM_MISSING_KERNELS, WASM_REPLACED_KERNELS } from './register.js';
export { registerGradientFixes, ADDED_GRADIENTS } from './gradients.js';
export { checkWasmInternals, installedWasmVersion, WASM_BACKEND_VERSION } from './internals.js';
export { planMatMul } from './matmulPlan.js';
export type { MatMulPlan } from './matmulPlan.js';
