// The scoring page: the model in a browser tab on WebGPU, WebGL or wasm (page.ts, bundled by
// build.ts), and the headless run behind `dgiqa browser` (run.ts).
export { buildPage } from './build.js';
export type { PageBuild } from './build.js';
export { runPage, scoreInPage, serveStatic } from './run.js';
export type { BrowserRun, FormResult, FormRun } from './run.js';
export { PAGE_BACKENDS } from './protocol.js';
export type { BatchRequest, BatchResult, FormScore, PageBackend } from './protocol.js';
