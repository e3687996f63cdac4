export * from './metrics.js';
export * from './density.js';
export { parseCsv, readCsv, stringColumn, numericColumn } from './csv.js';
export type { CsvTable } from './csv.js';
export { predictRecords, predictRecordsEach, resolveEngine } from './predict.js';
export type { Engine, PredictOptions, Predictions } from './predict.js';
export { meanInterval, pairedComparison } from './intervals.js';
export type { Interval, PairedComparison } from './intervals.js';
