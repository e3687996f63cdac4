// Building records from label rows: resolving the image named by a row (up to case), checking it
// exists and stays inside the dataset root, checking the score and that no image is listed twice,
// mapping the score, and collecting the notes every loader reports.
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import type { BadInput, ImageRecord } from '../records.js';
import { DataError, DirIndex, relPath } from './files.js';
import { implausible, scaleNote, toScore01 } from './scale.js';
import type { ScoreScale } from './scale.js';
import { TABLE1_COUNTS } from './types.js';
import type { CommonOptions, DatasetId, LoadedDataset } from './types.js';

export interface RowExtras {
  /** The reference image, relative to the root (checked to exist). */
  reference?: string;
  distortion?: string;
  level?: number;
  param?: number;
  refId?: string;
}

/** True when a label names a path that leaves the root by itself (`../x`, `/x`, `C:\x`). */
function escapes(rel: string): boolean {
  return isAbsolute(rel) || /^[A-Za-z]:/.test(rel) || rel.split(/[\\/]+/).includes('..');
}

export class RecordBuilder {
  readonly index = new DirIndex();
  readonly records: ImageRecord[] = [];
  readonly notes: string[] = [];
  /** Rows left out with `skipBad` (and images missing with `skipMissing`), in label order. */
  readonly bad: BadInput[] = [];
  private readonly missing: string[] = [];
  /** Rows of `bad` left out for another reason than a missing image. */
  private otherBad = 0;
  /** Where each image was first listed, to name both rows of a duplicate. */
  private readonly seen = new Map<string, string>();
  private realRoot: string | undefined;

  constructor(
    readonly dataset: DatasetId,
    /** Absolute dataset root. */
    readonly root: string,
    readonly scale: ScoreScale,
    /** The label file rows come from (errors name it). */
    readonly labelFile: string,
    readonly options: CommonOptions = {},
  ) {}

  /**
   * Runs `body` for one label row: a DataError it throws (a cell that is not a number, an unknown
   * distortion) is, with `skipBad`, recorded and the row left out; otherwise it propagates.
   */
  row(body: () => void): void {
    try {
      body();
    } catch (err) {
      if (!(err instanceof DataError) || !this.options.skipBad) throw err;
      this.bad.push({ file: err.file, problem: err.problem });
      this.otherBad++;
    }
  }

  /**
   * Adds the row `where` (e.g. "line 12") naming `image` (relative to the root). A missing image is
   * an error naming the label file and the image, or is skipped and counted with `skipMissing`. A
   * path leaving the root, a score that is not finite or far outside the scale, an empty image
   * file and a second row for the same image are errors, or are skipped and recorded with `skipBad`.
   */
  add(where: string, image: string, raw: number, extras: RowExtras = {}): void {
    if (escapes(image)) return this.reject(this.labelFile, `${where} names ${image}, a path outside the dataset root ${this.root}`);
    if (!Number.isFinite(raw)) return this.reject(this.labelFile, `${where}: score of ${image} is not a number (${raw})`);
    if (implausible(raw, this.scale)) {
      const s = this.scale;
      return this.reject(this.labelFile, `${where}: score ${raw} of ${image} is far outside the ${s.name} range [${s.min}, ${s.max}]`);
    }
    const path = this.index.resolve(this.root, image);
    if (path === undefined) {
      const problem = `${where} names ${image}, but ${join(this.root, image)} does not exist`;
      if (this.options.skipMissing || this.options.skipBad) {
        this.missing.push(image);
        this.bad.push({ file: this.labelFile, problem });
        return;
      }
      throw new DataError(this.labelFile, problem);
    }
    // A listed name may be a link that leads nowhere (a loop, a deleted target): a bad row like any
    // other, never a bare ELOOP/ENOENT from Node (issue 20)
    let outside: string | undefined;
    let size: number;
    try {
      outside = this.leavesRoot(path);
      size = statSync(path).size;
    } catch (err) {
      return this.reject(path, `${unresolvable(err)} (listed at ${where} of ${this.labelFile})`);
    }
    if (outside !== undefined) return this.reject(path, `a link to ${outside}, outside the dataset root ${this.root}`);
    if (size === 0) return this.reject(path, `empty file (0 bytes; listed at ${where} of ${this.labelFile})`);
    const first = this.seen.get(path);
    if (first !== undefined) return this.reject(this.labelFile, `${where} repeats ${image}, already listed at ${first}`);
    this.seen.set(path, where);
    const record: ImageRecord = { image: path, relImage: relPath(this.root, path), raw, score01: toScore01(raw, this.scale) };
    if (extras.reference !== undefined) {
      const ref = this.index.resolve(this.root, extras.reference);
      if (ref === undefined) {
        throw new DataError(this.labelFile, `${where}: reference image ${join(this.root, extras.reference)} does not exist`);
      }
      record.reference = ref;
    }
    if (extras.distortion !== undefined) record.distortion = extras.distortion;
    if (extras.level !== undefined) record.level = extras.level;
    if (extras.param !== undefined) record.param = extras.param;
    if (extras.refId !== undefined) record.refId = extras.refId;
    this.records.push(record);
  }

  /** The load's result, with the scale, missing-image, bad-row and Table 1 notes appended. */
  finish(countExplanation?: string): LoadedDataset {
    // A header and no rows (or no row left) would fail later in the splits, naming no file (issue 20)
    if (this.records.length === 0) {
      const left = this.bad.length > 0 ? `; ${this.bad.length} row(s) left out as bad, the first: ${this.bad[0]!.file}: ${this.bad[0]!.problem}` : '';
      throw new DataError(this.labelFile, `no labelled image: the label file lists no usable row${left}`);
    }
    const notes = [...this.notes];
    notes.push(scaleNote(this.scale, this.records.map((r) => r.raw)));
    if (this.missing.length > 0) {
      const shown = this.missing.slice(0, 3).join(', ');
      notes.push(`${this.missing.length} label row(s) skipped: image missing (${shown}${this.missing.length > 3 ? ', ...' : ''})`);
    }
    if (this.otherBad > 0) notes.push(`${this.otherBad} label row(s) skipped as bad data (skipBad; each is in \`bad\`)`);
    const paper = TABLE1_COUNTS[this.dataset];
    const count = this.records.length;
    let line = `${count} images (paper's Table 1: ${paper})`;
    if (count !== paper && countExplanation) line += `: ${countExplanation}`;
    notes.push(line);
    return { dataset: this.dataset, root: this.root, records: this.records, notes, bad: this.bad };
  }

  /** Fails with `${file}: ${problem}`, or records it and returns with `skipBad`. */
  private reject(file: string, problem: string): void {
    if (!this.options.skipBad) throw new DataError(file, problem);
    this.bad.push({ file, problem });
    this.otherBad++;
  }

  /** Where `path` really is when a symbolic link takes it outside the (real) root; else undefined. */
  private leavesRoot(path: string): string | undefined {
    this.realRoot ??= realpathSync(this.root);
    const real = realpathSync(path);
    return real === this.realRoot || real.startsWith(this.realRoot + sep) ? undefined : real;
  }
}

/** What a failed stat or realpath of a listed file says, in words. */
function unresolvable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return 'a loop of symbolic links';
  if (code === 'ENOENT' || code === 'ENOTDIR') return 'a symbolic link to a missing file (dangling)';
  return `unreadable (${(err as Error).message.split('\n')[0]})`;
}

/** The file name without its extension. */
export function stem(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
