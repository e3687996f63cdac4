// File-system helpers shared by the dataset loaders: one-line errors that name the file, and
// case-insensitive lookups, because the official archives mix case (TID2013's `I25.BMP` next to
// `i01_01_1.bmp`, LIVE Challenge's `.JPG` next to `.bmp`) and may be unpacked on any file system.
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';

/** An error about a dataset's files; its message is one line that starts with the file's path. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    // one line, of a readable length: names from label files may hold newlines or run on
    const line = problem.replace(/\s*[\r\n]+\s*/g, ' ');
    super(`${file}: ${line.length > 600 ? `${line.slice(0, 597)}...` : line}`);
    this.name = 'DataError';
  }
}

/** `rel` (a path below `root`) with forward slashes, whatever the platform. */
export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/** The path of `file` relative to `root`, with forward slashes. */
export function relPath(root: string, file: string): string {
  return toPosix(relative(root, file));
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Resolves the dataset root, failing at once (one line) when it is not a folder. */
export function checkRoot(root: string, layout: string): string {
  const abs = resolve(root);
  if (!isDirectory(abs)) throw new DataError(abs, `not a folder (expected ${layout})`);
  return abs;
}

/** Reads a whole text file; a missing file gets the layout the loader expected. */
export async function readText(file: string, layout: string): Promise<string> {
  return (await readBytes(file, layout)).toString('utf8').replace(/^\uFEFF/, '');
}

export async function readBytes(file: string, layout: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new DataError(file, `missing (expected ${layout})`);
    throw new DataError(file, `unreadable (${(err as Error).message})`);
  }
}

/**
 * Case-insensitive file lookup with one `readdir` per folder (a folder of 40k images is listed
 * once, not probed 40k times). An exact match wins over a case-insensitive one.
 */
export class DirIndex {
  private readonly listings = new Map<string, { exact: Set<string>; folded: Map<string, string> } | null>();

  private listing(dir: string): { exact: Set<string>; folded: Map<string, string> } | null {
    let entry = this.listings.get(dir);
    if (entry === undefined) {
      try {
        const names = readdirSync(dir);
        const folded = new Map<string, string>();
        for (const name of names.sort()) {
          const key = name.toLowerCase();
          if (!folded.has(key)) folded.set(key, name);
        }
        entry = { exact: new Set(names), folded };
      } catch {
        entry = null;
      }
      this.listings.set(dir, entry);
    }
    return entry;
  }

  /** The names in `dir` (sorted), or undefined when it is not a readable folder. */
  names(dir: string): string[] | undefined {
    const listing = this.listing(dir);
    return listing ? [...listing.exact].sort() : undefined;
  }

  /** The actual name in `dir` matching `name` up to case, or undefined. */
  find(dir: string, name: string): string | undefined {
    const listing = this.listing(dir);
    if (!listing) return undefined;
    if (listing.exact.has(name)) return name;
    return listing.folded.get(name.toLowerCase());
  }

  /**
   * The absolute path of `rel` (slash-separated, below `base`), matching every segment up to case;
   * undefined when some segment does not exist.
   */
  resolve(base: string, rel: string): string | undefined {
    let dir = base;
    for (const segment of rel.split(/[\\/]+/).filter((s) => s !== '' && s !== '.')) {
      const actual = this.find(dir, segment);
      if (actual === undefined) return undefined;
      dir = join(dir, actual);
    }
    return dir;
  }

  /** The first of `candidates` (relative folder names) that exists under `base` as a folder. */
  findDir(base: string, candidates: readonly string[]): string | undefined {
    for (const candidate of candidates) {
      const found = this.resolve(base, candidate);
      if (found !== undefined && isDirectory(found)) return found;
    }
    return undefined;
  }
}

/** Image file extensions the kit decodes (sharp for the first ones, its own decoder for BMP). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.webp'];

export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}
