// Classic (hand-crafted) no-reference quality metrics, written from their published definitions.
export { NIQE_FEATURES, aggdFit, gaussianTaps, loadNiqeModel, lumaY, mscn, mvg, niqe, niqeFeatures, niqeOfFile, symmetricPinv } from './niqe.js';
export type { AggdParams, NiqeModel, NiqeOptions } from './niqe.js';
export { cubic, imresize, resizeWeights } from './imresize.js';
export type { Plane, ResizeWeights } from './imresize.js';
