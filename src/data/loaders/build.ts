// Building records from label rows: resolving the image named by a row (up to case), checking it
// exists, mapping the score, and collecting the notes every loader reports.
import { join } from 'node:path';
import type { ImageRecord } from '../records.js';
import { DataError, DirIndex, relPath } from './files.js';
import { scaleNote, toScore01 } from './scale.js';
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

export class RecordBuilder {
  readonly index = new DirIndex();
  readonly records: ImageRecord[] = [];
  readonly notes: string[] = [];
  private readonly missing: string[] = [];

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
   * Adds the row `where` (e.g. "line 12") naming `image` (relative to the root). A missing image is
   * an error naming the label file and the image, or is skipped and counted with `skipMissing`.
   */
  add(where: string, image: string, raw: number, extras: RowExtras = {}): void {
    const path = this.index.resolve(this.root, image);
    if (path === undefined) {
      if (this.options.skipMissing) {
        this.missing.push(image);
        return;
      }
      throw new DataError(this.labelFile, `${where} names ${image}, but ${join(this.root, image)} does not exist`);
    }
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

  /** The load's result, with the scale, missing-image and Table 1 notes appended. */
  finish(countExplanation?: string): LoadedDataset {
    const notes = [...this.notes];
    notes.push(scaleNote(this.scale, this.records.map((r) => r.raw)));
    if (this.missing.length > 0) {
      const shown = this.missing.slice(0, 3).join(', ');
      notes.push(`${this.missing.length} label row(s) skipped: image missing (${shown}${this.missing.length > 3 ? ', ...' : ''})`);
    }
    const paper = TABLE1_COUNTS[this.dataset];
    const count = this.records.length;
    let line = `${count} images (paper's Table 1: ${paper})`;
    if (count !== paper && countExplanation) line += `: ${countExplanation}`;
    notes.push(line);
    return { dataset: this.dataset, root: this.root, records: this.records, notes };
  }
}

/** The file name without its extension. */
export function stem(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? name;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}
