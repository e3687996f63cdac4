// No number typed into a notebook's markdown that a run computes. A run's results (a correlation, an
// overlap, a time, a cost) change with every version and every machine; typed into prose they go
// stale (03 said "TCBs under 7%" when the run said 7.2%, 08 said "32 s" when it took 21 s). Every
// number in the source notebooks' markdown that looks like a result fails this test unless it is in
// the allow-list below with its reason: a paper value quoted with its place in the paper, a version,
// or a constant that the test checks against the kit's own definition. Counts of splits, crops,
// epochs and pixels must be values the profiles or the protocol define.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROFILES, PROFILE_NAMES } from '../src/experiments/profiles.js';
import { SPLIT_DEFAULTS } from '../src/data/splits.js';
import { LAMBDA_CHROMA, PERCEIVED_EXPONENT } from '../src/data/synth/quality.js';
import { resolveTrainConfig } from '../src/train/config.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIR = join(ROOT, 'notebooks');

/** A number as it appears in the prose, with the notebook and the words around it. */
interface Found {
  notebook: string;
  token: string;
  context: string;
}

/**
 * Numbers that look like results: decimals, percentages, durations, costs and speeds. Inline code
 * and link targets are skipped (commands, file names, the arXiv id), and so is text inside $...$.
 */
const RESULT_LIKE =
  /\b\d+(?:\.\d+){2,}\b|\d+(?:\.\d+)?\s?%|\b\d+(?:\.\d+)?\s?(?:ms|s|sec|seconds?|min|minutes?|h|hours?|days?)\b|\b\d+(?:\.\d+)?\s?(?:GFLOP|TFLOP|MFLOP|FLOP)(?:\/s)?\b|\b\d+(?:\.\d+)?\s?(?:img\/s|GB|MB|GiB|MiB)\b|\b\d+\.\d+\b/g;

/** Counts whose value a profile or the protocol defines: the word after the number decides which set ("224 x 224 crop" is a size, not a count). */
const COUNT = /\b(?<![x×]\s)(\d+)\s?(splits?|crops?|epochs?|px)\b/g;

/** Prose of a markdown cell without inline code, link targets and HTML comments. */
export function prose(markdown: string): string {
  return markdown
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/`[^`]*`/g, ' ')
    .replace(/\]\([^)]*\)/g, '] ')
    .replace(/<!--[\s\S]*?-->/g, ' ');
}

export function findNumbers(notebook: string, markdown: string, pattern: RegExp): Found[] {
  const text = prose(markdown);
  return [...text.matchAll(new RegExp(pattern.source, 'g'))].map((m) => ({
    notebook,
    token: m[0].replace(/\s+/g, ' '),
    context: text.slice(Math.max(0, (m.index ?? 0) - 50), (m.index ?? 0) + m[0].length + 30).replace(/\s+/g, ' '),
  }));
}

interface Allowed {
  /** notebook file prefix ('03') or '*' for any */
  notebook: string;
  token: string;
  reason: string;
  /** where the value is the kit's own constant, it must still equal it */
  check?: () => boolean;
}

const pct = (f: number): string => `${Math.round(f * 100)}%`;

/** Every result-like number the notebooks may carry, and why. */
const ALLOWED: Allowed[] = [
  { notebook: '01', token: '2505.24002', reason: 'the paper\'s arXiv id' },
  { notebook: '03', token: '23.3%', reason: 'the paper\'s TCB saving, quoted with its section (Sec. 4.4)' },
  { notebook: '03', token: '4.4', reason: 'the paper\'s section number' },
  { notebook: '03', token: '0.5', reason: 'sigmoid(0): where a gate with zero weights sits, not a result' },
  { notebook: '04', token: pct(1 - SPLIT_DEFAULTS.testFraction), reason: 'the protocol\'s training share (SPLIT_DEFAULTS)', check: () => SPLIT_DEFAULTS.testFraction === 0.2 },
  { notebook: '04', token: pct(SPLIT_DEFAULTS.testFraction), reason: 'the protocol\'s test share (SPLIT_DEFAULTS)', check: () => SPLIT_DEFAULTS.testFraction === 0.2 },
  { notebook: '05', token: pct(1 - SPLIT_DEFAULTS.testFraction), reason: 'the protocol\'s training share (SPLIT_DEFAULTS)', check: () => SPLIT_DEFAULTS.testFraction === 0.2 },
  { notebook: '05', token: pct(SPLIT_DEFAULTS.testFraction), reason: 'the protocol\'s test share (SPLIT_DEFAULTS)', check: () => SPLIT_DEFAULTS.testFraction === 0.2 },
  { notebook: '04', token: '0.5', reason: 'the paper\'s cosine schedule: T_max is half the epochs (tMaxFraction default)', check: () => resolveTrainConfig({}).tMaxFraction === 0.5 },
  { notebook: '07', token: '95%', reason: 'the level of every interval the kit draws (meanInterval, pairedComparison default 0.95)' },
  { notebook: '11', token: '2.9.1', reason: 'libtensorflow version of @tensorflow/tfjs-node-gpu 4.x (GUIDE, Compute backends)' },
  { notebook: '11', token: '11.2', reason: 'the CUDA version libtensorflow 2.9.1 needs' },
  { notebook: '11', token: '8.1', reason: 'the cuDNN version libtensorflow 2.9.1 needs' },
];

/** The values a count may take: the profiles' own settings and the paper's protocol. */
function definedCounts(): Record<string, Set<number>> {
  const splits = new Set<number>([SPLIT_DEFAULTS.numSplits]);
  const crops = new Set<number>();
  const epochs = new Set<number>();
  const px = new Set<number>();
  for (const n of PROFILE_NAMES) {
    const p = PROFILES[n];
    splits.add(p.splits).add(p.ablationSplits);
    crops.add(p.evalCrops).add(p.ablationCrossCrops).add(p.valCrops);
    for (const c of p.cropCounts) crops.add(c);
    px.add(p.cropSize).add(p.evalShortSide);
    if (p.trainShortSide > 0) px.add(p.trainShortSide);
    const e = p.train.numEpochs;
    if (typeof e === 'number') epochs.add(e);
  }
  return { split: splits, crop: crops, epoch: epochs, px };
}

/** Counts that are neither a profile's nor the protocol's, with the reason each is allowed. */
const ALLOWED_COUNTS: Allowed[] = [
  { notebook: '04', token: '20 epochs', reason: 'an exercise: a longer schedule to compute by hand' },
];

function sourceNotebooks(): { file: string; markdown: string[] }[] {
  return readdirSync(DIR)
    .filter((f) => /^\d\d-.*\.ipynb$/.test(f))
    .sort()
    .map((file) => {
      const nb = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { cells: { cell_type: string; source: string | string[] }[] };
      return { file, markdown: nb.cells.filter((c) => c.cell_type === 'markdown').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)) };
    });
}

const isAllowed = (list: Allowed[], f: Found): boolean => list.some((a) => (a.notebook === '*' || f.notebook.startsWith(a.notebook)) && a.token === f.token);

/** Every result-like number and every undefined count of the given notebooks' markdown. */
export function staleNumbers(notebooks: { file: string; markdown: string[] }[]): Found[] {
  const counts = definedCounts();
  const out: Found[] = [];
  for (const nb of notebooks) {
    for (const md of nb.markdown) {
      for (const f of findNumbers(nb.file, md, RESULT_LIKE)) if (!isAllowed(ALLOWED, f)) out.push(f);
      for (const f of findNumbers(nb.file, md, COUNT)) {
        const [, n, word] = /^(\d+) ?(\w+?)s?$/.exec(f.token) ?? [];
        const set = counts[word === 'px' ? 'px' : word!];
        if (set?.has(Number(n))) continue;
        if (!isAllowed(ALLOWED_COUNTS, f)) out.push(f);
      }
    }
  }
  return out;
}

test('no notebook markdown carries a typed run result; every count is one the profiles define', () => {
  const found = staleNumbers(sourceNotebooks());
  assert.deepEqual(found.map((f) => `${f.notebook}: "${f.token}" in "...${f.context}..."`), [],
    'print it from the results in a code cell, remove it, or allow it in test/consistency.test.ts with its reason');
});

test('every allowed constant still equals the kit\'s own definition, and every allowance is used', () => {
  for (const a of ALLOWED) if (a.check) assert.ok(a.check(), `${a.notebook} "${a.token}" (${a.reason}): no longer the kit's value`);
  const all = sourceNotebooks();
  const tokens = all.flatMap((nb) => nb.markdown.flatMap((md) => [...findNumbers(nb.file, md, RESULT_LIKE), ...findNumbers(nb.file, md, COUNT)]));
  for (const a of [...ALLOWED, ...ALLOWED_COUNTS]) {
    assert.ok(tokens.some((f) => (a.notebook === '*' || f.notebook.startsWith(a.notebook)) && f.token === a.token), `allowed "${a.token}" in ${a.notebook} appears nowhere: drop it from the list`);
  }
  assert.equal(LAMBDA_CHROMA > 0 && PERCEIVED_EXPONENT > 0, true);
});

test('the scan catches the stale numbers the notebooks once had', () => {
  const old = [
    { file: '03-model.ipynb', markdown: ['- the TCBs under 7%.', 'The kit gets about **19.3%**, not 23.3%: the paper'] },
    { file: '08-natural.ipynb', markdown: ['**How long.** smoke: about 20 s (measured on 2 cores); demo: 32 s measured'] },
    { file: '01-environment.ipynb', markdown: ['The paper\'s model needs roughly 2 x 4.5 GFLOP plus about 1 GFLOP for the rest per 224 x 224 crop'] },
    { file: '05-benchmarks.ipynb', markdown: ['demo: about 10 min run on its own (synth-A, 7 splits, two trained at a time)'] },
    { file: '02-data.ipynb', markdown: ['SROCC **0.452** ± 0.066, `npx dgiqa synth --seed 7` and [a link](../x/1.5.md)'] },
  ];
  const tokens = staleNumbers(old).map((f) => `${f.notebook.slice(0, 2)} ${f.token}`);
  assert.deepEqual(tokens, ['03 7%', '03 19.3%', '08 20 s', '08 32 s', '01 4.5 GFLOP', '01 1 GFLOP', '05 10 min', '05 7 splits', '02 0.452', '02 0.066']);
});
