// Splits: no leakage of reference content, 80/20 sizes, reproducible, saved and reloaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/util/rng.js';
import { applySplit, fixedSplit, loadSplit, loadSplits, makeSplits, saveSplits, type Split, type SplitItem } from '../src/data/splits.js';

// A synthetic-distortion set: 20 references, 6 distorted images each.
const synthetic: SplitItem[] = [];
for (let r = 0; r < 20; r++) {
  for (let d = 0; d < 6; d++) synthetic.push({ image: `/data/set/img${r}_${d}.png`, relImage: `img${r}_${d}.png`, refId: `ref${r}` });
}
// An authentic set: every image its own content.
const authentic: SplitItem[] = Array.from({ length: 100 }, (_, i) => ({ image: `/data/wild/${i}.jpg`, relImage: `${i}.jpg` }));

const refOf = new Map(synthetic.map((r) => [r.relImage as string, r.refId as string]));
const refs = (keys: string[]): Set<string> => new Set(keys.map((k) => refOf.get(k) as string));

test('by reference: no reference in two parts, 80/20 of the references, validation from train', () => {
  const splits = makeSplits(synthetic, { seed: 1, dataset: 'toy' });
  assert.equal(splits.length, 10);
  for (const s of splits) {
    assert.equal(s.by, 'reference');
    const [tr, va, te] = [refs(s.train), refs(s.val), refs(s.test)];
    for (const r of te) assert.ok(!tr.has(r) && !va.has(r), `${r} leaks into test`);
    for (const r of va) assert.ok(!tr.has(r), `${r} in train and val`);
    assert.equal(te.size, 4);
    assert.equal(tr.size + va.size, 16);
    assert.equal(va.size, 2);
    assert.equal(s.counts.test, 24);
    assert.equal(s.train.length + s.val.length + s.test.length, synthetic.length);
    assert.deepEqual(s.counts.groups, { train: 14, val: 2, test: 4 });
  }
});

test('by image for records without a reference: exact 80/20, validation disjoint', () => {
  for (const s of makeSplits(authentic, { seed: 3 })) {
    assert.equal(s.by, 'image');
    assert.equal(s.test.length, 20);
    assert.equal(s.train.length + s.val.length, 80);
    assert.equal(s.val.length, 8);
    const all = new Set([...s.train, ...s.val, ...s.test]);
    assert.equal(all.size, 100);
  }
});

test('same seed same splits, whatever the record order; other seeds differ', () => {
  const a = makeSplits(synthetic, { seed: 11 });
  const shuffled = new Rng(5).shuffle(synthetic.slice());
  const b = makeSplits(shuffled, { seed: 11 });
  const norm = (s: Split): Split => ({ ...s, train: [...s.train].sort(), val: [...s.val].sort(), test: [...s.test].sort() });
  assert.deepEqual(b.map(norm), a.map(norm));
  const c = makeSplits(synthetic, { seed: 12 });
  assert.notDeepEqual(c.map((s) => refs(s.test)), a.map((s) => refs(s.test)));
  // The ten splits of one seed are not all the same split.
  const tests = new Set(a.map((s) => [...refs(s.test)].sort().join(',')));
  assert.ok(tests.size >= 8);
});

test('saved as JSON files and read back; applied to records', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-splits-'));
  try {
    const splits = makeSplits(synthetic, { seed: 2, dataset: 'toy' });
    const paths = await saveSplits(dir, splits);
    assert.equal(paths.length, 10);
    assert.ok(paths[0]?.endsWith('split-00.json'));
    assert.deepEqual(await loadSplit(paths[3] as string), splits[3]);
    assert.deepEqual(await loadSplits(dir), splits);
    const parts = applySplit(synthetic, splits[0] as Split);
    assert.equal(parts.test.length, 24);
    assert.ok(parts.test.every((r) => r.refId !== undefined));
    assert.throws(() => applySplit(authentic, splits[0] as Split), /is not among the records/);
    await assert.rejects(loadSplit(join(dir, 'nope.json')), /nope\.json: not a readable split file/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a given division (e.g. an official split) keeps its test part and carves validation from train', () => {
  const s = fixedSplit(authentic, (r) => Number(r.relImage?.split('.')[0]) >= 90, { seed: 1, valFraction: 0.1 });
  assert.equal(s.test.length, 10);
  assert.equal(s.val.length, 9);
  assert.ok(s.test.every((k) => Number(k.split('.')[0]) >= 90));
  assert.throws(() => fixedSplit(synthetic, (r) => r.relImage === 'img0_0.png', { seed: 1 }), /both sides/);
});

test('too little to split is an error', () => {
  assert.throws(() => makeSplits([{ image: 'a', refId: 'r' }], { seed: 1 }), /at least 2 groups/);
  assert.throws(() => makeSplits(synthetic, { seed: 1, by: 'reference', testFraction: 1.5 }), /testFraction/);
  assert.throws(() => makeSplits([{ image: 'a' }, { image: 'a' }], { seed: 1 }), /appears twice/);
});
