export { exportOnnx } from './export.js';
export type { OnnxExport } from './export.js';
export { OnnxDgiqa, loadOnnxRuntime } from './session.js';
export type { OnnxOptions } from './session.js';
export { OPSET } from './graph.js';
export { OnnxGraph } from './graph.js';
export { traceKernels, valueKey } from './trace.js';
export type { KernelCall, Trace } from './trace.js';
export { translate, KERNELS } from './kernels.js';
