// From full-reference indices to labels, and the labels.csv / pairs.csv formats.

/** A stronger level must score strictly lower than the level before by at least this much. */
export const MONOTONE_MARGIN = 0.001;

export const MONOTONE_GUARD =
  `score01 = q, except that within one (scene, type) a level whose q is not at least ${MONOTONE_MARGIN} below ` +
  `the previous level's score gets that score minus ${MONOTONE_MARGIN}; rawViolations counts such cases`;

/**
 * Scores for one (scene, type) in level order. The level tables are set so that the FR index is
 * already decreasing (rawViolations is 0 on the shipped profiles); the guard only makes the
 * promise "a stronger level never scores higher" hold for any seed.
 */
export function monotoneScores(raw: readonly number[]): { scores: number[]; violations: number } {
  const scores: number[] = [];
  let violations = 0;
  for (let k = 0; k < raw.length; k++) {
    let s = raw[k] as number;
    const prev = k > 0 ? (scores[k - 1] as number) : Infinity;
    if (s > prev - MONOTONE_MARGIN) {
      violations++;
      s = Math.max(0, prev - MONOTONE_MARGIN);
    }
    scores.push(s);
  }
  return { scores, violations };
}

export interface LabelRow {
  image: string;
  reference: string;
  distortion: string;
  level: number;
  score01: number;
  refId: string;
  raw: number;
}

export const LABEL_COLUMNS = ['image', 'reference', 'distortion', 'level', 'score01', 'refId', 'raw'] as const;

const fmt = (v: number): string => v.toFixed(6);

export function labelsCsv(rows: readonly LabelRow[]): string {
  const lines = [LABEL_COLUMNS.join(',')];
  for (const r of rows) lines.push([r.image, r.reference, r.distortion, r.level, fmt(r.score01), r.refId, fmt(r.raw)].join(','));
  return lines.join('\n') + '\n';
}

/** One line of pairs.csv: paths relative to the family folder. */
export interface PairRow {
  clean: string;
  distorted: string;
  distortion: string;
  level: number;
  refId: string;
}

export const PAIR_COLUMNS = ['clean', 'distorted', 'distortion', 'level', 'refId'] as const;

export function pairsCsv(pairs: readonly PairRow[]): string {
  const lines = [PAIR_COLUMNS.join(',')];
  for (const p of pairs) lines.push([p.clean, p.distorted, p.distortion, p.level, p.refId].join(','));
  return lines.join('\n') + '\n';
}

/** Parses a header-first CSV without quoting (the generator never writes commas inside fields). */
export function parseSimpleCsv(text: string, file: string, required: readonly string[]): Record<string, string>[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = (lines[0] ?? '').split(',');
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new Error(`${file}: expected columns ${required.join(',')}; missing ${missing.join(',')} (header: ${lines[0] ?? '<empty file>'})`);
  }
  return lines.slice(1).map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== header.length) throw new Error(`${file}:${i + 2}: expected ${header.length} fields, found ${cells.length}`);
    const row: Record<string, string> = {};
    header.forEach((h, k) => { row[h] = cells[k] as string; });
    return row;
  });
}
