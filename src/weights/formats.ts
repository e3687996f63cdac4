/**
 * Checkpoint files: safetensors and torch.save (.pth), read into plain typed arrays. This is
 * the public surface of the file-format layer; it has no TensorFlow.js dependency.
 */
import type { CheckpointFormat, TensorFile } from './dtypes.js';
import { CheckpointFormatError } from './errors.js';
import { readFileBytes } from './io.js';
import { parsePth } from './pth.js';
import type { ParseOptions } from './pth.js';
import { parseSafetensors } from './safetensors.js';
import { looksLikeZip } from './zip.js';

export type { CheckpointFormat, DType, RawTensor, TensorData, TensorFile } from './dtypes.js';
export {
  DTYPE_ITEMSIZE,
  bf16BitsToNumber,
  f16BitsToNumber,
  float32ToBf16Bits,
  float32ToF16Bits,
  isDType,
  numelOf,
  toFloat32,
} from './dtypes.js';
export { CheckpointFormatError } from './errors.js';
export { writeFileAtomic } from './io.js';
export { parsePth, readPth } from './pth.js';
export type { ParseOptions } from './pth.js';
export {
  MAX_SAFETENSORS_HEADER_BYTES,
  encodeSafetensors,
  parseSafetensors,
  readSafetensors,
  writeSafetensors,
} from './safetensors.js';
export type { TensorsToWrite } from './safetensors.js';

/**
 * The format of checkpoint bytes, by content rather than file extension: a zip archive or a
 * bare pickle (legacy torch.save) is PyTorch, anything else is tried as safetensors, whose
 * strict parser then explains what is wrong.
 */
export function detectCheckpointFormat(bytes: Uint8Array): CheckpointFormat {
  const pickle = bytes.byteLength > 1 && bytes[0] === 0x80 && bytes[1]! <= 5;
  return looksLikeZip(bytes) || pickle ? 'pth' : 'safetensors';
}

/** Parses checkpoint bytes of either format; `name` labels errors. */
export function parseCheckpoint(bytes: Uint8Array, name: string, options: ParseOptions = {}): TensorFile {
  if (bytes.byteLength === 0) throw new CheckpointFormatError(name, 'empty file');
  return detectCheckpointFormat(bytes) === 'pth' ? parsePth(bytes, name, options) : parseSafetensors(bytes, name);
}

/**
 * Reads a checkpoint of either format (.safetensors, or .pth / .pt / .bin from torch.save);
 * `lazy`: a .pth storage is inflated when its data is first read (safetensors data are views of the file).
 */
export async function readCheckpoint(path: string, options: ParseOptions = {}): Promise<TensorFile> {
  return parseCheckpoint(await readFileBytes(path), path, options);
}
