// The course's trainings scheduled up front. Notebook by notebook, the trainings run in small groups
// (one in notebook 04, nine in 05, two in 06, four and three in 07, and 10), and a core waits
// whenever a group is odd or a notebook does something else. `dgiqa reproduce` therefore runs every
// training of the profile first, in one queue, `parallel` at a time and largest first; the notebooks
// then find each result saved (every experiment reads back what is saved). The queue holds the
// very units the notebooks would run (same folders, seeds and data), each seeded and self-contained,
// so the results are those of the notebooks running them one group at a time.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Profile } from './profiles.js';
import { trainAndTest } from './run.js';
import type { RunSpec } from './run.js';
import { runJobs, trainingParallelism } from './parallel.js';
import type { Job } from './parallel.js';
import { ablationCrossSpecs, ablationSpecs, crossSpecs, lambdaSpecs, protocolSpecs, scratchSpecs } from './protocol.js';
import { frJobs, frSplitDir } from './fullReference.js';
import { openBenchmark } from './datasets.js';

export interface CoursePlan {
  /** trainings still to run, largest first */
  pending: Job<unknown>[];
  /** trainings whose results are already saved */
  saved: number;
}

export interface CourseTrainings {
  trained: number;
  saved: number;
  parallel: number;
  seconds: number;
}

/** Every training the profile's notebooks run: the protocol's splits, the from-scratch comparison, the ablation variants, the lambdas, the cross-dataset models, DGIQA-FR. */
export async function coursePlan(profile: Profile): Promise<CoursePlan> {
  const specs: RunSpec[] = [];
  for (const id of profile.protocol) specs.push(...(await protocolSpecs(profile, id)).specs);
  specs.push(...(await scratchSpecs(profile)), ...(await ablationSpecs(profile)), ...(await lambdaSpecs(profile)), ...(await crossSpecs(profile)), ...(await ablationCrossSpecs(profile)));
  // work of a training ~ its training images x trunks per image (DGIQA-FR runs the reference too)
  const units: { job: Job<unknown>; work: number; done: boolean }[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.dir)) continue;
    seen.add(spec.dir);
    units.push({ job: { task: { kind: 'run', spec }, label: spec.label, local: () => trainAndTest(spec) }, work: spec.train.length, done: existsSync(join(spec.dir, 'result.json')) });
  }
  // DGIQA-FR: one job per dataset, or per dataset and split where the profile repeats it
  const withReference = new Map<string, number>();
  for (const job of frJobs(profile)) {
    if (job.task.kind !== 'fr') continue;
    const { dataset, split } = job.task;
    if (!withReference.has(dataset)) withReference.set(dataset, (await openBenchmark(dataset, profile)).items.filter((x) => x.reference).length);
    units.push({ job, work: 2 * 0.8 * withReference.get(dataset)!, done: existsSync(join(frSplitDir(profile, dataset, split ?? 0), 'result.json')) });
  }
  const pending = units.filter((u) => !u.done).sort((a, b) => b.work - a.work); // stable: ties keep the notebooks' order
  return { pending: pending.map((u) => u.job), saved: units.length - pending.length };
}

/** Runs the plan's pending trainings; what the notebooks then read back. */
export async function trainCourse(profile: Profile, parallel = trainingParallelism(), log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<CourseTrainings> {
  const t0 = performance.now();
  const plan = await coursePlan(profile);
  log(`course trainings: ${plan.pending.length} to run (${plan.saved} saved), ${parallel} at a time, largest first`);
  await runJobs(plan.pending, parallel);
  return { trained: plan.pending.length, saved: plan.saved, parallel, seconds: (performance.now() - t0) / 1000 };
}
