// The check of a dataset's files before a run: every image and depth map present, not empty, and
// decodable in full (a truncated JPEG or PNG has a valid header: only decoding to its end shows it),
// and each depth map aligned with its image. The decodes run on the pipeline's worker pool and are
// cached (cache.ts). Without skipBad the first bad file is an error naming it; with it, bad files
// are left out and listed.
import { statSync } from 'node:fs';
import { DataError } from '../loaders/files.js';
import { DecodePool, InlineExecutor, SAMPLE_DEFAULTS, defaultWorkers } from '../pipeline/index.js';
import type { SampleExecutor, SampleJob } from '../pipeline/index.js';
import { CROP_SIZE } from '../pipeline/constants.js';
import type { BadInput } from '../records.js';
import { VerdictCache } from './cache.js';
import type { FileStamp, Verdict } from './cache.js';

/** Defaults of the check. */
export const CHECK_DEFAULTS = {
  /** Images smaller than this on a side are counted (training upscales them; see sample.ts trainView). */
  cropSize: CROP_SIZE,
  /**
   * A depth map of another size than its image is resized to it (the official code interpolates
   * the map to the image; sample.ts loadView does the same) when both have the same shape up to
   * rounding: one pixel per side, after scaling. Another aspect ratio means the map belongs to
   * another image or was cropped: refused.
   */
  depthAspectPixels: 1,
} as const;

export interface CheckItem {
  image: string;
  /** Its depth map; undefined: none expected (the check of images alone). */
  depth?: string | undefined;
}

export interface CheckOptions {
  /** Leave bad items out and list them, instead of failing on the first. */
  skipBad?: boolean;
  /** The verdict cache file (none: decode everything every time). */
  cacheFile?: string;
  /** A decode pool to share; otherwise one is started (workers: default min(2, cores); 0 inline). */
  pool?: SampleExecutor;
  workers?: number;
  /** Side under which an image counts as small (default CROP_SIZE). */
  cropSize?: number;
  /** Told when files have to be decoded (how many). */
  log?: (line: string) => void;
}

export interface CheckResult {
  /** Indices of the items that passed, in order. */
  ok: number[];
  bad: BadInput[];
  /** Images smaller than cropSize on a side: they load, and training upscales them. */
  small: string[];
  /** Files decoded now, and verdicts taken from the cache. */
  decoded: number;
  cached: number;
}

/** Stamp of a file, or the bad input it is (missing, not a file, empty). */
function stampOf(path: string, what: string): FileStamp | BadInput {
  try {
    const s = statSync(path);
    if (!s.isFile()) return { file: path, problem: `${what} is not a file` };
    if (s.size === 0) return { file: path, problem: `${what} is empty (0 bytes)` };
    return { size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return { file: path, problem: `${what} missing` };
  }
}

function isBad<T extends object>(x: T | BadInput): x is BadInput {
  return 'problem' in x;
}

/** Whether a w x h depth map is the image's shape, up to rounding (CHECK_DEFAULTS.depthAspectPixels). */
export function depthAligned(width: number, height: number, depthWidth: number, depthHeight: number): boolean {
  if (width === depthWidth && height === depthHeight) return true;
  // The map scaled to the image's width: its height must land within the tolerance of the image's.
  const tol = CHECK_DEFAULTS.depthAspectPixels;
  const byWidth = (depthHeight * width) / depthWidth;
  const byHeight = (depthWidth * height) / depthHeight;
  const scale = Math.max(width / depthWidth, height / depthHeight, 1);
  return Math.abs(byWidth - height) <= tol * scale && Math.abs(byHeight - width) <= tol * scale;
}

/** The verdict as a bad input, or undefined when the item is fine. */
function judge(item: CheckItem, v: Verdict): BadInput | undefined {
  if (v.error !== undefined) {
    const prefix = `${item.image}: `;
    return v.error.startsWith(prefix) ? { file: item.image, problem: v.error.slice(prefix.length) } : { file: item.image, problem: v.error };
  }
  const { width, height, depthWidth, depthHeight } = v;
  if (item.depth !== undefined && width !== undefined && height !== undefined && depthWidth !== undefined && depthHeight !== undefined) {
    if (!depthAligned(width, height, depthWidth, depthHeight)) {
      return { file: item.depth, problem: `depth map is ${depthWidth}x${depthHeight} but its image ${item.image} is ${width}x${height} (another shape: not aligned)` };
    }
  }
  return undefined;
}

/** A pool failure is no verdict about the file: it is not cached. */
function aboutThePool(message: string): boolean {
  return /decode (worker|pool)/.test(message);
}

/** Checks `items` (see the header); resolves with what passed and what did not. */
export async function checkFiles(items: readonly CheckItem[], options: CheckOptions = {}): Promise<CheckResult> {
  const skipBad = options.skipBad ?? false;
  const cropSize = options.cropSize ?? CHECK_DEFAULTS.cropSize;
  const cache = new VerdictCache(options.cacheFile);
  const verdicts: (Verdict | BadInput | undefined)[] = new Array(items.length);
  const todo: { i: number; stamp: FileStamp; depth: (FileStamp & { path: string }) | null }[] = [];
  let cached = 0;
  for (const [i, item] of items.entries()) {
    const stamp = stampOf(item.image, 'image');
    if (isBad(stamp)) {
      verdicts[i] = stamp;
    } else {
      const ds = item.depth === undefined ? null : stampOf(item.depth, `depth map of ${item.image}`);
      if (ds !== null && isBad(ds)) {
        verdicts[i] = ds;
      } else {
        const depth = ds === null ? null : { ...ds, path: item.depth! };
        const v = cache.get(item.image, stamp, depth);
        if (v !== undefined) {
          verdicts[i] = v;
          cached++;
        } else {
          todo.push({ i, stamp, depth });
        }
      }
    }
    if (!skipBad && isBadVerdict(verdicts[i], item)) break;
  }
  const stopAt = verdicts.findIndex((v, i) => isBadVerdict(v, items[i]!));

  let decoded = 0;
  const pending = stopAt >= 0 && !skipBad ? todo.filter((t) => t.i < stopAt) : todo;
  if (pending.length > 0) {
    options.log?.(`checking ${pending.length} image(s) by a full decode (once: verdicts are cached${options.cacheFile ? ` in ${options.cacheFile}` : ''})`);
    const own = options.pool === undefined;
    const exec = options.pool ?? startExecutor(options.workers);
    let next = 0;
    let failed = false;
    const lane = async (): Promise<void> => {
      while (next < pending.length && (skipBad || !failed)) {
        const t = pending[next++]!;
        const item = items[t.i]!;
        let v: Verdict;
        try {
          const r = await exec.run(checkJob(item));
          v = { image: t.stamp, depth: t.depth, width: r.width, height: r.height, ...(r.depthWidth === undefined ? {} : { depthWidth: r.depthWidth, depthHeight: r.depthHeight }) };
        } catch (err) {
          const message = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
          v = { image: t.stamp, depth: t.depth, error: message };
          if (aboutThePool(message)) {
            verdicts[t.i] = v;
            failed = true;
            continue;
          }
        }
        decoded++;
        cache.set(item.image, v);
        verdicts[t.i] = v;
        if (judge(item, v) !== undefined) failed = true;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, exec.capacity) }, lane));
    } finally {
      if (!cache.save()) options.log?.(`could not write ${options.cacheFile} (the next run decodes again)`);
      if (own) await exec.close();
    }
  }

  const ok: number[] = [];
  const bad: BadInput[] = [];
  const small: string[] = [];
  for (const [i, item] of items.entries()) {
    const v = verdicts[i];
    if (v === undefined) continue; // not reached: an earlier item stopped the check
    const b = isBad(v) ? v : judge(item, v);
    if (b !== undefined) {
      if (!skipBad) throw new DataError(b.file, b.problem);
      bad.push(b);
      continue;
    }
    const { width, height } = v as Verdict;
    if (width !== undefined && height !== undefined && (width < cropSize || height < cropSize)) small.push(item.image);
    ok.push(i);
  }
  return { ok, bad, small, decoded, cached };
}

function isBadVerdict(v: Verdict | BadInput | undefined, item: CheckItem): boolean {
  return v !== undefined && (isBad(v) || judge(item, v) !== undefined);
}

function startExecutor(workers: number = defaultWorkers()): SampleExecutor {
  if (workers === 0) return new InlineExecutor();
  try {
    return new DecodePool(workers);
  } catch {
    // no compiled worker script (running from sources): decode on this thread
    return new InlineExecutor();
  }
}

function checkJob(item: CheckItem): SampleJob {
  return { ...SAMPLE_DEFAULTS, mode: 'check', image: item.image, depth: item.depth, seed: 0 };
}
