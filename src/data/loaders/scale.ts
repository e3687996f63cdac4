// Raw subjective scores to `score01` in [0, 1] with 1 the best: a linear map of each dataset's
// documented range (not of the observed min and max, so that a subset keeps its absolute level and
// two loads of the same file agree), inverted for DMOS scales where lower is better.

export interface ScoreScale {
  /** What the raw number is, for notes: 'DMOS', 'MOS', 'MOS_zscore'. */
  name: string;
  min: number;
  max: number;
  higherIsBetter: boolean;
}

/** Maps one raw score; values outside the documented range are clamped (and counted by callers). */
export function toScore01(raw: number, scale: ScoreScale): number {
  const t = (raw - scale.min) / (scale.max - scale.min);
  const s = scale.higherIsBetter ? t : 1 - t;
  return Math.min(1, Math.max(0, s));
}

export function outOfRange(raw: number, scale: ScoreScale): boolean {
  return raw < scale.min || raw > scale.max;
}

/**
 * How far past its documented range a raw score may lie, as a fraction of the range, and still be
 * clamped (noted) rather than refused. Real label files overshoot a little (live.ts: a few of
 * LIVE's DMOS values fall outside 0-100); a score from another scale (a 0-100 MOS in a 1-5
 * column), a typo or a sentinel such as 999 lies well past a quarter of it.
 */
export const RANGE_SLACK = 0.25;

/** A raw score too far outside the documented range to be a label (see RANGE_SLACK). */
export function implausible(raw: number, scale: ScoreScale): boolean {
  const slack = RANGE_SLACK * (scale.max - scale.min);
  return raw < scale.min - slack || raw > scale.max + slack;
}

/** The info line that states a dataset's scale (and how many raw values fell outside it). */
export function scaleNote(scale: ScoreScale, raws: readonly number[]): string {
  const direction = scale.higherIsBetter ? 'higher is better' : 'lower is better, inverted';
  let line = `score01 = linear map of ${scale.name} [${scale.min}, ${scale.max}] (${direction})`;
  const outside = raws.filter((r) => outOfRange(r, scale));
  if (outside.length > 0) {
    const lo = raws.reduce((a, b) => Math.min(a, b), Infinity);
    const hi = raws.reduce((a, b) => Math.max(a, b), -Infinity);
    line += `; ${outside.length} raw value(s) outside the range (observed ${lo} to ${hi}) clamped to 0 or 1`;
  }
  return line;
}
