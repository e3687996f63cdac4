export { Dgiqa, DgiqaFr } from './dgiqa.js';
export type { DgiqaFeatures, DgiqaOutput } from './dgiqa.js';
export { PAPER_CONFIG, PRESETS, resolveConfig, configFrom, fusedChannels } from './config.js';
export type { DgiqaConfig } from './config.js';
export { ParamStore, torchShape } from './params.js';
export type { ParamSpec, Layout, Init } from './params.js';
export { evalCtx } from './layers.js';
export type { Ctx, BnUpdate } from './layers.js';
