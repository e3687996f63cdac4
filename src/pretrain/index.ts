// Self-supervised pretraining of the demo model's Swin backbone on the kit's own renders: predict the
// scene's depth from the clean RGB image (no quality labels, no distortions), then export the backbone
// in timm's layout for src/weights/backbone.ts's loadPretrainedBackbones.
export { PRETRAIN_DEFAULTS, PRETRAIN_TASKS, resolvePretrainConfig, heldOutCount } from './config.js';
export type { PretrainConfig, PretrainTask } from './config.js';
export { APPEARANCE_STATS, STRUCTURE_STATS, cellStats, statsPerSet, drawDistortion, distortScene, strengthAt } from './appearance.js';
export type { AppliedDistortion } from './appearance.js';
export { sceneSlot, pretrainSceneSeed, renderPretrainScene, renderPretrainScenes, epochCrops, centreCrops, makeBatch, channelScale, targetChannels, pearson } from './scenes.js';
export type { PretrainScene, Crop, PretrainBatch, BatchTask, ChannelScale } from './scenes.js';
export { DepthPretrainModel, BACKBONE_PREFIX, targetGrid, pretrainStep, evaluateDepth, cellPrior, evaluatePrior } from './depthTask.js';
export type { PretrainStepResult, HeldOutScore } from './depthTask.js';
export { backboneToTimm, kitToTimmSwinName } from './export.js';
export { pretrain, pretrainLr } from './run.js';
export type { PretrainOptions, PretrainResult, EpochRecord } from './run.js';
export { probeReport, backboneFeatures } from './probe.js';
export type { ProbeRow, ProbeReport, ProbeDistortion } from './probe.js';
