// What the wasm backend cannot hold. Its heap is 32-bit (4 GiB). Training keeps 16 bytes per
// parameter (weights, AdamW's m and v, gradients) before any activation; at the paper's 102.9M
// parameters that is 1.65 GB, and its step did not fit even at batch 1 (measured: the heap reached
// its cap and the step never finished). Above this much state a wasm training is refused at once.
export const WASM_TRAIN_STATE_LIMIT = 2 ** 30;

/** Why training a model of `params` parameters cannot run on `backend`, or undefined when it can. */
export function trainingMemoryProblem(backend: string, params: number, what: string): string | undefined {
  if (backend !== 'wasm' || 16 * params <= WASM_TRAIN_STATE_LIMIT) return undefined;
  return `training ${what} (${(params / 1e6).toFixed(1)}M parameters: ${((16 * params) / 1e9).toFixed(2)} GB of weights, AdamW state and gradients before activations) does not fit the wasm backend's 4 GB heap; train it on the tensorflow (GPU) backend`;
}

/**
 * True for the errors the wasm backend throws when a step's tensors outgrow its heap (Emscripten's
 * abort: "memory access out of bounds", "Aborted()", a failed grow). The module is unusable after it,
 * so the process can only stop, with a message that says what to change.
 */
export function wasmHeapExhausted(err: unknown): boolean {
  const m = err instanceof Error ? err.message : String(err);
  return /memory access out of bounds|^Aborted\(|Cannot enlarge memory|Out of memory/i.test(m);
}

/** The one-line message for a training step that outgrew the wasm heap. */
export function wasmStepTooBig(where: string, batch: number, size: number, cause: unknown): string {
  const why = cause instanceof Error ? cause.message : String(cause);
  return `${where}: a training step of batch ${batch} at ${size} px outgrew the wasm backend's 4 GB heap (${why}); use a smaller batchSize or model (the demo preset fits at batch 16) or train on the tensorflow (GPU) backend`;
}
