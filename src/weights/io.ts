import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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

/**
 * Writes `chunks` to `path` so that a reader never sees a half-written file: the bytes go to a
 * temporary file in the same folder (same file system, so rename is atomic), are flushed to
 * disk, then renamed over the target. An interrupted write leaves the old file intact.
 */
export async function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let handle;
  try {
    handle = await open(tmp, 'wx');
  } catch (err) {
    throw new CheckpointFormatError(path, `cannot write: ${messageOf(err)}`);
  }
  try {
    for (const chunk of chunks) {
      let done = 0;
      // A write may be partial; loop until the chunk is out.
      while (done < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done);
        done += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, path);
  } catch (err) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err instanceof CheckpointFormatError ? err : new CheckpointFormatError(path, `cannot write: ${messageOf(err)}`);
  }
}
