export * from './formats.js';
export { loadIntoModel, loadIntoStore, exportFromModel, matchCheckpoint, stripModulePrefix } from './mapping.js';
export type { MatchReport } from './mapping.js';
export { loadModel, modelFromCheckpoint, saveModel, configInCheckpoint, CONFIG_METADATA_KEY } from './checkpoint.js';
export type { LoadedCheckpoint } from './checkpoint.js';
export { loadPretrainedBackbones, timmSwinToKit } from './backbone.js';
export type { BackboneReport } from './backbone.js';
export { readSafetensorsMetadata } from './metadata.js';
