// Every number of the image pipeline in one place (GUIDE: the model's inputs; the official
// inference script, uf-robopi/DGIQA single_image_inference.py).

/** ImageNet channel means (R, G, B) on the 0..1 scale, applied to RGB and to the 3-channel depth. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
/** ImageNet channel standard deviations (R, G, B). */
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Side of the square crops the two Swin-T backbones take. */
export const CROP_SIZE = 224;
/** Evaluation: the smaller image side is resized to this (albumentations `SmallestMaxSize(384)`). */
export const EVAL_SHORT_SIDE = 384;
/**
 * Evaluation: random crops per image whose scores are averaged. The GUIDE and the paper's appendix
 * A.1 use 20; note that the released single_image_inference.py has `--crops` default 10.
 */
export const EVAL_CROPS = 20;

/** Default number of decode workers: min(2, cores). */
export const DEFAULT_MAX_WORKERS = 2;
/** Jobs a worker holds at once: one decoding (libvips, off the JS thread) while one is cropped. */
export const JOBS_PER_WORKER = 2;
/** Default number of batches decoded ahead of the consumer (the bounded queue). */
export const DEFAULT_QUEUE_BATCHES = 2;
/** Default batch size (images per batch). */
export const DEFAULT_BATCH_SIZE = 16;
