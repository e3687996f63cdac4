// Verdicts of the full-decode check, kept in one JSON file per dataset under data/cache, keyed by
// the image path and valid while the image's and the depth map's size and mtime are unchanged: a
// dataset of 10k images is decoded once, not before every run.
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The files' identity: a change in any of these means the file has to be decoded again. */
export interface FileStamp {
  size: number;
  mtimeMs: number;
}

export interface Verdict {
  image: FileStamp;
  depth: (FileStamp & { path: string }) | null;
  /** Decoded sizes (absent when the decode failed). */
  width?: number;
  height?: number;
  depthWidth?: number;
  depthHeight?: number;
  /** The decode's one-line error. */
  error?: string;
}

const VERSION = 1;

function sameStamp(a: FileStamp | null | undefined, b: FileStamp | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export class VerdictCache {
  private readonly verdicts = new Map<string, Verdict>();
  private dirty = false;

  /** Reads `file` if it exists and is readable; an unreadable cache is just started afresh. */
  constructor(readonly file: string | undefined) {
    if (file === undefined) return;
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { version?: number; verdicts?: Record<string, Verdict> };
      if (parsed.version === VERSION && parsed.verdicts) for (const [k, v] of Object.entries(parsed.verdicts)) this.verdicts.set(k, v);
    } catch {
      // absent or damaged: every file is checked again
    }
  }

  /** The stored verdict of `image` if neither file changed since. */
  get(image: string, stamp: FileStamp, depth: (FileStamp & { path: string }) | null): Verdict | undefined {
    const v = this.verdicts.get(image);
    if (v === undefined || !sameStamp(v.image, stamp) || !sameStamp(v.depth, depth) || (v.depth?.path ?? null) !== (depth?.path ?? null)) return undefined;
    return v;
  }

  /** Drops the verdicts about `file` (an image, or the depth map of one); true when there were any. */
  forget(file: string): boolean {
    let any = false;
    for (const [image, v] of this.verdicts) {
      if (image === file || v.depth?.path === file) {
        this.verdicts.delete(image);
        any = true;
      }
    }
    this.dirty ||= any;
    return any;
  }

  set(image: string, verdict: Verdict): void {
    this.verdicts.set(image, verdict);
    this.dirty = true;
  }

  /** Writes the file (atomically) if anything was added; false when it could not be written. */
  save(): boolean {
    if (this.file === undefined || !this.dirty) return true;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: VERSION, verdicts: Object.fromEntries(this.verdicts) }));
      renameSync(tmp, this.file);
    } catch {
      // a read-only kit folder costs the next run a decode, not this run its result
      return false;
    }
    this.dirty = false;
    return true;
  }
}

/**
 * Drops what every verdict file in `dir` says about `file`: a file that failed inside an epoch after
 * a cached verdict called it good (changed in place, same size and mtime) is decoded again by the
 * next check instead of being passed once more (issue 20). A cache that cannot be read or written is
 * left as it is: the epoch has already left the file out.
 */
export function forgetVerdicts(dir: string, file: string): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of names) {
    const cache = new VerdictCache(join(dir, name));
    if (cache.forget(file)) cache.save();
  }
}
