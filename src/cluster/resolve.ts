// A plan entry back to the course's own unit of work: the RunSpec that coursePlan queues for the same
// folder (the same items, seed, model and training overrides), DGIQA-FR's dataset job, or the code a
// notebook calls for an evaluation (runCross, ablationCrossTest, cropsRow, densityOf, tsnePanel, runGradCam). Nothing here computes anything of
// its own, so a task run by `dgiqa job` on a cluster node saves what the local course saves.
// Only the datasets the entry needs are opened (coursePlan opens every one).
import { join, relative } from 'node:path';
import {
  SCORER_LABELS, VARIANTS, ablationCrossSpecs, ablationCrossTest, ablationSpecs, cropsRow, cropsRowFile, crossSpecs, densityFile, densityOf, frSplit, frSplitDir,
  lambdaSpecs, openBenchmark, paths, protocolSpecs, readResult, resultPath, runCross, scratchSpecs, trainAndTest, tsneCaption, tsneFile, tsnePanel, variantTag,
} from '../experiments/index.js';
import { gradCamFile, runGradCam } from '../report/index.js';
import type { PlanEntry, Profile, RunResult, RunSpec } from '../experiments/index.js';

export interface EntryUnit {
  label: string;
  /** the training's spec, for trainings of the protocol, ablations, lambdas and cross models */
  spec?: RunSpec;
  run: () => Promise<unknown>;
}

/** A folder as a plan id: relative to the results root, with forward slashes. */
const idOf = (dir: string): string => relative(paths.results, dir).split('\\').join('/');

/** The course's specs that could hold a training entry of this experiment. */
async function candidates(profile: Profile, e: PlanEntry, train: string): Promise<RunSpec[]> {
  switch (e.experiment) {
    case 'table2': return (await protocolSpecs(profile, train)).specs;
    case 'pretrained-vs-scratch': return scratchSpecs(profile);
    case 'table4': return ablationSpecs(profile);
    case 'table5': return ablationCrossSpecs(profile);
    case 'fig11': return lambdaSpecs(profile);
    // the first pair of the training set names the model's first test (crossSpecs keeps the first)
    case 'table3': return crossSpecs(profile, profile.cross.filter(([a]) => a === train));
    default: return [];
  }
}

const notInCourse = (profile: Profile, e: PlanEntry): Error =>
  new Error(`plan entry ${e.id}: not a ${e.kind === 'train' ? 'training' : 'evaluation'} of the ${profile.name} profile's course (a plan made by another version of the kit? make it again)`);

/** A density, t-SNE or Grad-CAM entry: the notebook's own call for the result file the entry names (null: not a study). */
function studyUnit(profile: Profile, e: PlanEntry): EntryUnit | null {
  if (e.kind !== 'evaluate' || !['density', 'tsne', 'gradcam'].includes(e.experiment)) return null;
  const is = (file: string): boolean => idOf(file) === `${e.id}.json`;
  for (const scorer of profile.densityScorers) {
    const set = profile.natural.find((s) => is(densityFile(profile, scorer, s)));
    if (set !== undefined && e.experiment === 'density') return { label: `density: ${set} scored by ${SCORER_LABELS[scorer]}`, run: () => densityOf(profile, scorer, set) };
  }
  const t = profile.tsne.find((x) => is(tsneFile(profile, x)));
  if (t && e.experiment === 'tsne') return { label: `t-SNE: ${tsneCaption(t)}`, run: () => tsnePanel(profile, t) };
  if (e.experiment === 'gradcam' && is(gradCamFile(profile))) return { label: 'Grad-CAM: full model vs without depth input', run: () => runGradCam(profile) };
  throw notInCourse(profile, e);
}

/** The unit of work of one entry; throws one line when the course has no such entry. */
export async function entryUnit(profile: Profile, e: PlanEntry): Promise<EntryUnit> {
  const study = studyUnit(profile, e);
  if (study) return study;
  const train = e.train;
  if (train === null) throw notInCourse(profile, e);
  if (e.kind === 'train') {
    if (e.experiment === 'table6') {
      const k = e.split;
      if (typeof k !== 'number' || !profile.fullReference.includes(train) || k >= Math.max(1, profile.fullReferenceSplits) || idOf(frSplitDir(profile, train, k)) !== e.id) throw notInCourse(profile, e);
      return { label: profile.fullReferenceSplits > 1 ? `${train} DGIQA-FR split ${k}` : `${train} DGIQA-FR`, run: () => frSplit(profile, train, k) };
    }
    const spec = (await candidates(profile, e, train)).find((s) => idOf(s.dir) === e.id);
    if (!spec) throw notInCourse(profile, e);
    return { label: spec.label, spec, run: () => trainAndTest(spec) };
  }
  const x = profile.ablationCross;
  if (e.experiment === 'table5' && x) {
    // a whole-set variant model on a further test set (its first was scored by its training)
    const v = VARIANTS.find((w) => e.id === `${e.depends[0]}/test-${e.test[0]}` && e.depends[0] === idOf(resultPath(profile, 'cross', `${x.train}__${variantTag(w.cfg)}`)));
    const test = e.test[0];
    if (!v || test === undefined || !x.tests.includes(test) || e.train !== x.train) throw notInCourse(profile, e);
    return { label: `${v.name}: ${x.train} -> ${test}`, run: () => runCross(profile, x.train, test, v.model, variantTag(v.cfg)) };
  }
  if (e.experiment === 'fig6') {
    const n = profile.cropCounts.find((c) => profile.cropsModel && idOf(cropsRowFile(profile, c)) === `${e.id}.json`);
    if (n === undefined) throw notInCourse(profile, e);
    return { label: `${n} crops: ${profile.cropsModel!.train} -> ${profile.cropsModel!.test}`, run: () => cropsRow(profile, n) };
  }
  if (e.experiment === 'table5') {
    // runAblations' loop: variant k's splits are specs k * ablationSplits ...
    const { cross } = profile.ablation;
    const specs = await ablationSpecs(profile);
    const k = specs.findIndex((s) => `${idOf(s.dir)}/test-${cross}` === e.id);
    const variant = VARIANTS[Math.floor(k / Math.max(1, profile.ablationSplits))];
    if (k < 0 || !variant) throw notInCourse(profile, e);
    const spec = specs[k]!;
    return {
      label: `${variant.name}: ${profile.ablation.train} -> ${cross}`,
      run: async () => {
        const within = await readResult<RunResult>(join(spec.dir, 'result.json'));
        if (!within) throw new Error(`${join(spec.dir, 'result.json')}: missing; ${e.id} needs its training done first`);
        return ablationCrossTest(profile, spec, variant, within, await openBenchmark(profile.ablation.train, profile), await openBenchmark(cross, profile));
      },
    };
  }
  const test = e.test[0];
  if (e.experiment === 'table3' && test !== undefined && profile.cross.some(([a, b]) => a === e.train && b === test) && e.id === `${e.depends[0]}/test-${test}`) {
    return { label: `${train} -> ${test}`, run: () => runCross(profile, train, test) };
  }
  throw notInCourse(profile, e);
}
