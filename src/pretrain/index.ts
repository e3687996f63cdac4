// Self-supervised pretraining of the demo model's Swin backbone on the kit's own renders: predict the
// scene's depth from the clean RGB image (no quality labels, no distortions), then export the backbone
// in timm's layout for src/weights/backbone.ts's loadPretrainedBackbones.
export { PRETRAIN_DEFAULTS, resolvePretrainConfig, heldOutCount } from './config.js';
export type { PretrainConfig } from './config.js';
export { sceneSlot, pretrainSceneSeed, renderPretrainScene, renderPretrainScenes, epochCrops, centreCrops, makeBatch, pearson } from './scenes.js';
export type { PretrainScene, Crop, PretrainBatch } from './scenes.js';
export { DepthPretrainModel, BACKBONE_PREFIX, targetGrid, pretrainStep, evaluateDepth, cellPrior, evaluatePrior } from './depthTask.js';
export type { PretrainStepResult, HeldOutScore } from './depthTask.js';
export { backboneToTimm, kitToTimmSwinName } from './export.js';
export { pretrain, pretrainLr } from './run.js';
export type { PretrainOptions, PretrainResult, EpochRecord } from './run.js';
