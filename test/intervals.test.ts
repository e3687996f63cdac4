// 95% intervals and paired comparisons over splits: against values computed independently (closed
// forms of Student's t with 2 degrees of freedom, and printed t tables).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanInterval, pairedComparison } from '../src/eval/index.js';

const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('meanInterval: t interval of the mean (table values t(0.975; 2) = 4.3027, t(0.975; 9) = 2.2622)', () => {
  const three = meanInterval([1, 2, 3]);
  close(three.mean, 2, 1e-12, 'mean');
  // sd 1, se 1/sqrt(3)
  close(three.hi - three.mean, 4.302653 / Math.sqrt(3), 1e-5, 'half width, n = 3');
  const ten = meanInterval([0.8, 0.82, 0.79, 0.85, 0.81, 0.83, 0.78, 0.84, 0.8, 0.82]);
  const sd = Math.sqrt([0.8, 0.82, 0.79, 0.85, 0.81, 0.83, 0.78, 0.84, 0.8, 0.82].reduce((a, x) => a + (x - 0.814) ** 2, 0) / 9);
  close(ten.hi - ten.mean, (2.262157 * sd) / Math.sqrt(10), 1e-6, 'half width, n = 10');
  const one = meanInterval([0.5]);
  assert.ok(Number.isNaN(one.lo) && Number.isNaN(one.hi) && one.mean === 0.5);
  assert.throws(() => meanInterval([]), /no values/);
  assert.throws(() => meanInterval([0.1, NaN]), /value 1 is NaN/);
});

test('pairedComparison: paired t-test on the differences, p from the t CDF', () => {
  // differences 1, 2, 3: t = 2 / (1 / sqrt 3) = 3.4641; with 2 degrees of freedom the CDF is
  // 1/2 + t / (2 sqrt(2 + t^2)), so p = 1 - t / sqrt(2 + t^2)
  const c = pairedComparison([2, 4, 6], [1, 2, 3]);
  const t = 2 * Math.sqrt(3);
  close(c.meanDiff, 2, 1e-12, 'mean difference');
  close(c.p, 1 - t / Math.sqrt(2 + t * t), 1e-6, 'p');
  assert.equal(c.significant, false, 'the interval [-0.48, 4.48] holds 0');
  const s = pairedComparison([0.9, 0.91, 0.92, 0.9], [0.8, 0.805, 0.81, 0.8]);
  assert.equal(s.significant, true);
  assert.ok(s.lo > 0 && s.p < 0.05);
  // a pairing, not two samples: a constant shift is exact, with no spread there is no p
  const flat = pairedComparison([0.5, 0.6, 0.7], [0.4, 0.5, 0.6]);
  assert.ok(Number.isNaN(flat.p));
  assert.throws(() => pairedComparison([1, 2], [1]), /pair the same splits/);
});
