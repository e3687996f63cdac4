// dgiqa recipe: a candidate recipe against the profile's on splits outside Table 2's, end to end on the
// smoke benchmark, and the refusals that keep the comparison honest.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PROFILES, checkRecipe, defaultRecipeSplits } from '../src/experiments/index.js';
import type { RecipeComparison } from '../src/experiments/index.js';

const run = promisify(execFile);
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'dgiqa.js');

let scratch: string;
before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'dgiqa-recipe-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('checkRecipe', () => {
  const smoke = PROFILES.smoke;
  test('the default splits are the three after the protocol\'s', () => {
    assert.deepEqual(defaultRecipeSplits(smoke), [2, 3, 4]);
    assert.deepEqual(defaultRecipeSplits(PROFILES.demo), [3, 4, 5]);
    assert.doesNotThrow(() => checkRecipe(smoke, { train: { lr: 1e-3 } }, [2, 3]));
  });
  test('a protocol split is refused unless allowed; bad split lists are refused', () => {
    assert.throws(() => checkRecipe(smoke, { train: {} }, [1, 2]), /split 1 is one of Table 2's.*--allow-protocol-splits/);
    assert.doesNotThrow(() => checkRecipe(smoke, { train: {} }, [1, 2], true));
    assert.throws(() => checkRecipe(smoke, { train: {} }, []), /no splits/);
    assert.throws(() => checkRecipe(smoke, { train: {} }, [2, 2]), /listed twice/);
    assert.throws(() => checkRecipe(smoke, { train: {} }, [2.5]), /non-negative integers/);
  });
  test('overrides: unknown keys, bad values and keys with their own way in are refused', () => {
    assert.throws(() => checkRecipe(smoke, { train: { epochs: 3 } }, [2]), /unknown key "epochs"/);
    assert.throws(() => checkRecipe(smoke, { train: { lr: -1 } }, [2]), /lr > 0/);
    assert.throws(() => checkRecipe(smoke, { train: { seed: 3 } }, [2]), /"seed" is not a training override here/);
    assert.throws(() => checkRecipe(smoke, { train: { pretrained: 'x' } }, [2]), /--pretrained/);
    assert.throws(() => checkRecipe(smoke, { train: {}, model: { tcbOut: [8, 16, 32, -64] } }, [2]), /"tcbOut" must be a list of positive integers/);
    const missing = join(scratch, 'none.safetensors');
    assert.throws(() => checkRecipe(smoke, { train: {}, pretrained: missing }, [2]), new RegExp(`${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such file`));
  });
});

describe('dgiqa recipe', () => {
  test('on the smoke benchmark: both recipes trained on split 2, compared, saved and reused; bad flags refused in one line', async () => {
    const env = { ...process.env, DGIQA_SYNTH: join(scratch, 'synth'), DGIQA_RESULTS: join(scratch, 'results'), DGIQA_TRAIN_PARALLEL: '1' };
    await run('node', [BIN, 'synth', '--out', join(scratch, 'synth'), '--profile', 'smoke'], { env });
    const args = ['recipe', '--profile', 'smoke', '--splits', '2', '--train', '{"lr":0.001,"numEpochs":2}'];
    const first = await run('node', [BIN, ...args], { env, maxBuffer: 1 << 26 });
    const r = JSON.parse(first.stdout.trim().split('\n').at(-1)!) as RecipeComparison;
    assert.deepEqual(r.splits, [2]);
    assert.equal(r.dataset, 'synth-A');
    for (const arm of [r.baseline, r.candidate]) {
      assert.equal(arm.test.length, 1);
      assert.ok(arm.test[0]! >= -1 && arm.test[0]! <= 1, `test SROCC ${arm.test[0]}`);
      assert.ok(existsSync(join(arm.dir, 'split-02', 'result.json')));
    }
    assert.notEqual(r.baseline.dir, r.candidate.dir);
    // each arm trained with what it says: the baseline the smoke profile's train config, the candidate the overrides
    const trained = (dir: string): Record<string, unknown> => (JSON.parse(readFileSync(join(dir, 'split-02', 'result.json'), 'utf8')) as { trainConfig: Record<string, unknown> }).trainConfig;
    assert.equal(trained(r.baseline.dir).lr, PROFILES.smoke.train.lr);
    assert.equal(trained(r.baseline.dir).numEpochs, PROFILES.smoke.train.numEpochs);
    assert.equal(trained(r.candidate.dir).lr, 0.001);
    assert.equal(trained(r.candidate.dir).numEpochs, 2);
    assert.equal(r.candidate.epochs.length, 1);
    assert.ok(r.candidate.epochs[0]! >= 1 && r.candidate.epochs[0]! <= 2);
    const recipe = JSON.parse(readFileSync(join(r.candidate.dir, 'recipe.json'), 'utf8')) as { overrides: { train: Record<string, unknown> } };
    assert.deepEqual(recipe.overrides.train, { lr: 0.001, numEpochs: 2 });
    // the paired difference of one split is the difference itself, with no interval
    assert.ok(Math.abs(r.testDiff.meanDiff - (r.candidate.test[0]! - r.baseline.test[0]!)) < 1e-12);
    assert.equal(r.testDiff.n, 1);
    assert.equal(r.testDiff.significant, false);
    // a rerun trains nothing: the same numbers from the saved runs
    const again = await run('node', [BIN, ...args], { env, maxBuffer: 1 << 26 });
    assert.doesNotMatch(again.stderr, /training step/);
    assert.deepEqual((JSON.parse(again.stdout.trim().split('\n').at(-1)!) as RecipeComparison).candidate.test, r.candidate.test);
    const bad = async (extra: string[], pattern: RegExp): Promise<void> => {
      await assert.rejects(run('node', [BIN, 'recipe', '--profile', 'smoke', ...extra], { env }), (e: { code?: number; stdout?: string; stderr?: string }) => {
        assert.equal(e.code, 1);
        assert.match(`${e.stdout ?? ''}${e.stderr ?? ''}`, pattern);
        return true;
      });
    };
    await bad(['--train', '{"lr":0.001}', '--splits', '0'], /split 0 is one of Table 2's/);
    await bad(['--train', 'lr=0.001'], /--train must be a JSON object/);
    await bad(['--train', '[1]'], /--train must be a JSON object/);
    await bad(['--train', '{"bogus":1}', '--splits', '2'], /unknown key "bogus"/);
    await bad(['--train', '{}', '--splits', 'two'], /--splits must be a non-negative integer/);
    await bad(['--splits', '2'], /usage: dgiqa recipe/);
    await bad(['--train', '{"lr":0.003}', '--splits', '2'], /the candidate trains exactly as the profile smoke's recipe does/);
    await bad(['--train', '{}', '--splits', '2', '--pretrained', join(scratch, 'none.safetensors')], /none\.safetensors: no such file/);
  });
});
