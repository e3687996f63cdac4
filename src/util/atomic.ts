// Files that are either the old version or the new one, never half of either: bytes go to a
// temporary file in the same folder (so the rename is atomic), are flushed to disk, renamed over the
// target, and the folder entry is flushed too. A run killed at any point leaves at most a stray
// temporary file, which `removeStaleTemporaries` clears on the next start.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { faultPoint } from './faults.js';

const TMP_SUFFIX = '.tmp';

/** `.name.<pid>.<random>.tmp` beside the target: hidden, and unique per writer. */
function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`);
}

/**
 * `sync: false` skips the flushes, for files a rerun regenerates (atomic still, against a kill). A
 * failure (ENOSPC above all: Node's message names no file) is one line naming `path` (issue 20).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array | Iterable<Uint8Array>, options: { sync?: boolean } = {}): Promise<void> {
  try {
    await writeUnnamed(path, data, options);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${path}: cannot write: ${message.split('\n')[0]}`, { cause: err });
  }
}

async function writeUnnamed(path: string, data: string | Uint8Array | Iterable<Uint8Array>, options: { sync?: boolean }): Promise<void> {
  const sync = options.sync ?? true;
  const chunks: Iterable<Uint8Array> = typeof data === 'string' ? [Buffer.from(data)] : data instanceof Uint8Array ? [data] : data;
  const tmp = temporaryName(path);
  const handle = await open(tmp, 'wx');
  try {
    let first = true;
    for (const chunk of chunks) {
      if (!first) faultPoint('write'); // a kill between chunks leaves a half-written temporary
      first = false;
      let done = 0;
      // a write may be partial; loop until the chunk is out
      while (done < chunk.byteLength) done += (await handle.write(chunk, done, chunk.byteLength - done)).bytesWritten;
    }
    if (sync) await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  if (sync) await syncFolder(dirname(path));
}

/** Flush a folder's entries (the rename) to disk; some file systems refuse, which costs only durability. */
export async function syncFolder(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // EISDIR/EINVAL/EPERM on file systems without directory fsync: the rename itself is still atomic
  }
}

/** Deletes the temporaries that killed writers left in `dir`; returns how many. */
export async function removeStaleTemporaries(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const stale = names.filter((n) => n.startsWith('.') && n.endsWith(TMP_SUFFIX) && /\.\d+\.[0-9a-f]{8}\.tmp$/.test(n));
  for (const n of stale) await unlink(join(dir, n)).catch(() => undefined);
  return stale.length;
}
