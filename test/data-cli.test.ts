// `dgiqa data summary` on dataset folders arranged as their authors distribute them: the last line
// of stdout is one JSON object; errors are one line on stderr with a non-zero exit.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { buildCsiq, buildLive, buildLivec, buildTid2013, tempDir, writeImage } from './support/dataFixtures.js';

const run = promisify(execFile);
const CLI = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'data.js')).href;

/** Runs dataCommand in a fresh process (its stdout is what a user sees). */
async function dgiqaData(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `import(${JSON.stringify(CLI)}).then((m) => m.dataCommand(${JSON.stringify(args)})).then((c) => { process.exitCode = c; });`;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function lastJson(stdout: string): unknown {
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]!);
}

test('data summary live: info lines, then the JSON summary as last line', async () => {
  const root = tempDir('cli-live');
  const fx = await buildLive(root);
  const { code, stdout } = await dgiqaData(['summary', 'live', root]);
  assert.equal(code, 0);
  const kept = fx.dmos.filter((_, k) => fx.orgs[k] === 0);
  const scores = kept.map((d) => Math.min(1, Math.max(0, 1 - d / 100)));
  const summary = lastJson(stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(summary), ['dataset', 'count', 'references', 'score01', 'first']);
  assert.equal(summary.dataset, 'live');
  assert.equal(summary.count, kept.length);
  assert.equal(summary.references, 3);
  const s01 = summary.score01 as { min: number; max: number; mean: number };
  assert.equal(s01.min, 0);
  assert.equal(s01.max, 1);
  assert.ok(Math.abs(s01.mean - scores.reduce((a, b) => a + b, 0) / scores.length) < 1e-9);
  assert.deepEqual(summary.first, { image: 'jp2k/img2.bmp', score01: 1 });
  assert.match(stdout, /info: .*reference copies \(orgs == 1\) are left out/);
  assert.match(stdout, /info: first image decodes: 5x3 RGB/);

  const all = await dgiqaData(['summary', 'live', root, '--with-reference-copies', '--no-decode']);
  assert.equal((lastJson(all.stdout) as { count: number }).count, 982);
});

test('data summary on CSIQ, TID2013 and LIVE Challenge', async () => {
  const csiq = tempDir('cli-csiq');
  await buildCsiq(csiq);
  const c = lastJson((await dgiqaData(['summary', 'csiq', csiq])).stdout) as { count: number; references: number; first: unknown };
  assert.deepEqual([c.count, c.references], [24, 2]);
  assert.deepEqual(c.first, { image: 'dst_imgs/awgn/1600.AWGN.1.png', score01: 0.95 });

  const tid = tempDir('cli-tid');
  await buildTid2013(tid);
  const t = lastJson((await dgiqaData(['summary', 'tid2013', tid])).stdout) as { count: number; references: number; first: unknown };
  assert.deepEqual([t.count, t.references], [12, 2]);
  assert.deepEqual(t.first, { image: 'distorted_images/i01_01_1.bmp', score01: 6.5 / 9 });

  const livec = tempDir('cli-livec');
  await buildLivec(livec);
  const out = await dgiqaData(['summary', 'livec', livec]);
  const l = lastJson(out.stdout) as { count: number; references: number; first: unknown };
  assert.deepEqual([l.count, l.references], [3, 0]);
  assert.deepEqual(l.first, { image: 'Images/10.bmp', score01: 0.635 });
  assert.match(out.stdout, /info: 3 images \(paper's Table 1: 1162\)/);
});

test('data summary on a pair set', async () => {
  const root = tempDir('cli-pairs');
  await writeImage(join(root, 'GT', '05_indoor_GT.jpg'), 1);
  await writeImage(join(root, 'hazy', '05_indoor_hazy.jpg'), 2);
  const { code, stdout } = await dgiqaData(['summary', 'ihaze', root]);
  assert.equal(code, 0);
  assert.deepEqual(lastJson(stdout), {
    dataset: 'ihaze', count: 1, references: 1, score01: null, subsets: { ihaze: 1 },
    first: { image: 'hazy/05_indoor_hazy.jpg', clean: 'GT/05_indoor_GT.jpg' },
  });
});

test('data summary errors: one line on stderr, exit 1', async () => {
  const root = tempDir('cli-bad');
  const missing = await dgiqaData(['summary', 'live', root]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `dgiqa data: ${join(root, 'dmos.mat')}: missing (expected LIVE release 2 layout: dmos.mat, refnames_all.mat, refimgs/, jp2k/ jpeg/ wn/ gblur/ fastfading/ with info.txt)\n`);
  const unknown = await dgiqaData(['summary', 'foo', root]);
  assert.match(unknown.stderr, /^dgiqa data: unknown dataset "foo" \(benchmarks: live, csiq, tid2013, kadid10k, livec, koniq10k, livefb; pair sets: lol, d2g, ihaze, gopro, flare7k, pairs\)\n$/);
  const flag = await dgiqaData(['summary', 'csiq', root, '--realigned']);
  assert.match(flag.stderr, /^dgiqa data: option --realigned applies to live only\n$/);
  assert.equal(flag.code, 1);
});
