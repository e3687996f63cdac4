// The image pipeline: decode, align the depth map, crop (training: random 224 window with aligned
// flips; evaluation: smaller side 384, N random 224 windows), normalize (ImageNet statistics for
// RGB and for the min-max-scaled 3-channel depth), batch as NHWC float32, ahead of the model on
// worker threads. No TensorFlow.js here: batches are plain arrays the trainer turns into tensors.
export {
  CROP_SIZE, DEFAULT_BATCH_SIZE, DEFAULT_QUEUE_BATCHES, EVAL_CROPS, EVAL_SHORT_SIDE, IMAGENET_MEAN, IMAGENET_STD,
} from './constants.js';
export { decodeDepth, decodeRgb } from './decode.js';
export { minMax, resizeBilinear, roundHalfEven, shortSideSize } from './planes.js';
export type { Plane, Samples } from './planes.js';
export {
  SAMPLE_DEFAULTS, drawEvalCrops, drawTrainCrop, evalSeedOf, evalView, loadView, normalizeValue, resizeView, runJob, sampleSeed,
  trainView, writeCrop,
} from './sample.js';
export type { CropInfo, SampleJob, SampleRecord, SampleResult, View } from './sample.js';
export { DecodePool, InlineExecutor, defaultWorkers } from './pool.js';
export type { SampleExecutor } from './pool.js';
export { Prefetcher, epochOrder } from './prefetch.js';
export type { CropBatch, LoaderOptions } from './prefetch.js';
export { evalCrops, trainCrop } from './single.js';
