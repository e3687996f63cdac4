// Natural-distortion pair loaders against small copies of the LOL, I-HAZE, GoPro and Flare7K
// releases, and the generic two-folder loader.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadFlare7k, loadFolderPairs, loadGopro, loadIhaze, loadLol, loadPairs, pairKey, summarizePairs } from '../src/data/loaders/index.js';
import { tempDir, writeImage } from './support/dataFixtures.js';

test('pairKey strips the role word and the extension, up to case', () => {
  assert.equal(pairKey('01_indoor_GT.jpg'), '01_indoor');
  assert.equal(pairKey('01_indoor_hazy.JPG'), '01_indoor');
  assert.equal(pairKey('gt_000012.png'), '000012');
  assert.equal(pairKey('input_000012.png'), '000012');
  assert.equal(pairKey('000047.png'), '000047');
  assert.equal(pairKey('low.png'), 'low');
});

test('LOL: our485 and eval15, {high,low}, inside LOLdataset/', async () => {
  const root = tempDir('lol');
  const base = join(root, 'LOLdataset');
  for (const [subset, names] of [['our485', ['2.png', '10.png', '100.png']], ['eval15', ['1.png', '22.png']]] as const) {
    for (const [i, n] of names.entries()) {
      await writeImage(join(base, subset, 'high', n), i);
      await writeImage(join(base, subset, 'low', n), i + 10);
    }
  }
  await writeImage(join(base, 'our485', 'low', '999.png'), 3);
  const loaded = await loadLol(root);
  assert.equal(loaded.pairs.length, 5);
  // Natural order of names: 2, 10, 100.
  assert.deepEqual(loaded.pairs.slice(0, 3).map((p) => p.distorted), ['2.png', '10.png', '100.png'].map((n) => join(base, 'our485', 'low', n)));
  assert.equal(loaded.pairs[0]!.clean, join(base, 'our485', 'high', '2.png'));
  assert.equal(loaded.pairs[0]!.subset, 'our485');
  assert.equal(loaded.pairs[0]!.dataset, 'lol');
  assert.equal(loaded.pairs[3]!.subset, 'eval15');
  assert.ok(loaded.notes.includes('our485: 3 pairs; 1 distorted image(s) without a clean one (999.png)'));
  const s = summarizePairs(loaded);
  assert.deepEqual(s, {
    dataset: 'lol', count: 5, references: 5, score01: null, subsets: { our485: 3, eval15: 2 },
    first: { image: 'LOLdataset/our485/low/2.png', clean: 'LOLdataset/our485/high/2.png' },
  });
});

test('I-HAZE: GT/NN_indoor_GT.jpg with hazy/NN_indoor_hazy.jpg, case and extension tolerant', async () => {
  const root = tempDir('ihaze');
  const base = join(root, '# I-HAZE');
  await writeImage(join(base, 'GT', '01_indoor_GT.jpg'), 1);
  await writeImage(join(base, 'GT', '02_indoor_GT.jpg'), 2);
  await writeImage(join(base, 'hazy', '01_indoor_hazy.JPG'), 3);
  await writeImage(join(base, 'hazy', '02_indoor_hazy.jpg'), 4);
  const loaded = await loadIhaze(root);
  assert.equal(loaded.pairs.length, 2);
  assert.equal(loaded.pairs[0]!.clean, join(base, 'GT', '01_indoor_GT.jpg'));
  assert.equal(loaded.pairs[0]!.distorted, join(base, 'hazy', '01_indoor_hazy.JPG'));
  await assert.rejects(loadIhaze(tempDir('ihaze-empty')), /no GT\/ and hazy\/ folders \(expected I-HAZE layout/);
});

test('GoPro: <split>/<scene>/{sharp,blur}, blur_gamma on request', async () => {
  const root = tempDir('gopro');
  const base = join(root, 'GOPRO_Large');
  for (const [split, scene, frames] of [['train', 'GOPR0372_07_00', ['000047.png', '000048.png']], ['test', 'GOPR0384_11_00', ['001001.png']]] as const) {
    for (const f of frames) {
      await writeImage(join(base, split, scene, 'sharp', f), 1);
      await writeImage(join(base, split, scene, 'blur', f), 2);
      await writeImage(join(base, split, scene, 'blur_gamma', f), 3);
    }
  }
  const loaded = await loadGopro(root);
  assert.equal(loaded.pairs.length, 3);
  assert.deepEqual(loaded.pairs.map((p) => p.subset), ['train', 'train', 'test']);
  assert.equal(loaded.pairs[0]!.distorted, join(base, 'train', 'GOPR0372_07_00', 'blur', '000047.png'));
  assert.ok(loaded.notes.includes('train: 2 pairs'));
  const gamma = await loadPairs('gopro', root, { blurFolder: 'blur_gamma' });
  assert.equal(gamma.pairs[2]!.distorted, join(base, 'test', 'GOPR0384_11_00', 'blur_gamma', '001001.png'));
});

test('Flare7K: test_data/{real,synthetic}/{gt,input}, gt_/input_ prefixes', async () => {
  const root = tempDir('flare');
  for (const subset of ['real', 'synthetic']) {
    for (const id of ['000000', '000001']) {
      await writeImage(join(root, 'test_data', subset, 'gt', `gt_${id}.png`), 1);
      await writeImage(join(root, 'test_data', subset, 'input', `input_${id}.png`), 2);
    }
  }
  mkdirSync(join(root, 'test_data', 'real', 'mask'));
  const loaded = await loadFlare7k(root);
  assert.equal(loaded.pairs.length, 4);
  assert.equal(loaded.pairs[0]!.clean, join(root, 'test_data', 'real', 'gt', 'gt_000000.png'));
  assert.equal(loaded.pairs[0]!.distorted, join(root, 'test_data', 'real', 'input', 'input_000000.png'));
  assert.deepEqual(summarizePairs(loaded).subsets, { real: 2, synthetic: 2 });
});

test('generic pairs: detected or named folders; nothing paired is an error', async () => {
  const root = tempDir('pairs');
  await writeImage(join(root, 'clean', 'a.png'), 1);
  await writeImage(join(root, 'clean', 'b.png'), 2);
  await writeImage(join(root, 'distorted', 'a.jpg'), 3);
  await writeImage(join(root, 'distorted', 'b.JPG'), 4);
  const loaded = await loadFolderPairs(root);
  assert.equal(loaded.pairs.length, 2);
  assert.equal(loaded.pairs[1]!.distorted, join(root, 'distorted', 'b.JPG'));
  const named = await loadFolderPairs(root, { clean: 'distorted', distorted: join(root, 'clean') });
  assert.equal(named.pairs[0]!.clean, join(root, 'distorted', 'a.jpg'));
  await writeImage(join(root, 'other', 'z.png'), 1);
  await assert.rejects(loadFolderPairs(root, { clean: 'clean', distorted: 'other' }), /no image pairs found/);
  await assert.rejects(loadFolderPairs(root, { clean: 'nope' }), /nope: missing \(expected the clean folder\)/);
});

test('D2G: the generic loader under its own id, {high,low} detected, or the folders named', async () => {
  const root = tempDir('d2g');
  await writeImage(join(root, 'high', '1.png'), 1);
  await writeImage(join(root, 'high', '2.png'), 2);
  await writeImage(join(root, 'low', '1.png'), 3);
  await writeImage(join(root, 'low', '2.png'), 4);
  const loaded = await loadPairs('d2g', root);
  assert.deepEqual(loaded.pairs.map((p) => [p.clean, p.distorted]), [
    [join(root, 'high', '1.png'), join(root, 'low', '1.png')],
    [join(root, 'high', '2.png'), join(root, 'low', '2.png')],
  ]);
  await writeImage(join(root, 'Well-lit', '1.png'), 5);
  await writeImage(join(root, 'Ill-lit', '1.png'), 6);
  const named = await loadPairs('d2g', root, { clean: 'Well-lit', distorted: 'Ill-lit' });
  assert.deepEqual(named.pairs.map((p) => p.distorted), [join(root, 'Ill-lit', '1.png')]);
});
