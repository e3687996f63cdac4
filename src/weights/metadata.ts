// The `__metadata__` of a safetensors file without reading its tensors: a resume checks which step a
// checkpoint was written at, and a paper-size optimizer file is hundreds of megabytes.
import { open } from 'node:fs/promises';
import { CheckpointFormatError, messageOf } from './errors.js';
import { MAX_SAFETENSORS_HEADER_BYTES } from './safetensors.js';

export async function readSafetensorsMetadata(path: string): Promise<Record<string, string>> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new CheckpointFormatError(path, `cannot read: ${messageOf(err)}`);
  }
  try {
    const size = (await handle.stat()).size;
    const prefix = Buffer.alloc(8);
    if (size < 8 || (await handle.read(prefix, 0, 8, 0)).bytesRead !== 8) throw new CheckpointFormatError(path, 'too short for a safetensors header');
    const n = prefix.readBigUInt64LE(0);
    // checked against the file before anything is allocated
    if (n > BigInt(Math.min(MAX_SAFETENSORS_HEADER_BYTES, size - 8))) throw new CheckpointFormatError(path, `header length ${n} does not fit the file (${size} bytes)`);
    const header = Buffer.alloc(Number(n));
    await handle.read(header, 0, header.length, 8);
    let parsed: unknown;
    try {
      parsed = JSON.parse(header.toString('utf8'));
    } catch {
      throw new CheckpointFormatError(path, 'header is not JSON');
    }
    const meta = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>).__metadata__ : undefined;
    const out: Record<string, string> = {};
    if (typeof meta === 'object' && meta !== null) for (const [k, v] of Object.entries(meta)) if (typeof v === 'string') out[k] = v;
    return out;
  } finally {
    await handle.close();
  }
}
