// Placeholder until the wasm gradient kernels land (being written now).
export function registerWasmGradKernels(): void {}
