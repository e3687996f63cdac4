// The DGIQA kit's public face: what notebooks import as `dgiqa`, one namespace per concern.
export * as backend from './backend/index.js';
export * as model from './model/index.js';
export * as weights from './weights/index.js';
export * as data from './data/index.js';
export * as depth from './depth/index.js';
export * as train from './train/index.js';
export * as evaluation from './eval/index.js';
export * as onnx from './onnx/index.js';
export * as plots from './plots/index.js';
export * as experiments from './experiments/index.js';
export * as report from './report/index.js';
export * as settings from './settings/index.js';
export { tf, initBackend, backendInfo } from './backend/index.js';
export { Dgiqa, DgiqaFr, configFrom } from './model/index.js';
export { describeEnvironment, environmentMarkdown } from './util/environment.js';
