import { readFile } from 'node:fs/promises';
import { writeFileAtomic as writeAtomic } from '../util/atomic.js';
import { CheckpointFormatError, messageOf } from './errors.js';

/** Reads a whole file; a missing or unreadable file becomes a one-line error naming it. */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : messageOf(err);
    throw new CheckpointFormatError(path, `cannot read: ${why}`);
  }
}

/** Writes `chunks` to `path` atomically (util/atomic.ts); failures become one line naming the file. */
export async function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): Promise<void> {
  try {
    await writeAtomic(path, chunks);
  } catch (err) {
    const message = messageOf(err);
    // util/atomic already names the file: keep its problem, not the name twice
    throw new CheckpointFormatError(path, message.startsWith(`${path}: `) ? message.slice(path.length + 2) : `cannot write: ${message}`);
  }
}
