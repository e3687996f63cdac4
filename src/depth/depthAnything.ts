// The `depth-anything` provider: Depth Anything (Yang et al., CVPR 2024; the paper's depth model,
// ref. [58]) in ONNX through @huggingface/transformers on ONNX Runtime's CPU binaries. The model
// comes from the Hugging Face hub (downloaded once into a cache) or from a local model folder; the
// library only loads and runs it. Pre- and post-processing are the kit's, after the official DGIQA
// depth_utils.py: RGB/255, OpenCV-bicubic resize to multiples of 14 of at least 518, ImageNet
// normalization; the prediction resized bilinearly to the image, min-max scaled with a 1e-8 guard,
// times 255, truncated to 8 bits.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { setting, settingOn } from '../settings/index.js';
import { decodeImage } from '../data/image.js';
import { writeGreyPng8 } from '../data/synth/io.js';
import { resizeBilinear, resizeCubic } from './resample.js';
import { resizeMap } from './scale.js';
import type { DepthMap, DepthProvider } from './types.js';

/** Depth Anything V1 in ONNX on the hub, by the encoder names of the official inference script. */
export const DEPTH_ANYTHING_MODELS: Readonly<Record<string, string>> = Object.freeze({
  vits: 'Xenova/depth-anything-small-hf',
  vitb: 'Xenova/depth-anything-base-hf',
  vitl: 'Xenova/depth-anything-large-hf',
});

/** ONNX weight variants as the hub names their files (fp32 model.onnx, fp16 model_fp16.onnx, q8 model_quantized.onnx). */
export const DEPTH_ANYTHING_DTYPES = ['fp32', 'fp16', 'q8'] as const;

export interface DepthAnythingOptions {
  /** an encoder name (vits, vitb, vitl), a hub model id, or a local model folder */
  model?: string;
  /** ONNX weights: fp32 is onnx/model.onnx, fp16 model_fp16.onnx, q8 model_quantized.onnx (smaller, approximate) */
  dtype?: (typeof DEPTH_ANYTHING_DTYPES)[number];
  /** where hub downloads are kept (default: @huggingface/transformers' own cache) */
  modelCache?: string;
  /** where `pathOf` writes the maps it makes, one PNG per image */
  mapCache?: string;
  /** no download: the hub model must already be in modelCache (also HF_HUB_OFFLINE=1 or DGIQA_OFFLINE=1) */
  offline?: boolean;
}

export const DEPTH_ANYTHING_DEFAULTS = {
  model: 'vitl', // the official single_image_inference.py default encoder
  dtype: 'fp32' as const, // the official code runs the model in float32
  mapCache: join(tmpdir(), 'dgiqa-depth-anything'),
};

const HOW_TO_PROVIDE =
  'With network the model is downloaded once from the Hugging Face hub; offline, get a Depth Anything ONNX folder ' +
  '(config.json and onnx/model.onnx, e.g. a clone of https://huggingface.co/Xenova/depth-anything-large-hf) ' +
  'and pass it with --depth-model <folder>; or provide precomputed maps (PNGs mirroring the image tree, larger = nearer) ' +
  'with --provider precomputed --from <folder>.';

/** The part of @huggingface/transformers this provider uses (its own types are far wider). */
interface HfTensor { dims: number[]; data: ArrayLike<number> }
interface DepthModel {
  (inputs: { pixel_values: HfTensor }): Promise<{ predicted_depth: HfTensor }>;
  dispose(): Promise<unknown>;
}
interface Transformers {
  env: { allowRemoteModels: boolean; allowLocalModels: boolean; localModelPath: string; cacheDir: string | null };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => HfTensor;
  AutoModelForDepthEstimation: { from_pretrained(model: string, options: Record<string, unknown>): Promise<DepthModel> };
}

/** The official input side: Depth Anything's Resize(518, 518, keep_aspect_ratio, lower_bound, multiple of 14). */
export const DEPTH_ANYTHING_INPUT = { side: 518, multiple: 14, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/** numpy's round: halves to even. */
const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** The model input size [width, height] for an image, as the official transform computes it. */
export function depthAnythingInputSize(width: number, height: number): [number, number] {
  const { side, multiple } = DEPTH_ANYTHING_INPUT;
  const scale = Math.max(side / height, side / width);
  const constrain = (x: number): number => {
    const y = roundHalfEven(x / multiple) * multiple;
    return y < side ? Math.ceil(x / multiple) * multiple : y;
  };
  return [constrain(scale * width), constrain(scale * height)];
}

/** RGB bytes to the model's input: /255, cubic resize, ImageNet normalization, CHW float32. */
export function depthAnythingInput(rgb: { width: number; height: number; data: Uint8Array }): { data: Float32Array; width: number; height: number } {
  const [width, height] = depthAnythingInputSize(rgb.width, rgb.height);
  // Resized from the bytes and divided by 255 after: the same (resizing is linear), without a
  // float copy of a possibly large photograph.
  const resized = resizeCubic(rgb.data, rgb.height, rgb.width, 3, height, width);
  const data = new Float32Array(3 * width * height);
  const plane = width * height;
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) data[c * plane + i] = ((resized[i * 3 + c] as number) / 255 - (DEPTH_ANYTHING_INPUT.mean[c] as number)) / (DEPTH_ANYTHING_INPUT.std[c] as number);
  }
  return { data, width, height };
}

type Dtype = NonNullable<DepthAnythingOptions['dtype']>;
const DTYPE_SUFFIX: Readonly<Record<Dtype, string>> = { fp32: '', fp16: '_fp16', q8: '_quantized' }; // the hub's file names

type ModelSource =
  | { kind: 'folder'; path: string; subfolder: string; dtype: Dtype; file: string }
  | { kind: 'hub'; id: string; dtype: Dtype };

/**
 * Where the model comes from: a hub id, or a local folder checked now. In a folder the weights are
 * looked for as the hub lays them out (onnx/model.onnx) or at its top; without a dtype asked for,
 * the first of fp32, fp16, quantized that is there is taken.
 */
function resolveModel(model: string, dtype: Dtype | undefined): ModelSource {
  const alias = DEPTH_ANYTHING_MODELS[model];
  if (alias) return { kind: 'hub', id: alias, dtype: dtype ?? DEPTH_ANYTHING_DEFAULTS.dtype };
  const looksLikePath = model.startsWith('.') || model.startsWith('/') || model.includes('\\') || existsSync(model);
  if (!looksLikePath) {
    if (!/^[\w.-]+\/[\w.-]+$/.test(model)) throw new Error(`depth-anything: "${model}" is neither an encoder (${Object.keys(DEPTH_ANYTHING_MODELS).join(', ')}), a hub id (owner/name) nor a folder`);
    return { kind: 'hub', id: model, dtype: dtype ?? DEPTH_ANYTHING_DEFAULTS.dtype };
  }
  const path = resolve(model);
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new Error(`depth-anything: model folder ${path} does not exist. ${HOW_TO_PROVIDE}`);
  if (!existsSync(join(path, 'config.json'))) throw new Error(`depth-anything: ${path} is not a Depth Anything ONNX model folder (no config.json; expected config.json and onnx/model.onnx)`);
  const dtypes: readonly Dtype[] = dtype ? [dtype] : DEPTH_ANYTHING_DTYPES;
  for (const d of dtypes) {
    for (const subfolder of ['onnx', '']) {
      const file = join(subfolder, `model${DTYPE_SUFFIX[d]}.onnx`);
      if (existsSync(join(path, file))) return { kind: 'folder', path, subfolder, dtype: d, file };
    }
  }
  const wanted = dtypes.map((d) => `onnx/model${DTYPE_SUFFIX[d]}.onnx`).join(', ');
  throw new Error(`depth-anything: ${path} has no ONNX weights (looked for ${wanted}, also at the folder's top)`);
}

/**
 * Official post-processing, after the bilinear resize to the image: (d - min) / (max - min + 1e-8)
 * * 255, truncated as numpy's astype(uint8) does.
 */
export function depthAnythingToUint8(values: ArrayLike<number>): Uint8Array {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) throw new Error('depth-anything: the model predicted a non-finite depth');
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Uint8Array(values.length);
  const k = 255 / (hi - lo + 1e-8);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(255, Math.floor(((values[i] as number) - lo) * k));
  return out;
}

export async function openDepthAnything(opts: DepthAnythingOptions = {}): Promise<DepthProvider & { dispose(): Promise<void> }> {
  const modelName = opts.model ?? setting('DGIQA_DEPTH_MODEL') ?? DEPTH_ANYTHING_DEFAULTS.model;
  const offline = opts.offline ?? (process.env.HF_HUB_OFFLINE === '1' || settingOn('DGIQA_OFFLINE'));
  const mapCache = resolve(opts.mapCache ?? DEPTH_ANYTHING_DEFAULTS.mapCache);
  const where = resolveModel(modelName, opts.dtype);
  const dtype = where.dtype;

  let hf: Transformers;
  try {
    // Loaded on demand: ONNX Runtime is heavy, and only this provider needs it.
    hf = (await import('@huggingface/transformers')) as unknown as Transformers;
  } catch (err) {
    throw new Error(`depth-anything: @huggingface/transformers cannot be loaded (${firstLine(err)}); reinstall the kit with npm ci. ${HOW_TO_PROVIDE}`);
  }
  let modelId: string;
  if (where.kind === 'folder') {
    hf.env.allowLocalModels = true;
    hf.env.localModelPath = dirname(where.path) + '/';
    modelId = basename(where.path);
  } else {
    if (opts.modelCache) hf.env.cacheDir = resolve(opts.modelCache);
    modelId = where.id;
  }
  const source = where.kind === 'folder' ? join(where.path, where.file) : `${where.id} (Hugging Face hub${offline ? ', offline cache' : ''})`;
  let model: DepthModel;
  try {
    model = await hf.AutoModelForDepthEstimation.from_pretrained(modelId, {
      dtype, device: 'cpu', local_files_only: where.kind === 'folder' || offline, ...(where.kind === 'folder' ? { subfolder: where.subfolder } : {}),
    });
  } catch (err) {
    throw new Error(`depth-anything: cannot load ${source} (${firstLine(err)}). ${HOW_TO_PROVIDE}`);
  }

  // One image at a time: a session run is multi-threaded already, and parallel runs multiply memory.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const next = queue.then(job, job);
    queue = next.catch(() => undefined);
    return next;
  };

  const depthOf = (image: string, size?: { width: number; height: number }): Promise<DepthMap> => serial(async () => {
    const rgb = await decodeImage(image); // BMP too (LIVE, TID2013)
    const input = depthAnythingInput(rgb);
    let predicted: HfTensor;
    try {
      ({ predicted_depth: predicted } = await model({ pixel_values: new hf.Tensor('float32', input.data, [1, 3, input.height, input.width]) }));
    } catch (err) {
      throw new Error(`${image}: depth-anything failed (${firstLine(err)})`);
    }
    const [h, w] = predicted.dims.slice(-2) as [number, number];
    if (predicted.data.length !== h * w) throw new Error(`${image}: depth-anything returned an output of shape [${predicted.dims.join(', ')}], expected one map`);
    const map = { width: rgb.width, height: rgb.height, data: depthAnythingToUint8(resizeBilinear(predicted.data, h, w, rgb.height, rgb.width)) };
    return size ? resizeMap(map, size.width, size.height) : map;
  });

  return {
    name: 'depth-anything',
    source: `Depth Anything ${source}, ${dtype}`,
    depthOf,
    async pathOf(image) {
      // Keyed by the image's path, size and time, so an edited image gets a new map.
      const abs = resolve(image);
      const s = await stat(abs).catch(() => { throw new Error(`${image}: image missing`); });
      const key = createHash('sha256').update(`${abs}\0${s.size}\0${s.mtimeMs}\0${source}`).digest('hex').slice(0, 16);
      const target = join(mapCache, `${basename(abs, extname(abs))}-${key}.png`);
      if (await stat(target).then((t) => t.isFile() && t.size > 0, () => false)) return target;
      const map = await depthOf(abs);
      await mkdir(mapCache, { recursive: true });
      await writeGreyPng8(target, map.data, map.width, map.height);
      return target;
    },
    dispose: async () => { await model.dispose(); },
  };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
