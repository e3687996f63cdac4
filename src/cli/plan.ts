// `dgiqa plan`: every training and evaluation a profile's course would run, from the profile alone
// (no data, no GPU), with an estimate of the training compute from the kit's cost model.
import { parseArgs } from 'node:util';
import { planOf, planTotals, profileFrom } from '../experiments/index.js';
import type { PlanEntry } from '../experiments/index.js';

const USAGE = `usage: dgiqa plan [--profile smoke|demo|paper] [--json]

Lists every training and evaluation the profile's course (dgiqa reproduce, the notebooks) would run,
worked out from the profile's settings alone: no dataset is opened and nothing is trained. One line
per entry (run folder under results/<profile>/, experiment, model, training set, split, test sets,
seed, learning rate, epochs, lambda, model selection, what it needs), then the totals and an estimate
of the training compute from the cost model (src/model/cost.ts), not a measurement.
  --profile P  smoke, demo or paper (default DGIQA_PROFILE, else demo)
  --json       the last line is {"profile": P, "runs": [...]}`;

const cell = (e: PlanEntry): string[] => [
  e.id, e.kind, e.experiment, e.model, e.train, String(e.split), e.test.join(','), String(e.seed), String(e.lr), String(e.epochs), String(e.lambda), e.selection,
  e.depends.join(',') || '-',
];

/** Columns padded to their widest cell. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((x, c) => (c === r.length - 1 ? x : x.padEnd(widths[c]!))).join('  '));
}

export async function planCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { profile: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, strict: true });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const profile = profileFrom(values.profile);
  const runs = planOf(profile);
  if (values.json) {
    process.stdout.write(JSON.stringify({ profile: profile.name, runs }) + '\n');
    return 0;
  }
  const header = ['id', 'kind', 'experiment', 'model', 'train', 'split', 'test', 'seed', 'lr', 'epochs', 'lambda', 'selection', 'depends'];
  const t = planTotals(runs);
  const lines = [
    `plan of the ${profile.name} profile (results/${profile.name}/): ${t.trainings} trainings, ${t.evaluations} evaluations of trained models`,
    '',
    ...table([header, ...runs.map(cell)]),
    '',
    `trainings by experiment: ${Object.entries(t.byExperiment).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `estimated training compute: ${(t.gflop / 1e6).toFixed(3)} PFLOP (${Math.round(t.gflop).toLocaleString('en-US')} GFLOP): training images per epoch (from the datasets' sizes) x epochs x the cost model's training FLOPs per image; an estimate from the cost model, not a measurement (validation and test scoring not counted)`,
  ];
  if (t.unknown > 0) lines.push(`  ${t.unknown} training(s) not counted: their dataset's size is unknown without its files`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
