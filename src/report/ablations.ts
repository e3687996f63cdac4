// What the ablations of notebook 07 show, computed from their saved rows: the depth-guidance table
// (the full model against the RGB-only one, on the distortions where depth matters and on the control
// group where it cannot), and one-line findings for the ablation rows and the lambda sweep, so that
// the notebook's words about significance come from the run, never typed by hand.
//
// Depth guidance, the core result of the course: haze and defocus (the benchmark's `depthDependent`
// distortions) grow with distance from the camera or the focal plane, so the depth map tells the model
// where the degradation is; on every other distortion depth says nothing about quality, and a full
// model that beat the RGB-only one there would point at something else (capacity, luck of a split).
import { DISTORTIONS } from '../data/synth/distortions.js';
import { meanInterval, pairedComparison } from '../eval/intervals.js';
import type { Interval, PairedComparison } from '../eval/intervals.js';
import type { AblationRun, LambdaRow } from '../experiments/index.js';
import {
  CI_LEVEL_PCT, checkAblationRows, differenceText, isFullModel, kitSource, pText, significanceText, withInterval,
  type AblationInput, type CourseTable,
} from './paperTables.js';
import type { TableRow } from '../plots/index.js';

export type DistortionGroup = 'depth-dependent' | 'depth-independent' | 'all';

/** One group of distortions: both models' mean SROCC over the splits, and their paired difference. */
export interface DepthGuidanceRow {
  group: DistortionGroup;
  /** the distortion types in the group (empty for `all`) */
  distortions: string[];
  /** splits on which both models have a score for the group (0: the set has no distortion types) */
  n: number;
  full?: Interval;
  rgbOnly?: Interval;
  /** full minus RGB-only, split by split */
  diff?: PairedComparison;
}

const GROUP_SCORE: Record<DistortionGroup, keyof AblationRun> = {
  'depth-dependent': 'depthDependentSrocc',
  'depth-independent': 'depthIndependentSrocc',
  all: 'srocc',
};

/** Distortion types with the given flag; only those of the set's family for the embedded benchmark (`synth-A`: family A). */
export function distortionNames(dependent: boolean, train?: string): string[] {
  const family = /^synth-([AB])$/.exec(train ?? '')?.[1];
  return DISTORTIONS.filter((d) => d.depthDependent === dependent && (family === undefined || d.families.some((f) => f === family))).map((d) => d.name);
}

/** The full model's and the RGB-only model's rows; a clear error when the study has no RGB-only model. */
function guidancePair(kit: AblationInput[]): { full: AblationInput; rgbOnly: AblationInput } {
  const full = kit.find(isFullModel);
  const rgbOnly = kit.find((r) => !r.depth);
  if (!full || !rgbOnly) throw new Error(`depth guidance: the ablation rows have no ${full ? 'RGB-only model (depth: false)' : 'full model'}`);
  return { full, rgbOnly };
}

/** Scores of the two models on the splits where both have a finite one, paired by split number. */
function pairedScores(full: AblationRun[], rgbOnly: AblationRun[], key: keyof AblationRun): { a: number[]; b: number[] } {
  const other = new Map(rgbOnly.map((r) => [r.split, r[key]]));
  const a: number[] = [];
  const b: number[] = [];
  for (const r of full) {
    const x = r[key];
    const y = other.get(r.split);
    if (Number.isFinite(x) && y !== undefined && Number.isFinite(y)) {
      a.push(x);
      b.push(y);
    }
  }
  return { a, b };
}

/** The depth-guidance numbers: one row per group (depth-dependent, depth-independent, all). */
export function depthGuidance(kit: AblationInput[], train?: string): DepthGuidanceRow[] {
  const { full, rgbOnly } = guidancePair(kit);
  return (['depth-dependent', 'depth-independent', 'all'] as const).map((group): DepthGuidanceRow => {
    const distortions = group === 'all' ? [] : distortionNames(group === 'depth-dependent', train);
    const { a, b } = pairedScores(full.runs, rgbOnly.runs, GROUP_SCORE[group]);
    if (a.length === 0) return { group, distortions, n: 0 };
    return { group, distortions, n: a.length, full: meanInterval(a), rgbOnly: meanInterval(b), diff: pairedComparison(a, b) };
  });
}

const GROUP_LABEL: Record<DistortionGroup, string> = {
  'depth-dependent': 'depth-dependent',
  'depth-independent': 'depth-independent (control)',
  all: 'all distortions',
};

const ivText = (iv: Interval | undefined): string | null => (iv ? withInterval(iv.mean, [iv.lo, iv.hi]) : null);

/** "Depth guidance where depth matters": the full model against the RGB-only one, group by group. */
export function depthGuidanceTable(profile: string, train: string, kit: AblationInput[]): CourseTable {
  checkAblationRows(profile, kit);
  const groups = depthGuidance(kit, train);
  const rows: TableRow[] = groups.map((g) => ({
    group: GROUP_LABEL[g.group],
    distortions: g.group === 'all' ? 'all' : g.distortions.join(', '),
    splits: g.n,
    full: ivText(g.full),
    rgb_only: ivText(g.rgbOnly),
    diff: g.diff ? differenceText(g.diff) : null,
    p: g.diff ? pText(g.diff.p) : null,
    significant: g.diff ? significanceText(g.diff) : null,
  }));
  const ungrouped = groups.every((g) => g.group === 'all' || g.n === 0);
  return {
    name: 'table-depth-guidance',
    title: 'Depth guidance where depth matters: the full model against the RGB-only one (within-dataset SROCC)',
    rows: rows.map((r) => ({ ...r, source: kitSource(profile, [train]) })),
    columns: [
      { key: 'group' }, { key: 'distortions' }, { key: 'splits' },
      { key: 'full', label: `DGIQA full SROCC [${CI_LEVEL_PCT}% CI]` },
      { key: 'rgb_only', label: `RGB only SROCC [${CI_LEVEL_PCT}% CI]` },
      { key: 'diff', label: `full − RGB only [${CI_LEVEL_PCT}% CI]` },
      { key: 'p', label: 'p (paired t)' },
      { key: 'significant', label: `significant (${CI_LEVEL_PCT}%)` },
      { key: 'source' },
    ],
    notes: [
      'Not a table of the paper: the kit\'s test of what the depth input adds. Each split\'s test set is scored by both models; SROCC is taken within one group of distortion types, then averaged over the splits.',
      'Depth-dependent distortions (haze, defocus) grow with the distance from the camera or the focal plane: the depth map says where the degradation is. On the depth-independent ones (the control) depth carries no information about quality, so the full model should not beat the RGB-only one there.',
      `"full − RGB only" is paired split by split (both trained on the same splits), with its ${CI_LEVEL_PCT}% t interval and the paired t-test's p; "significant" when the interval excludes 0.`,
      ...(ungrouped ? ['The ablation set has no distortion types (authentic distortions): only the "all distortions" row can be filled.'] : []),
      ...(groups.some((g) => g.n === 1) ? ['One split: no interval and no test, so a difference may be noise.'] : []),
    ],
  };
}

/** "significantly lower than the full model (95%)", "not significant at 95%", or "one split: no test". */
function verdict(c: PairedComparison, than: string): string {
  if (c.n < 2) return 'one split: no test';
  if (!c.significant) return `not significant at ${CI_LEVEL_PCT}% (the interval contains 0)`;
  return `significantly ${c.meanDiff < 0 ? 'lower' : 'higher'} than ${than} (${CI_LEVEL_PCT}%)`;
}

/** "p = 0.012", "p < 0.001", or "no p" (one split, or no spread). */
function pPhrase(p: number): string {
  const t = pText(p);
  return t === null ? 'no p' : t.startsWith('<') ? `p < ${t.slice(1)}` : `p = ${t}`;
}

const comparison = (c: PairedComparison, than: string): string => `${differenceText(c) ?? '-'} (${pPhrase(c.p)}): ${verdict(c, than)}`;

/** One line per variant: its SROCC minus the full model's, within the set and across datasets, and whether that is significant. */
export function ablationFindings(kit: AblationInput[]): string[] {
  return kit.filter((r) => r.vsFull !== undefined).map((r) => {
    const v = r.vsFull!;
    return `${r.name}: SROCC minus the full model's ${comparison(v.srocc, 'the full model')}; across datasets ${comparison(v.crossSrocc, 'the full model')}.`;
  });
}

const FINDING_LABEL: Record<Exclude<DistortionGroup, 'all'>, string> = {
  'depth-dependent': 'Depth-dependent distortions',
  'depth-independent': 'Depth-independent distortions, the control',
};

/** One line per distortion group: full minus RGB-only, and whether that is significant. */
export function depthGuidanceFindings(groups: DepthGuidanceRow[]): string[] {
  return groups.map((g) => {
    const what = g.group === 'all' ? 'All distortions' : `${FINDING_LABEL[g.group]} (${g.distortions.join(', ')})`;
    if (!g.diff) return `${what}: no scores (the set has no such distortion types).`;
    return `${what}: full ${ivText(g.full)}, RGB only ${ivText(g.rgbOnly)}; full minus RGB only ${comparison(g.diff, 'the RGB-only model')}.`;
  });
}

/** One line per swept lambda: its SROCC minus the default lambda's, and whether that is significant. */
export function lambdaFindings(rows: LambdaRow[]): string[] {
  const base = rows.find((r) => r.vsDefault === undefined);
  return rows.filter((r) => r.vsDefault !== undefined).map((r) =>
    `λ = ${r.lambda}: SROCC ${withInterval(r.srocc, r.sroccCi) ?? '-'}; minus the default λ${base ? ` = ${base.lambda}` : ''}: ${comparison(r.vsDefault!, 'the default')}.`);
}
