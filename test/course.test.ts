// `dgiqa reproduce` runs every training of the course in one queue before the notebooks. The queue
// must hold exactly what the notebooks' experiments train: after it, the experiments (protocol,
// ablations, lambdas, cross-dataset, DGIQA-FR) find every training saved and train nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { PROFILES, type Profile, coursePlan, paths, runAblations, runCrossAll, runFullReference, runLambdaSweep, runProtocol, runScratch, trainCourse } from '../src/experiments/index.js';

/** every file under the run folders (checkpoints, state, logs) with its size and modification time */
function runFiles(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, inRun: boolean): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, inRun || e.name === 'run');
      else if (inRun) {
        const s = statSync(p);
        out.set(p, `${s.size}:${s.mtimeMs}`);
      }
    }
  };
  walk(root, false);
  return out;
}

test('the course queue trains what the notebooks train, and then they train nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-course-'));
  // the generated benchmark and the results in a temporary folder; workers read the environment
  process.env.DGIQA_SYNTH = paths.synth = join(dir, 'synth');
  process.env.DGIQA_RESULTS = paths.results = join(dir, 'results');
  try {
    await initBackend('wasm');
    // the smoke profile with one split and one lambda (fewer trainings of every kind; DGIQA-FR, which
    // workers look up by profile name, as in smoke)
    const profile: Profile = { ...PROFILES.smoke, splits: 1, lambdas: [1] };
    const plan = await coursePlan(profile);
    // 1 protocol split (also the full model of the ablations), its from-scratch twin, 4 other ablation
    // variants (3 of the paper's, RGB only), 1 lambda, 1 cross-dataset model, 1 DGIQA-FR
    assert.equal(plan.pending.length, 9);
    assert.equal(plan.saved, 0);
    assert.equal(plan.pending[0]!.task.kind, 'fr', 'the largest training first');
    const done = await trainCourse(profile, 2, () => undefined);
    assert.deepEqual([done.trained, done.saved, done.parallel], [9, 0, 2]);
    const before = runFiles(paths.results);
    assert.ok(before.size >= 9 * 3, `${before.size} files in the run folders`);

    await runProtocol(profile, 'synth-A', () => undefined);
    await runScratch(profile);
    await runAblations(profile);
    await runLambdaSweep(profile);
    await runCrossAll(profile);
    await runFullReference(profile);
    assert.deepEqual(runFiles(paths.results), before, 'no checkpoint written, no run folder added by the experiments');
    const again = await coursePlan(profile);
    assert.deepEqual([again.pending.length, again.saved], [0, 9]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
