// Density separation: the exact Gaussian overlap against a numerical integration of
// min(pdf1, pdf2), erfc against Python's math.erfc, and the separation against hand computation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { densitySeparation, erfc, fitGaussian, gaussianOverlapPct, normalCdf, normalPdf, type Gaussian } from '../src/eval/density.js';
import { densityCommand } from '../src/cli/density.js';
import { capturedAll } from './support/capture.js';

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (tol ${tol})`);
}

test('erfc matches math.erfc (Python 3) to 1e-14 relative', () => {
  // python3 -c "import math; print(repr(math.erfc(x)))" for each x.
  const ref: [number, number][] = [
    [0, 1.0],
    [0.3, 0.6713732405408726],
    [1, 0.15729920705028513],
    [1.9999, 0.004679802092970608],
    [2, 0.004677734981047265],
    [2.5, 0.0004069520174449589],
    [4, 1.541725790028002e-8],
    [6, 2.1519736712498916e-17],
    [10, 2.088487583762545e-45],
    [26, 5.663192408856143e-296],
    [-1.5, 1.9661051464753108],
    [-5, 1.9999999999984626],
  ];
  for (const [x, want] of ref) close(erfc(x) / want, 1, 1e-14, `erfc(${x})`);
  assert.equal(erfc(Infinity), 0);
  assert.equal(erfc(-Infinity), 2);
  close(normalCdf(0), 0.5, 0, 'Phi(0)');
});

// 100 * integral of min(pdf1, pdf2) by composite Simpson over mean +- 14 std of both.
function overlapByIntegration(g1: Gaussian, g2: Gaussian): number {
  const lo = Math.min(g1.mean - 14 * g1.std, g2.mean - 14 * g2.std);
  const hi = Math.max(g1.mean + 14 * g1.std, g2.mean + 14 * g2.std);
  const n = 400000; // even
  const h = (hi - lo) / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const x = lo + i * h;
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    sum += w * Math.min(normalPdf(x, g1), normalPdf(x, g2));
  }
  return (100 * sum * h) / 3;
}

test('overlap agrees with numerical integration', () => {
  const cases: [string, Gaussian, Gaussian][] = [
    ['equal variance', { mean: 0, std: 1 }, { mean: 1, std: 1 }],
    ['unequal variance', { mean: 0, std: 1 }, { mean: 1, std: 2 }],
    ['unequal, order swapped', { mean: 1, std: 2 }, { mean: 0, std: 1 }],
    ['same mean, different std', { mean: 0.5, std: 0.1 }, { mean: 0.5, std: 0.3 }],
    ['nearly equal std', { mean: 0.2, std: 0.1 }, { mean: 0.35, std: 0.1 * (1 + 1e-12) }],
    ['well separated', { mean: 0.85, std: 0.04 }, { mean: 0.35, std: 0.09 }],
    ['very different widths', { mean: 0.6, std: 0.01 }, { mean: 0.5, std: 0.2 }],
  ];
  for (const [name, g1, g2] of cases) {
    close(gaussianOverlapPct(g1, g2), overlapByIntegration(g1, g2), 1e-6, name);
  }
});

test('overlap: closed forms and limits', () => {
  // Equal widths: 2 Phi(-|d| / 2); 100 * math.erfc(0.5 / sqrt(2)) = 61.707507745197375 (Python).
  close(gaussianOverlapPct({ mean: 0, std: 1 }, { mean: 1, std: 1 }), 61.707507745197375, 1e-12, 'd = 1');
  assert.equal(gaussianOverlapPct({ mean: 0.4, std: 0.2 }, { mean: 0.4, std: 0.2 }), 100);
  close(gaussianOverlapPct({ mean: 0.4, std: 0.2 }, { mean: 0.4, std: 0.2 * (1 + 1e-13) }), 100, 1e-9, 'almost identical');
  // Far apart, the overlap is two tails of ~1e-89 each. Reference at 60 digits with mpmath
  // (mp.ncdf of the crossings of the quadratic, mp.mp.dps = 60): 5.3972011047834057e-87.
  close(gaussianOverlapPct({ mean: 0, std: 1 }, { mean: 50, std: 1.5 }) / 5.3972011047834057e-87, 1, 1e-12, 'far apart');
  assert.throws(() => gaussianOverlapPct({ mean: 0, std: 0 }, { mean: 1, std: 1 }), /positive std/);
});

test('densitySeparation: ML fits, pooled std and separation by hand', () => {
  const clean = [0.7, 0.8, 0.9, 0.8]; // mean 0.8, ML variance 0.02 / 4 = 0.005
  const distorted = [0.2, 0.4, 0.6]; // mean 0.4, ML variance 0.08 / 3
  const d = densitySeparation(clean, distorted);
  assert.equal(d.n_clean, 4);
  assert.equal(d.n_distorted, 3);
  close(d.mean_clean, 0.8, 1e-15, 'mean_clean');
  close(d.mean_distorted, 0.4, 1e-15, 'mean_distorted');
  close(d.std_clean, Math.sqrt(0.005), 1e-15, 'std_clean (divides by n)');
  close(d.std_distorted, Math.sqrt(0.08 / 3), 1e-15, 'std_distorted (divides by n)');
  // pooled = sqrt((4 * 0.005 + 3 * 0.08/3) / 7) = sqrt(0.1 / 7), so separation = 0.4 sqrt(70).
  close(d.separation, 0.4 * Math.sqrt(70), 1e-12, 'separation');
  close(
    d.overlap_pct,
    overlapByIntegration({ mean: 0.8, std: Math.sqrt(0.005) }, { mean: 0.4, std: Math.sqrt(0.08 / 3) }),
    1e-6,
    'overlap',
  );
  assert.deepEqual(Object.keys(d), [
    'n_clean',
    'n_distorted',
    'mean_clean',
    'mean_distorted',
    'std_clean',
    'std_distorted',
    'overlap_pct',
    'separation',
  ]);
  close(fitGaussian([1, 3]).std, 1, 0, 'ML std of [1, 3]');
  assert.throws(() => densitySeparation([0.5, 0.5], [0.1, 0.2]), /clean score\(s\) are all equal/);
  assert.throws(() => densitySeparation([0.5, NaN], [0.1, 0.2]), /clean\[1\] is NaN/);
  assert.throws(() => densitySeparation([0.5, 0.6], []), /distorted is empty/);
});

test('dgiqa density prints one JSON line; bad files give one line naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-density-'));
  try {
    const good = join(dir, 'scores.csv');
    await writeFile(good, 'image,score,group\na.png,0.7,clean\nb.png,0.2,distorted\nc.png,0.8,clean\n"d,1.png",0.4,distorted\ne.png,0.9,clean\nf.png,0.6,distorted\ng.png,0.8,clean\n');
    const r = await capturedAll(() => densityCommand([good]));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.split('\n').length, 2, 'exactly one line');
    const json = JSON.parse(r.out) as Record<string, number>;
    const direct = densitySeparation([0.7, 0.8, 0.9, 0.8], [0.2, 0.4, 0.6]);
    assert.deepEqual(json, JSON.parse(JSON.stringify(direct)));

    const cases: [string, string, RegExp][] = [
      ['empty.csv', '', /empty file/],
      ['nogroup.csv', 'score,kind\n0.1,clean\n', /missing column "group"/],
      ['badgroup.csv', 'score,group\n0.1,clean\n0.2,clean\n0.3,noisy\n', /row 3 \(line 4\), column "group": "noisy" is neither/],
      ['badscore.csv', 'score,group\n0.1,clean\n-,distorted\n', /row 2 \(line 3\), column "score": "-" is not a finite number/],
      ['few.csv', 'score,group\n0.1,clean\n0.2,clean\n0.3,distorted\n', /1 "distorted" row\(s\), a Gaussian fit needs at least 2/],
      ['flat.csv', 'score,group\n0.5,clean\n0.5,clean\n0.3,distorted\n0.1,distorted\n', /clean score\(s\) are all equal/],
    ];
    for (const [name, text, pattern] of cases) {
      const file = join(dir, name);
      await writeFile(file, text);
      const b = await capturedAll(() => densityCommand([file]));
      assert.notEqual(b.code, 0, name);
      assert.equal(b.out, '');
      assert.match(b.err, pattern);
      assert.ok(b.err.includes(file), `${name}: message names the file: ${b.err}`);
      assert.equal(b.err.trimEnd().split('\n').length, 1, `${name}: one line`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
