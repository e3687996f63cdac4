// A batch of model inputs stored as PyTorch holds it: NCHW float `rgb` and `depth` in a safetensors
// file (the `forward` command's format, and the scoring page's). Checked once, converted to float32
// once, then cut into NHWC tensors a batch at a time. No Node API: the page bundles it.
import { tf } from '../backend/tf.js';
import { toFloat32 } from './dtypes.js';
import type { RawTensor, TensorFile } from './dtypes.js';

export interface InputBatch {
  /** images in the file */
  n: number;
  size: number;
  rgb: Float32Array;
  /** undefined for an RGB-only model */
  depth: Float32Array | undefined;
}

/** One NCHW [N, 3, size, size] tensor of the file, checked; errors name the file and the key. */
function nchwInput(tensors: Map<string, RawTensor>, key: string, path: string, size: number): RawTensor {
  const t = tensors.get(key);
  if (!t) {
    const names = [...tensors.keys()];
    const shown = names.length > 6 ? `${names.slice(0, 6).join(', ')}, ... (${names.length} in all)` : names.join(', ') || 'none';
    throw new Error(`${path}: no tensor "${key}" (expected "rgb" and "depth", NCHW float32; has: ${shown})`);
  }
  const [n, c, h, w] = t.shape;
  if (t.shape.length !== 4 || c !== 3 || h !== size || w !== size || n === 0) {
    throw new Error(`${path}: "${key}" must be NCHW [N, 3, ${size}, ${size}], got [${t.shape.join(', ')}]`);
  }
  return t;
}

/** The file's `rgb` (and, for a model that takes depth, `depth`) for a model of input side `size`. */
export function inputBatch(file: TensorFile, path: string, size: number, useDepth: boolean): InputBatch {
  const rgb = nchwInput(file.tensors, 'rgb', path, size);
  const depth = useDepth ? nchwInput(file.tensors, 'depth', path, size) : undefined;
  if (depth && depth.shape[0] !== rgb.shape[0]) throw new Error(`${path}: "rgb" has ${rgb.shape[0]} images, "depth" has ${depth.shape[0]}`);
  return { n: rgb.shape[0]!, size, rgb: toFloat32(rgb, path), depth: depth ? toFloat32(depth, path) : undefined };
}

/** Images [start, start + count) of NCHW values as an NHWC tensor (the model's layout). */
export function nhwcSlice(values: Float32Array, size: number, start: number, count: number): tf.Tensor4D {
  const per = 3 * size * size;
  return tf.tidy(() => tf.transpose(tf.tensor4d(values.subarray(start * per, (start + count) * per), [count, 3, size, size]), [0, 2, 3, 1]));
}
