// Choosing a training recipe without looking at Table 2's test parts: the profile's recipe and a
// candidate (training overrides, other backbones, a model variant) trained on the same splits, by
// default the three after the protocol's, and compared split by split (paired t interval).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { settingOn } from '../settings/index.js';
import { applySplit } from '../data/splits.js';
import { meanInterval, pairedComparison } from '../eval/index.js';
import type { Interval, PairedComparison } from '../eval/index.js';
import { resolveConfig } from '../model/index.js';
import { resolveTrainConfig } from '../train/index.js';
import { openBenchmark } from './datasets.js';
import { paths } from './paths.js';
import { datasetTrain } from './profiles.js';
import type { Profile } from './profiles.js';
import { splitDir, splitsFor } from './protocol.js';
import { resultPath } from './results.js';
import { pretrainedFor, runModelConfig } from './run.js';
import type { RunResult, RunSpec } from './run.js';
import { trainAndTestAll } from './parallel.js';

/** What a candidate changes in the profile's recipe. */
export interface Recipe {
  /** training overrides on top of the profile's (`profile.train`); not `model`, `pretrained` or `seed` */
  train: Record<string, unknown>;
  /** backbone weights the candidate starts from (timm layout); absent: the profile's */
  pretrained?: string;
  /** model config overrides on the profile's preset (an ablation variant, other widths) */
  model?: Record<string, unknown>;
}

/** One recipe's runs, in the order of the splits. */
export interface RecipeArm {
  /** folder of its runs, results/<profile>/recipe/<dataset>/<key> (recipe.json says what the key stands for) */
  dir: string;
  test: number[];
  plcc: number[];
  /** validation SROCC of the epoch each run kept */
  val: number[];
  epochs: number[];
  trainSeconds: number[];
  testMean: Interval;
  valMean: Interval;
}

export interface RecipeComparison {
  dataset: string;
  splits: number[];
  baseline: RecipeArm;
  candidate: RecipeArm;
  /** candidate minus baseline, split by split */
  testDiff: PairedComparison;
  valDiff: PairedComparison;
}

/** Keys a candidate may not set in `train`: each has its own way in (or is the split's). */
const OWN_WAY: Readonly<Record<string, string>> = { model: 'pass model overrides as `model` (--model)', pretrained: 'pass the weights as `pretrained` (--pretrained)', seed: 'each run is seeded by its split, as the protocol\'s are' };

/** The three splits after the protocol's: their test parts are none of Table 2's. */
export function defaultRecipeSplits(profile: Profile): number[] {
  return [profile.splits, profile.splits + 1, profile.splits + 2];
}

const keyOf = (settings: Record<string, unknown>): string => createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 12);

/** One side of a comparison: the profile it trains under, its overrides, and its settings in full and their key. */
interface Arm {
  name: string;
  recipe: Recipe;
  profile: Profile;
  trainOverrides: Record<string, unknown>;
  /** everything the runs train and test with, hashed into the folder's key so that a changed profile never reuses an old run */
  settings: Record<string, unknown>;
  key: string;
}

function planArm(profile: Profile, dataset: string, recipe: Recipe, name: string): Arm {
  const p = recipe.pretrained === undefined ? profile : { ...profile, pretrained: recipe.pretrained };
  const trainOverrides = { ...datasetTrain(profile, dataset), ...recipe.train };
  const settings = { train: { ...profile.train, ...trainOverrides }, pretrained: pretrainedFor(p), model: runModelConfig(profile, recipe.model), cropSize: profile.cropSize, evalCrops: profile.evalCrops, valCrops: profile.valCrops, trainShortSide: profile.trainShortSide, evalShortSide: profile.evalShortSide };
  return { name, recipe, profile: p, trainOverrides, settings, key: keyOf(settings) };
}

/** Checks a candidate before any data is read; the first problem is thrown, in one line. */
export function checkRecipe(profile: Profile, recipe: Recipe, splits: readonly number[], allowProtocolSplits = false): void {
  if (splits.length === 0) throw new Error('recipe: no splits given');
  if (splits.some((k) => !Number.isInteger(k) || k < 0)) throw new Error(`recipe: splits must be non-negative integers, got ${splits.join(',')}`);
  if (new Set(splits).size !== splits.length) throw new Error(`recipe: split listed twice in ${splits.join(',')}`);
  const protocol = splits.filter((k) => k < profile.splits);
  if (protocol.length > 0 && !allowProtocolSplits) {
    throw new Error(`recipe: split ${protocol.join(', ')} is one of Table 2's (the profile's ${profile.splits} protocol splits): choosing a recipe on its test part tunes on the test; use splits ${defaultRecipeSplits(profile).join(',')} (the default), or allow it explicitly (--allow-protocol-splits)`);
  }
  for (const key of Object.keys(recipe.train)) {
    const why = OWN_WAY[key];
    if (why) throw new Error(`recipe: "${key}" is not a training override here: ${why}`);
  }
  resolveTrainConfig({ ...profile.train, ...recipe.train }, 'recipe train overrides');
  if (recipe.model) resolveConfig(runModelConfig(profile, recipe.model));
  if (recipe.pretrained !== undefined) {
    // the environment's choice would replace the candidate's weights (pretrainedFor), silently
    if (paths.pretrained) throw new Error(`recipe: DGIQA_PRETRAINED is set (${paths.pretrained}) and would replace the candidate's --pretrained; unset one of them`);
    if (settingOn('DGIQA_FROM_SCRATCH')) throw new Error('recipe: DGIQA_FROM_SCRATCH is set, so the candidate would not start from --pretrained; unset one of them');
    if (!existsSync(recipe.pretrained)) throw new Error(`${recipe.pretrained}: no such file (the candidate's --pretrained)`);
  }
}

/** Both recipes' runs on `splits` of `dataset`, baseline first; the folders get a recipe.json each. */
export async function recipeSpecs(profile: Profile, dataset: string, recipe: Recipe, splits: readonly number[], allowProtocolSplits = false): Promise<{ baseline: RunSpec[]; candidate: RunSpec[] }> {
  const candidate: Recipe = recipe.pretrained === undefined ? recipe : { ...recipe, pretrained: resolve(recipe.pretrained) };
  checkRecipe(profile, candidate, splits, allowProtocolSplits);
  const b = await openBenchmark(dataset, profile);
  const all = await splitsFor(profile, b, Math.max(profile.splits, Math.max(...splits) + 1));
  const baseline = planArm(profile, dataset, { train: {} }, 'baseline');
  const other = planArm(profile, dataset, candidate, 'candidate');
  // the same settings would be the same folders, trained twice at once
  if (other.key === baseline.key) {
    throw new Error(`recipe: the candidate trains exactly as the profile ${profile.name}'s recipe does; change a training setting, the backbones or the model`);
  }
  const specsOf = async (a: Arm): Promise<RunSpec[]> => {
    const dir = resultPath(profile, 'recipe', dataset, a.key);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'recipe.json'), JSON.stringify({ name: a.name, overrides: a.recipe, settings: a.settings }, null, 1) + '\n');
    return splits.map((k): RunSpec => {
      const parts = applySplit(b.items, all[k]!);
      return { profile: a.profile, dir: join(dir, splitDir(k)), train: parts.train, val: parts.val, test: parts.test, label: `${dataset} split ${k} (${a.name})`, data: b.id, seed: k, trainOverrides: a.trainOverrides, ...(a.recipe.model ? { model: a.recipe.model } : {}) };
    });
  };
  return { baseline: await specsOf(baseline), candidate: await specsOf(other) };
}

function armOf(dir: string, runs: readonly RunResult[]): RecipeArm {
  const test = runs.map((r) => r.metrics.srocc);
  const val = runs.map((r) => r.selection?.valSrocc ?? NaN);
  return {
    dir,
    test,
    plcc: runs.map((r) => r.metrics.plcc),
    val,
    epochs: runs.map((r) => r.selection?.epoch ?? Number(r.trainConfig.numEpochs)),
    trainSeconds: runs.map((r) => r.trainSeconds),
    testMean: meanInterval(test),
    valMean: val.every(Number.isFinite) ? meanInterval(val) : { n: val.length, mean: NaN, lo: NaN, hi: NaN, level: 0.95 },
  };
}

/** Trains what is not saved yet (`parallel` at a time) and compares the candidate with the profile's recipe. */
export async function compareRecipes(profile: Profile, dataset: string, recipe: Recipe, splits: readonly number[] = defaultRecipeSplits(profile), opts: { allowProtocolSplits?: boolean; parallel?: number } = {}): Promise<RecipeComparison> {
  const specs = await recipeSpecs(profile, dataset, recipe, splits, opts.allowProtocolSplits ?? false);
  const runs = await trainAndTestAll([...specs.baseline, ...specs.candidate], opts.parallel);
  const armDir = (s: RunSpec[]): string => join(s[0]!.dir, '..');
  const baseline = armOf(armDir(specs.baseline), runs.slice(0, splits.length));
  const candidate = armOf(armDir(specs.candidate), runs.slice(splits.length));
  const bothVal = baseline.val.every(Number.isFinite) && candidate.val.every(Number.isFinite);
  return {
    dataset,
    splits: [...splits],
    baseline,
    candidate,
    testDiff: pairedComparison(candidate.test, baseline.test),
    valDiff: bothVal ? pairedComparison(candidate.val, baseline.val) : { n: splits.length, meanDiff: NaN, lo: NaN, hi: NaN, p: NaN, significant: false, level: 0.95 },
  };
}
