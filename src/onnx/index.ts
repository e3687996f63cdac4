export { exportOnnx } from './export.js';
export type { OnnxExport } from './export.js';
export { OnnxDgiqa, loadOnnxRuntime } from './session.js';
export type { OnnxOptions } from './session.js';
export { OPSET } from './graph.js';
