// The README's numbers from a course run: the committed README's marked blocks equal what the
// committed figures/ render to (so a number typed by hand, or left from an older run, fails here),
// and the filling itself on small tables the test writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KIT_ROOT } from '../src/experiments/paths.js';
import { renderSettingsTable } from '../src/settings/index.js';
import { COURSE_RUN_FILE, blocksIn, courseRunRecord, fillBlocks, readmeBlocks, updateReadme, writeCourseRun } from '../src/report/readme.js';

const README = join(KIT_ROOT, 'README.md');
const FIGURES = join(KIT_ROOT, 'figures');

test('the committed README holds exactly what the committed figures render to', async () => {
  const text = await readFile(README, 'utf8');
  const found = blocksIn(text);
  const rendered = await readmeBlocks(FIGURES);
  for (const name of ['course-results', 'course-time', 'course-timings', 'protocol-row', 'settings']) assert.ok(found.has(name), `README.md lacks the block ${name}`);
  assert.equal(fillBlocks(text, rendered, README), text, 'README.md is stale: run `npm run reproduce` (demo), which refills it from figures/');
});

test('the README states no course result outside its blocks', async () => {
  const text = await readFile(README, 'utf8');
  const outside = text.replace(/<!-- dgiqa:([a-z0-9-]+) -->[\s\S]*?<!-- \/dgiqa:\1 -->/g, '');
  const rendered = await readmeBlocks(FIGURES);
  // Any three-decimal metric the blocks show must not also be typed elsewhere in the README.
  const metrics = new Set([...rendered.values()].flatMap((v) => v.match(/\b0\.\d{3}\b/g) ?? []));
  const typed = [...new Set(outside.match(/\b0\.\d{3}\b/g) ?? [])].filter((m) => metrics.has(m));
  assert.deepEqual(typed, [], `README.md types course results outside its blocks: ${typed.join(', ')}`);
});

async function fakeFigures(dir: string, srocc: string): Promise<void> {
  const src = '"this run, profile demo"';
  const files: Record<string, string> = {
    'table2-benchmarks.csv': `model,synth-A SROCC,synth-A PLCC,splits,source\nX,0.9,0.9,,paper\n"DGIQA (this kit), mean",${srocc},0.700,3,${src}\n"DGIQA (this kit), std",0.010,0.020,3,${src}\n`,
    'table3-cross-dataset.csv': `train,test,model,srocc,plcc,source\nsynth-A,synth-B,DGIQA (this kit),0.600,0.610,${src}\n`,
    'table4-ablation.csv': `cfg,config,SROCC [95% CI],splits,SROCC − full [95% CI],p (paired t),significant (95%),source\n` +
      `1,DGIQA without TCB,"0.500 [0.4, 0.6]",3,"-0.010 [-0.1, +0.1]",0.500,no,${src}\n4,DGIQA full,"${srocc} [0.4, 0.6]",3,,,,${src}\n`,
    'table-depth-guidance.csv': `group,full − RGB only [95% CI],p (paired t),source\nall distortions,"+0.010 [-0.1, +0.1]",0.400,${src}\n`,
    'fig08-overlap.csv': `dataset,subset,overlap (%),source\nsynth-B,haze,20.0,${src}\n`,
    'table6-full-reference.csv': `model,synth-A SROCC,synth-A PLCC,source\nDGIQA-FR (this kit),0.800,0.810,${src}\n`,
  };
  for (const [f, t] of Object.entries(files)) await writeFile(join(dir, f), t);
  await writeCourseRun(dir, courseRunRecord({
    profile: 'demo', date: '2026-01-02',
    trainings: { trained: 4, saved: 0, parallel: 2, seconds: 600, ok: true },
    notebooks: [{ notebook: '01-idea.ipynb', seconds: 12.34, ok: true }, { notebook: '02-data.ipynb', seconds: 0, ok: false, skipped: true }],
  }));
}

test('blocks are refilled from the tables, inline and as whole lines; unknown blocks and missing rows are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-readme-'));
  try {
    await fakeFigures(dir, '0.777');
    const run = JSON.parse(await readFile(join(dir, COURSE_RUN_FILE), 'utf8')) as { seconds: number; notebooks: unknown[] };
    assert.equal(run.seconds, 612.3); // the skipped notebook is not counted
    assert.equal(run.notebooks.length, 1);
    const readme = join(dir, 'README.md');
    await writeFile(readme, 'In **<!-- dgiqa:course-time -->old<!-- /dgiqa:course-time -->**.\n\n<!-- dgiqa:course-results -->\n| old |\n<!-- /dgiqa:course-results -->\n');
    assert.equal(await updateReadme(readme, dir), true);
    const text = await readFile(readme, 'utf8');
    assert.match(text, /In \*\*<!-- dgiqa:course-time -->10 min 12 s<!-- \/dgiqa:course-time -->\*\*\./);
    assert.match(text, /<!-- dgiqa:course-results -->\n\| result \| this course \|/);
    assert.match(text, /SROCC \*\*0\.777\*\* ± 0\.010/);
    assert.match(text, /synth-A -> synth-B 0\.600/);
    assert.match(text, /without TCB -0\.010 \[-0\.1, \+0\.1\] \(p 0\.500\)/);
    assert.equal(await updateReadme(readme, dir), false, 'a second fill changes nothing');
    // A new run's tables change the README.
    await fakeFigures(dir, '0.801');
    assert.equal(await updateReadme(readme, dir), true);
    assert.match(await readFile(readme, 'utf8'), /SROCC \*\*0\.801\*\*/);

    assert.match(await readFile(readme, 'utf8'), /haze 20\.0%/);
    // the density table with its scorers: the overlaps grouped per scorer
    await writeFile(join(dir, 'fig08-overlap.csv'), `scorer,dataset,subset,overlap (%),clean scored better (% of pairs),source\nDGIQA,synth-B,haze,20.0,91.7,"this run, profile demo"\nNIQE (lower is better),synth-B,haze,35.5,80.6,"this run, profile demo"\n` +
      `DGIQA,synth-B,all (Fig. 2),21.0,88.2,"this run, profile demo"\nNIQE (lower is better),synth-B,all (Fig. 2),40.0,70.8,"this run, profile demo"\n`);
    const results = (await readmeBlocks(dir)).get('course-results')!;
    assert.match(results, /DGIQA: haze 20\.0%, all \(Fig\. 2\) 21\.0%; NIQE \(lower is better\): haze 35\.5%, all \(Fig\. 2\) 40\.0%/);
    assert.match(results, /\| Figs\. 2 and 8, clean image scored better than its distorted version \(level 3 and worse, % of pairs\) \| DGIQA: 88\.2%; NIQE \(lower is better\): 70\.8% \|/);

    assert.throws(() => fillBlocks('<!-- dgiqa:nope -->x<!-- /dgiqa:nope -->', new Map([['a', 'b']]), 'R.md'), /^Error: R\.md: unknown block "nope"/);
    await writeFile(join(dir, 'table6-full-reference.csv'), 'model,synth-A SROCC,synth-A PLCC,source\nA,0.1,0.1,paper\n');
    await assert.rejects(readmeBlocks(dir), /table6-full-reference\.csv: the kit's row is missing/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the committed README check fails on a stale number (it can fail)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-readme-'));
  try {
    for (const f of await readdir(FIGURES)) if (/\.(csv|json)$/.test(f)) await copyFile(join(FIGURES, f), join(dir, f));
    const text = await readFile(README, 'utf8');
    const blocks = await readmeBlocks(dir);
    const stale = text.replace(/(<!-- dgiqa:course-time -->)[^<]*/, '$1 9 min 59 s');
    assert.notEqual(fillBlocks(stale, blocks, README), stale);
    // the settings table too: a variable's row edited by hand, or one left out of the table
    assert.equal(blocks.get('settings'), renderSettingsTable());
    const edited = text.replace('| `DGIQA_PROFILE` |', '| `DGIQA_PROFILES` |');
    assert.notEqual(edited, text);
    assert.notEqual(fillBlocks(edited, blocks, README), edited);
    const dropped = text.replace(/\n\| `DGIQA_ENGINE` \|[^\n]*/, '');
    assert.notEqual(dropped, text);
    assert.notEqual(fillBlocks(dropped, blocks, README), dropped);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
