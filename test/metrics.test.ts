// Metrics against values computed independently with SciPy (spearmanr, pearsonr, kendalltau with
// variant='b', curve_fit): test/fixtures/metrics-reference.py prints every hard-coded number here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  averageRanks,
  computeMetrics,
  fitLogistic,
  krocc,
  logistic4,
  metricsByGroup,
  plcc,
  plccLogistic,
  rmse,
  srocc,
  summarize,
} from '../src/eval/metrics.js';
import { parseCsv, numericColumn } from '../src/eval/csv.js';
import { metricsCommand } from '../src/cli/metrics.js';
import { capturedAll } from './support/capture.js';

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (tol ${tol})`);
}

// Ties in both pred and mos, including pairs tied in both (0.8, 0.7) twice.
const TIES_PRED = [0.1, 0.4, 0.4, 0.35, 0.8, 0.8, 0.8, 0.2, 0.9, 0.55, 0.4, 0.1];
const TIES_MOS = [0.2, 0.5, 0.3, 0.3, 0.7, 0.9, 0.7, 0.3, 0.6, 0.5, 0.45, 0.25];

// No ties, n = 30 (as printed by the reference script).
const SMOOTH_PRED = [
  0.618208, 0.863719, 0.288066, 0.190894, 0.791588, 0.733967, 0.148122, 0.356708, 0.888803, 0.543101, 0.10009,
  0.559951, 0.884461, 0.340978, 0.156517, 0.747534, 0.779696, 0.180391, 0.302664, 0.87046, 0.601873, 0.103288,
  0.500355, 0.89662, 0.39744, 0.129809, 0.697954, 0.819181, 0.219796, 0.253025,
];
const SMOOTH_MOS = [
  0.482181, 0.646097, 0.182636, -0.062782, 0.725231, 0.440862, 0.118842, 0.031449, 0.884486, 0.201884, 0.101492,
  0.22383, 0.870072, 0.030531, 0.108018, 0.477646, 0.686588, -0.043486, 0.164865, 0.687335, 0.429602, -0.05355,
  0.311331, 0.7463, 0.212138, -0.033787, 0.534148, 0.62776, 0.087823, 0.028363,
];

test('average ranks share tied positions', () => {
  assert.deepEqual(averageRanks([3, 1, 3, 2, 3]), [4, 1, 4, 2, 4]);
  assert.deepEqual(averageRanks([0.5, 0.5]), [1.5, 1.5]);
});

test('metrics with ties in pred and mos match scipy', () => {
  const m = computeMetrics(TIES_PRED, TIES_MOS);
  assert.equal(m.n, 12);
  close(m.srocc, 0.9228141031673939, 1e-12, 'srocc');
  close(m.plcc, 0.8979939115326274, 1e-12, 'plcc');
  close(m.krocc, 0.8167801162284652, 1e-12, 'krocc (tau-b)');
  close(m.rmse, 0.12583057392117916, 1e-12, 'rmse');
  close(m.plcc_logistic, 0.9149781910972908, 1e-6, 'plcc_logistic');
});

test('metrics without ties match scipy', () => {
  const m = computeMetrics(SMOOTH_PRED, SMOOTH_MOS);
  close(m.srocc, 0.9252502780867631, 1e-12, 'srocc');
  close(m.plcc, 0.9444485201640813, 1e-12, 'plcc');
  close(m.krocc, 0.7839080459770115, 1e-12, 'krocc');
  close(m.rmse, 0.19628864712390612, 1e-12, 'rmse');
});

// Kendall's tau-b straight from its definition, O(n^2): an independent check on larger data.
function tauBByDefinition(x: number[], y: number[]): number {
  let s = 0;
  let tx = 0;
  let ty = 0;
  let pairs = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      s += dx * dy;
      pairs++;
      if (dx === 0) tx++;
      if (dy === 0) ty++;
    }
  }
  return s / Math.sqrt((pairs - tx) * (pairs - ty));
}

test('krocc agrees with the O(n^2) definition on 500 pairs with many ties', () => {
  let state = 12345;
  const rand = (): number => {
    state = (state * 1103515245 + 12345) % 2147483648; // a fixed LCG: the data never changes
    return state / 2147483648;
  };
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < 500; i++) {
    const v = Math.round(rand() * 20) / 20; // 21 levels: many ties
    x.push(v);
    y.push(Math.round((v + 0.3 * rand()) * 10) / 10);
  }
  close(krocc(x, y), tauBByDefinition(x, y), 1e-12, 'krocc vs definition');
  close(krocc(x, y.map((v) => -v)), -tauBByDefinition(x, y), 1e-12, 'krocc reversed');
});

test('n = 2 gives +-1, or NaN when a side is tied', () => {
  close(srocc([1, 2], [3, 5]), 1, 1e-15, 'srocc');
  close(plcc([1, 2], [3, 5]), 1, 1e-15, 'plcc');
  assert.equal(krocc([1, 2], [3, 5]), 1);
  close(srocc([1, 2], [5, 3]), -1, 1e-15, 'srocc');
  close(plcc([1, 2], [5, 3]), -1, 1e-15, 'plcc');
  assert.equal(krocc([1, 2], [5, 3]), -1);
  assert.ok(Number.isNaN(krocc([1, 1], [2, 3])));
  const m = computeMetrics([0.2, 0.4], [0.3, 0.7]);
  assert.equal(m.n, 2);
  close(m.rmse, Math.sqrt((0.01 + 0.09) / 2), 1e-15, 'rmse');
  assert.ok(Number.isNaN(m.plcc_logistic), 'the logistic fit needs 5 points');
});

test('constant input gives NaN correlations (as scipy), RMSE still defined', () => {
  const m = computeMetrics([0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
  for (const k of ['srocc', 'plcc', 'krocc', 'plcc_logistic'] as const) assert.ok(Number.isNaN(m[k]), k);
  close(m.rmse, Math.sqrt((0.16 + 0.09 + 0.04 + 0.01 + 0 + 0.01) / 6), 1e-15, 'rmse');
  assert.ok(Number.isNaN(srocc([1, 2, 3], [4, 4, 4])));
  assert.ok(Number.isNaN(computeMetrics([0.3], [0.4]).srocc), 'a single pair has no correlation');
});

test('NaN, infinite, empty and mismatched inputs are refused', () => {
  assert.throws(() => srocc([1, NaN, 3], [1, 2, 3]), /pred\[1\] is NaN/);
  assert.throws(() => plcc([1, 2, 3], [1, 2, Infinity]), /mos\[2\] is Infinity/);
  assert.throws(() => krocc([1, 2], [1, 2, 3]), /2 values but mos has 3/);
  assert.throws(() => rmse([], []), /no values/);
  assert.throws(() => computeMetrics([1, 2], [NaN, 1]), /mos\[0\]/);
  assert.throws(() => summarize([0.9, NaN]), /values\[1\]/);
});

test('the logistic fit recovers known parameters from noise-free data', () => {
  const truth = { b1: 80, b2: 20, b3: 0.5, b4: 0.12 };
  const x = Array.from({ length: 41 }, (_, i) => i / 40);
  const y = x.map((v) => logistic4(v, truth));
  const fit = fitLogistic(x, y);
  assert.ok(fit.converged);
  close(fit.params.b1, truth.b1, 1e-6, 'b1');
  close(fit.params.b2, truth.b2, 1e-6, 'b2');
  close(fit.params.b3, truth.b3, 1e-8, 'b3');
  close(fit.params.b4, truth.b4, 1e-8, 'b4');
  assert.ok(fit.sse < 1e-12, `sse ${fit.sse}`);
  close(plccLogistic(x, y), 1, 1e-12, 'plcc_logistic of exact data');
  // A decreasing relation: the fit flips b1 and b2.
  const down = fitLogistic(x, y.map((v) => 100 - v));
  close(down.params.b1, 20, 1e-6, 'decreasing b1');
  close(down.params.b2, 80, 1e-6, 'decreasing b2');
});

test('the logistic fit on noisy data matches scipy curve_fit', () => {
  const x = Array.from({ length: 41 }, (_, i) => i / 40);
  const y = x.map((v, i) => logistic4(v, { b1: 80, b2: 20, b3: 0.5, b4: 0.12 }) + 2 * Math.sin(7 * i));
  const fit = fitLogistic(x, y);
  assert.ok(fit.converged);
  close(fit.params.b1, 80.23230420348098, 1e-6, 'b1');
  close(fit.params.b2, 20.39188993618574, 1e-6, 'b2');
  close(fit.params.b3, 0.5034576985212316, 1e-8, 'b3');
  close(fit.params.b4, 0.119400284485104, 1e-8, 'b4');
  close(fit.sse, 78.08368722944135, 1e-8, 'sse');
  close(plccLogistic(x, y), 0.9980594928444149, 1e-10, 'plcc_logistic');
  close(plcc(x, y), 0.9784210114472388, 1e-12, 'raw plcc');
});

test('metricsByGroup splits by distortion type, in order of appearance', () => {
  const groups = TIES_PRED.map((_, i) => (i % 2 === 0 ? 'blur' : 'noise'));
  const by = metricsByGroup(TIES_PRED, TIES_MOS, groups);
  assert.deepEqual(Object.keys(by), ['blur', 'noise']);
  const even = (a: number[]): number[] => a.filter((_, i) => i % 2 === 0);
  assert.deepEqual(by['blur'], computeMetrics(even(TIES_PRED), even(TIES_MOS)));
  assert.equal(by['noise']!.n, 6);
  assert.throws(() => metricsByGroup([1, 2], [1, 2], ['a']), /groups has 1/);
});

test('summarize gives mean, median and sample std over splits (numpy ddof=1)', () => {
  const s = summarize([0.91, 0.93, 0.92, 0.95, 0.9, 0.94, 0.93, 0.92, 0.96, 0.91]);
  assert.equal(s.n, 10);
  close(s.mean, 0.9269999999999999, 1e-15, 'mean');
  close(s.median, 0.925, 1e-15, 'median');
  close(s.std, 0.01888562063228703, 1e-15, 'std');
  assert.ok(Number.isNaN(summarize([0.9]).std));
  assert.throws(() => summarize([]), /no values/);
});

test('CSV parsing: quotes, CRLF, BOM, and errors that name the file', () => {
  const t = parseCsv('\ufeffimage,pred,mos\r\n"a, b.png",0.5,"0.25"\r\n"say ""hi""",1e-1,.5\r\n', 'x.csv');
  assert.deepEqual(t.header, ['image', 'pred', 'mos']);
  assert.deepEqual(t.rows[0], ['a, b.png', '0.5', '0.25']);
  assert.equal(t.rows[1]![0], 'say "hi"');
  assert.deepEqual(numericColumn(t, 'pred'), [0.5, 0.1]);
  assert.throws(() => parseCsv('', 'e.csv'), /^Error: e\.csv: empty file/);
  assert.throws(() => numericColumn(parseCsv('pred\n', 'h.csv'), 'pred'), /h\.csv: no data rows/);
  assert.throws(() => parseCsv('a,b\n1,2,3\n', 'f.csv'), /f\.csv: row 1 \(line 2\) has 3 fields/);
  assert.throws(() => parseCsv('a\n"open\n', 'q.csv'), /q\.csv: line 2: a quoted field is never closed/);
  assert.throws(() => numericColumn(parseCsv('pred,mos\n1,2\n0x1f,3\n', 'n.csv'), 'pred'), /n\.csv: row 2 \(line 3\), column "pred": "0x1f"/);
  assert.throws(() => numericColumn(parseCsv('pred,mos\n,2\n', 'n.csv'), 'pred'), /row 1 .*"" is not a finite number/);
  assert.throws(() => parseCsv('a,b\n"x"y,1\n', 't.csv'), /t\.csv: line 2: text after a closing quote/);
  assert.throws(() => parseCsv('a,b\nx"y,1\n', 'u.csv'), /u\.csv: line 2: unexpected quote/);
  assert.throws(() => parseCsv('\n\n', 'blank.csv'), /blank\.csv: empty file/);
  assert.deepEqual(parseCsv('a,b\n\n1,""\n', 'g.csv').rows, [['1', '']]);
});

test('dgiqa metrics prints one JSON line; bad files give one line naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-metrics-'));
  try {
    const good = join(dir, 'scores.csv');
    const lines = ['image,pred,mos', ...TIES_PRED.map((p, i) => `img${i}.png,${p},${TIES_MOS[i]}`)];
    await writeFile(good, lines.join('\n') + '\n');
    const r = await capturedAll(() => metricsCommand([good]));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.split('\n').length, 2, 'exactly one line');
    const json = JSON.parse(r.out) as Record<string, number>;
    assert.deepEqual(Object.keys(json), ['n', 'srocc', 'plcc', 'krocc', 'rmse', 'plcc_logistic']);
    assert.equal(json['n'], 12);
    close(json['srocc']!, 0.9228141031673939, 1e-12, 'srocc');
    close(json['krocc']!, 0.8167801162284652, 1e-12, 'krocc');

    const cases: [string, string, RegExp][] = [
      ['empty.csv', '', /empty file/],
      ['nocol.csv', 'pred,score\n1,2\n', /missing column "mos" \(columns: pred, score\)/],
      ['bad.csv', 'pred,mos\n0.1,0.2\n0.3,abc\n', /row 2 \(line 3\), column "mos": "abc" is not a finite number/],
    ];
    for (const [name, text, pattern] of cases) {
      const file = join(dir, name);
      await writeFile(file, text);
      const b = await capturedAll(() => metricsCommand([file]));
      assert.notEqual(b.code, 0, name);
      assert.equal(b.out, '');
      assert.match(b.err, pattern);
      assert.ok(b.err.includes(file), `${name}: message names the file: ${b.err}`);
      assert.equal(b.err.trimEnd().split('\n').length, 1, `${name}: one line`);
    }
    // Fewer than 5 rows: no logistic fit, printed as null.
    const small = join(dir, 'small.csv');
    await writeFile(small, 'pred,mos\n0.1,0.2\n0.5,0.4\n0.9,0.95\n');
    const s = await capturedAll(() => metricsCommand([small]));
    assert.equal(s.code, 0, s.err);
    assert.equal((JSON.parse(s.out) as Record<string, unknown>)['plcc_logistic'], null);

    const missing = await capturedAll(() => metricsCommand([join(dir, 'nope.csv')]));
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /nope\.csv: cannot read \(ENOENT\)/);
    assert.notEqual((await capturedAll(() => metricsCommand([]))).code, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
