// What `dgiqa browser` and the page say to each other (page.ts runs in the browser, run.ts in Node).

export type PageBackend = 'webgpu' | 'webgl' | 'wasm';

/** The page's order of preference: the first that starts in the browser runs. */
export const PAGE_BACKENDS: readonly PageBackend[] = ['webgpu', 'webgl', 'wasm'];

/** Files served next to the page, and the model's config. */
export interface BatchRequest {
  weightsUrl: string;
  inputsUrl: string;
  /** what errors call the two files (their paths on the machine that serves them) */
  weightsName: string;
  inputsName: string;
  /** a preset name, a config object, or null: the checkpoint's own config, else the paper's */
  config: string | Record<string, unknown> | null;
  /** null: the first of PAGE_BACKENDS that starts */
  backend: PageBackend | null;
  batch: number;
}

export interface BatchResult {
  scores: number[];
  backend: string;
  /** the GPU (or SwiftShader) the backend ran on, as the browser names it; null for wasm */
  adapter: string | null;
  seconds: number;
  /** tensors the run left allocated in the page (0: nothing leaked) */
  tensorsLeft: number;
}

/** The form's last score (window.dgiqa.last), full precision. */
export interface FormScore {
  score: number;
  cropScores: number[];
  backend: string;
  adapter: string | null;
}
