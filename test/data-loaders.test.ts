// Each benchmark loader against a small copy of its official layout: counts, score01 direction and
// range, reference linkage, the first record, and one-line errors on missing or malformed files.
import assert from 'node:assert/strict';
import { rmSync, unlinkSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CSIQ_SCALE, LIVE_SCALE, fromDataFrame, loadCsiq, loadDataset, loadKadid10k, loadKoniq10k, loadLive, loadLivec,
  loadLivefb, loadRecords, loadTid2013, readDataset, summarizeDataset, toDataFrame, toScore01,
} from '../src/data/loaders/index.js';
import type { ImageRecord } from '../src/data/loaders/index.js';
import { csvTable } from '../src/data/loaders/table.js';
import {
  LIVE_TEST_REFS, buildCsiq, buildKadid10k, buildKoniq10k, buildLive, buildLivec, buildLivefb, buildTid2013, encodeMat,
  tempDir, writeFile,
} from './support/dataFixtures.js';

function best(records: ImageRecord[]): ImageRecord {
  return records.reduce((a, b) => (b.score01 > a.score01 ? b : a));
}

function inUnitRange(records: ImageRecord[]): boolean {
  return records.every((r) => r.score01 >= 0 && r.score01 <= 1);
}

test('LIVE release 2: 982 entries, reference copies left out, DMOS inverted, references linked', async () => {
  for (const compress of [false, true]) {
    const root = tempDir('live');
    const fx = await buildLive(root, compress);
    const copies = fx.orgs.filter((o) => o === 1).length;
    const loaded = await loadLive(root);
    const recs = loaded.records;
    assert.equal(recs.length, 982 - copies);
    // The first record: entry 2 (entry 1 is a reference copy), DMOS -2 clamped to the best score.
    assert.equal(recs[0]!.relImage, 'jp2k/img2.bmp');
    assert.equal(recs[0]!.raw, -2);
    assert.equal(recs[0]!.score01, 1);
    assert.equal(recs[1]!.raw, 105);
    assert.equal(recs[1]!.score01, 0);
    // DMOS: lower is better.
    const r = recs.find((x) => x.raw === 50)!;
    assert.equal(r.score01, 0.5);
    assert.equal(toScore01(20, LIVE_SCALE), 0.8);
    assert.ok(inUnitRange(recs));
    assert.equal(best(recs).raw, Math.min(...recs.map((x) => x.raw)));
    // Folder order and reference linkage (entry k -> refnames_all{k}).
    const wn = recs.find((x) => x.relImage === 'wn/img2.bmp')!;
    const k = 227 + 233 + 1;
    assert.equal(wn.distortion, 'wn');
    assert.equal(wn.raw, fx.dmos[k]);
    assert.equal(wn.reference, join(root, 'refimgs', fx.refnames[k]!));
    assert.equal(wn.refId, fx.refnames[k]!.replace('.bmp', ''));
    assert.equal(wn.param, 1); // info.txt: img2.bmp 1.00
    assert.equal(wn.image, join(root, 'wn', 'img2.bmp'));
    assert.equal(new Set(recs.map((x) => x.reference)).size, LIVE_TEST_REFS.length);
    assert.ok(loaded.notes.some((n) => n.includes(`${copies} are copies of the references`)));
    assert.ok(loaded.notes.some((n) => /raw value\(s\) outside the range .* clamped/.test(n)));
    assert.ok(loaded.notes.some((n) => n.startsWith(`${982 - copies} images (paper's Table 1: 982): the ${copies} reference copies`)));

    const all = await loadLive(root, { includeReferenceCopies: true });
    assert.equal(all.records.length, 982);
    assert.equal(all.records[0]!.relImage, 'jp2k/img1.bmp');
  }
});

test('LIVE: dmos_realigned.mat (dmos_new) on request', async () => {
  const root = tempDir('live-realigned');
  const fx = await buildLive(root);
  const realigned = fx.dmos.map((d, k) => (fx.orgs[k] === 1 ? 0 : d / 2));
  writeFile(join(root, 'dmos_realigned.mat'), encodeMat({ dmos_new: { kind: 'double', data: realigned }, orgs: { kind: 'double', data: fx.orgs } }, true));
  const loaded = await loadLive(root, { realigned: true });
  assert.equal(loaded.records[2]!.raw, realigned[3]);
  assert.ok(loaded.notes[0]!.startsWith('dmos_realigned.mat: 982 entries'));
});

test('CSV parsing: quotes, doubled quotes, CRLF, BOM, blank lines', () => {
  const table = csvTable('t.csv', '\uFEFFname,"mos"\r\n"a,b.jpg","1.5"\r\n\r\n  \n"say ""hi""",2\n');
  assert.deepEqual(table.columns, ['name', 'mos']);
  assert.deepEqual(table.rows, [['a,b.jpg', '1.5'], ['say "hi"', '2']]);
  assert.deepEqual(table.lines, [2, 5]);
  // quoting mistakes: one-line DataErrors naming the file and the line
  assert.throws(() => csvTable('q.csv', 'name,mos\n"a.jpg,1\n'), /^DataError: q\.csv: line 2: a quoted field is never closed$/);
  assert.throws(() => csvTable('u.csv', 'name,mos\na"b.jpg,1\n'), /^DataError: u\.csv: line 2: unexpected quote inside a field$/);
  assert.throws(() => csvTable('e.csv', '\n  \n'), /^DataError: e\.csv: empty \(expected a header line and data lines\)$/);
});

test('LIVE: missing and malformed files get one-line errors naming the file', async () => {
  const root = tempDir('live-bad');
  await buildLive(root);
  unlinkSync(join(root, 'dmos.mat'));
  await assert.rejects(loadLive(root), (err: Error) => {
    assert.equal(err.message, `${join(root, 'dmos.mat')}: missing (expected LIVE release 2 layout: dmos.mat, refnames_all.mat, refimgs/, jp2k/ jpeg/ wn/ gblur/ fastfading/ with info.txt)`);
    assert.ok(!err.message.includes('\n'));
    return true;
  });
  writeFile(join(root, 'dmos.mat'), encodeMat({ dmos_new: { kind: 'double', data: [1] } }));
  await assert.rejects(loadLive(root), new RegExp(`^Error: ${join(root, 'dmos.mat')}: variable "dmos" not found \\(variables: dmos_new\\)$`));
  writeFile(join(root, 'dmos.mat'), encodeMat({ dmos: { kind: 'double', data: [1, 2] }, orgs: { kind: 'double', data: [0, 0] } }));
  await assert.rejects(loadLive(root), /dmos\.mat: "dmos" has 2 entries, expected 982 \(jp2k 227, jpeg 233, wn 174, gblur 174, fastfading 174\)/);
  await assert.rejects(loadLive(join(root, 'nope')), /nope: not a folder \(expected LIVE release 2 layout/);
});

test('LIVE: a label entry whose image is missing names both, or is skipped with skipMissing', async () => {
  const root = tempDir('live-missing');
  await buildLive(root);
  unlinkSync(join(root, 'gblur', 'img7.bmp'));
  await assert.rejects(
    loadLive(root),
    new RegExp(`^DataError: ${join(root, 'dmos.mat')}: entry 641 names gblur/img7\\.bmp, but ${join(root, 'gblur', 'img7.bmp')} does not exist$`),
  );
  const loaded = await loadLive(root, { skipMissing: true });
  assert.ok(loaded.notes.some((n) => n.startsWith('1 label row(s) skipped: image missing (gblur/img7.bmp)')));
});

test('CSIQ: xlsx sheet all_by_image (offset header), 866-style names, DMOS 0-1 inverted', async () => {
  const root = tempDir('csiq');
  const { rows } = await buildCsiq(root);
  const loaded = await loadCsiq(root);
  const recs = loaded.records;
  assert.equal(recs.length, rows.length);
  assert.equal(recs[0]!.relImage, 'dst_imgs/awgn/1600.AWGN.1.png');
  assert.equal(recs[0]!.raw, 0.05);
  assert.equal(recs[0]!.score01, toScore01(0.05, CSIQ_SCALE));
  assert.ok(Math.abs(recs[0]!.score01 - 0.95) < 1e-12);
  assert.equal(recs[0]!.reference, join(root, 'src_imgs', '1600.png'));
  assert.equal(recs[0]!.level, 1);
  assert.equal(recs[0]!.refId, '1600');
  const j2k = recs.find((r) => r.distortion === 'jpeg2000' && r.refId === 'boston' && r.level === 2)!;
  assert.equal(j2k.relImage, 'dst_imgs/jpeg2000/boston.jpeg2000.2.png');
  assert.equal(best(recs), recs[0]); // lowest DMOS
  assert.ok(inUnitRange(recs));
  assert.equal(new Set(recs.map((r) => r.reference)).size, 2);
  assert.deepEqual([...new Set(recs.map((r) => r.distortion))], ['awgn', 'jpeg', 'jpeg2000', 'fnoise', 'blur', 'contrast']);
  assert.ok(loaded.notes.some((n) => n === `24 images (paper's Table 1: 866): the all_by_image sheet holds a different number of rows`));
});

test('CSIQ: missing workbook, sheet, or image', async () => {
  const root = tempDir('csiq-bad');
  await buildCsiq(root);
  unlinkSync(join(root, 'dst_imgs', 'blur', 'boston.BLUR.2.png'));
  await assert.rejects(loadCsiq(root), /csiq\.DMOS\.xlsx \[all_by_image\]: row \d+ names dst_imgs\/blur\/boston\.BLUR\.2\.png, but .*boston\.BLUR\.2\.png does not exist/);
  unlinkSync(join(root, 'csiq.DMOS.xlsx'));
  await assert.rejects(loadCsiq(root), /csiq\.DMOS\.xlsx: missing \(expected CSIQ layout: csiq\.DMOS\.xlsx \(sheet all_by_image\), src_imgs\/, dst_imgs\/<type>\/\)/);
});

test('TID2013: mos_with_names.txt, mixed-case BMP names, MOS 0-9', async () => {
  const root = tempDir('tid');
  const { lines } = await buildTid2013(root);
  const loaded = await loadTid2013(root);
  const recs = loaded.records;
  assert.equal(recs.length, lines.length);
  assert.equal(recs[0]!.relImage, 'distorted_images/i01_01_1.bmp');
  assert.equal(recs[0]!.raw, 6.5);
  assert.equal(recs[0]!.score01, 6.5 / 9);
  assert.equal(recs[0]!.distortion, 'additive_gaussian_noise');
  assert.equal(recs[0]!.level, 1);
  assert.equal(recs[0]!.reference, join(root, 'reference_images', 'I01.BMP'));
  // Upper-case file on disk for a lower-case name in the label file.
  const up = recs.find((r) => r.raw === lines[6]![0])!;
  assert.equal(up.relImage, 'distorted_images/I02_01_1.BMP');
  assert.equal(up.refId, 'i02');
  assert.equal(recs.find((r) => r.distortion === 'jpeg')!.level, 1);
  assert.equal(best(recs), recs[0]);
  assert.equal(new Set(recs.map((r) => r.refId)).size, 2);

  writeFile(join(root, 'mos_with_names.txt'), '5.1 i01_01_1.bmp\nfive i01_01_2.bmp\n');
  await assert.rejects(loadTid2013(root), /mos_with_names\.txt: line 2: mos is not a number \("five"\)/);
  writeFile(join(root, 'mos_with_names.txt'), '5.1\n');
  await assert.rejects(loadTid2013(root), /mos_with_names\.txt: line 1: expected "<mos> <image name>", got "5\.1"/);
});

test('KADID-10k: dmos.csv (1-5, higher is better despite the name)', async () => {
  const root = tempDir('kadid');
  const { rows } = await buildKadid10k(root);
  const recs = await loadRecords('kadid10k', root);
  assert.equal(recs.length, rows.length);
  assert.equal(recs[0]!.relImage, 'images/I01_01_01.png');
  assert.equal(recs[0]!.raw, 4.6);
  assert.ok(Math.abs(recs[0]!.score01 - 0.9) < 1e-12);
  assert.equal(recs[0]!.distortion, 'gaussian_blur');
  assert.equal(recs[1]!.level, 5);
  assert.equal(recs[2]!.distortion, 'contrast_change');
  assert.equal(recs[0]!.reference, join(root, 'images', 'I01.png'));
  assert.equal(best(recs), recs[0]);
  assert.ok(recs[recs.length - 1]!.score01 < recs[0]!.score01);

  writeFile(join(root, 'dmos.csv'), 'dist_img,ref_img,score,var\nI01_01_01.png,I01.png,4,0\n');
  await assert.rejects(
    loadKadid10k(root),
    new RegExp(`^DataError: ${join(root, 'dmos.csv')}: column "dmos" not found \\(columns: dist_img, ref_img, score, var\\)$`),
  );
});

test('LIVE Challenge: the 7 training images left out (1162 of 1169 in the real set)', async () => {
  const root = tempDir('livec');
  const { names, mos } = await buildLivec(root);
  const loaded = await loadLivec(root);
  const recs = loaded.records;
  assert.equal(recs.length, names.length - 7);
  assert.equal(recs[0]!.relImage, 'Images/10.bmp');
  assert.equal(recs[0]!.raw, 63.5);
  assert.equal(recs[0]!.score01, 0.635);
  assert.equal(recs[1]!.relImage, 'Images/100.JPG');
  assert.equal(best(recs).raw, 88);
  assert.equal(recs[0]!.reference, undefined);
  assert.equal(recs[0]!.refId, undefined);
  const all = await loadLivec(root, { keepTrainingImages: true });
  assert.equal(all.records.length, names.length);
  assert.equal(all.records[0]!.relImage, 'Images/trainingImages/t1.bmp');
  assert.deepEqual(all.records.map((r) => r.raw), mos);
  rmSync(join(root, 'Data', 'AllMOS_release.mat'));
  await assert.rejects(loadLivec(root), /Data\/AllMOS_release\.mat: missing \(expected LIVE Challenge layout/);
});

test('KonIQ-10k: quoted csv, MOS_zscore by default, MOS on request', async () => {
  const root = tempDir('koniq');
  const { rows } = await buildKoniq10k(root);
  const z = await loadKoniq10k(root);
  assert.equal(z.records.length, rows.length);
  assert.equal(z.records[0]!.relImage, '1024x768/10004473376.jpg');
  assert.equal(z.records[0]!.raw, 77.38);
  assert.ok(Math.abs(z.records[0]!.score01 - 0.7738) < 1e-12);
  assert.equal(best(z.records).relImage, '1024x768/10009096245.jpg');
  const mos = await loadKoniq10k(root, { scoreColumn: 'MOS' });
  assert.equal(mos.records[2]!.raw, 1.6);
  assert.ok(Math.abs(mos.records[2]!.score01 - 0.15) < 1e-12);
  assert.ok(mos.notes.includes('score column MOS'));

  unlinkSync(join(root, '1024x768', '10007357496.jpg'));
  await assert.rejects(
    loadKoniq10k(root),
    new RegExp(`koniq10k_scores_and_distributions\\.csv: line 3 names 1024x768/10007357496\\.jpg, but ${join(root, '1024x768', '10007357496.jpg')} does not exist`),
  );
  const partial = await loadKoniq10k(root, { skipMissing: true });
  assert.equal(partial.records.length, rows.length - 1);
});

test('LIVE-FB: labels_image.csv with subfolder names, images below database/', async () => {
  const root = tempDir('livefb');
  const { rows } = await buildLivefb(root);
  const loaded = await loadLivefb(root);
  assert.equal(loaded.records.length, rows.length);
  assert.equal(loaded.records[0]!.relImage, 'database/AVA__149.jpg');
  assert.equal(loaded.records[0]!.score01, 0.725);
  assert.equal(loaded.records[1]!.relImage, 'database/blur_dataset/motion0012.jpg');
  assert.equal(best(loaded.records).raw, 72.5);
  assert.ok(loaded.notes.some((n) => n.startsWith("3 images (paper's Table 1: 39810)")));
  // The same images below FLIVE/ instead, as some IQA codebases arrange them.
  await rename(join(root, 'database'), join(root, 'FLIVE'));
  assert.equal((await loadLivefb(root)).records[1]!.relImage, 'FLIVE/blur_dataset/motion0012.jpg');
  await rename(join(root, 'FLIVE'), join(root, 'elsewhere'));
  await assert.rejects(loadLivefb(root), /names AVA__149\.jpg, but none of .*AVA__149\.jpg, .*database\/AVA__149\.jpg, .*FLIVE\/AVA__149\.jpg exists/);
  writeFile(join(root, 'labels_image.csv'), 'image,score\nAVA__149.jpg,3\n');
  await assert.rejects(loadLivefb(root), /labels_image\.csv: column "name" or "name_image" not found \(columns: image, score\)/);
});

test('DataFrame: columns, order and round trip; summary of a load', async () => {
  const root = tempDir('df');
  await buildKadid10k(root);
  const df = await loadDataset('kadid10k', root);
  assert.deepEqual(df.columns, ['image', 'relImage', 'reference', 'distortion', 'level', 'param', 'raw', 'score01', 'refId']);
  assert.equal(df.shape[0], 8);
  const recs = await loadRecords('kadid10k', root);
  assert.deepEqual(fromDataFrame(df), recs);
  assert.deepEqual(toDataFrame([]).shape, [0, 9]);
  const summary = summarizeDataset(await readDataset('kadid10k', root));
  assert.equal(summary.count, 8);
  assert.equal(summary.references, 2);
  assert.deepEqual(summary.first, { image: 'images/I01_01_01.png', score01: recs[0]!.score01 });
  await assert.rejects(loadRecords('nope', root), /unknown dataset "nope"/);
});
