export { AdamW, ADAMW_DEFAULTS } from './adamw.js';
export type { AdamWOptions } from './adamw.js';
export { cosineLr } from './schedule.js';
export { trainStep, lossTerms, hflip } from './step.js';
export type { Batch, StepResult } from './step.js';
