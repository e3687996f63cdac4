// Data: the paper's datasets from their official files, the embedded benchmark, splits, the image pipeline.
export * from './loaders/index.js';
export * from './synth/index.js';
export * from './splits.js';
export {
  Prefetcher, DecodePool, InlineExecutor, evalCrops, trainCrop, epochOrder, IMAGENET_MEAN, IMAGENET_STD, CROP_SIZE, EVAL_SHORT_SIDE, EVAL_CROPS,
} from './pipeline/index.js';
export type { CropBatch, LoaderOptions, SampleRecord, SampleResult } from './pipeline/index.js';
export { decodeImage } from './image.js';
