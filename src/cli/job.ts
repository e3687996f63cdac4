// `dgiqa job PLAN --index N`: one entry of a cluster plan, as a Slurm array task or a Kubernetes
// completion index runs it (src/cluster/job.ts).
import { parseArgs } from 'node:util';
import { initBackend } from '../backend/index.js';
import { readClusterPlan, runPlanEntry } from '../cluster/index.js';

const USAGE = `usage: dgiqa job PLAN --index N

Runs entry N of a plan made by \`dgiqa plan --slurm DIR\` or \`--k8s DIR\` (PLAN: DIR/plan.json or DIR)
exactly as the local course runs it (the same folder, data, seed and code), with the plan's settings
(its shared results folder above all). A finished entry is not redone; an interrupted training
resumes from its last checkpoint; an evaluation refuses to start before the trainings it needs are
done. SIGTERM (scancel) or SIGINT saves the training after the step in progress (exit 130). The
task's state (running, failed and its last lines, done) goes to <results>/jobs/<id>.json for
\`dgiqa status\`. Last line: {"index", "id", "status", "seconds"}.
  --index N   the entry (Slurm: $SLURM_ARRAY_TASK_ID)`;

export async function jobCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { index: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1 || values.index === undefined) {
    process.stderr.write(`dgiqa job: needs one plan file and --index N\n${USAGE}\n`);
    return 1;
  }
  const index = Number(values.index);
  if (!/^\d+$/.test(values.index)) throw new Error(`--index must be a non-negative integer, got "${values.index}"`);
  const { file, plan } = await readClusterPlan(positionals[0]!);
  if (!plan.runs[index]) throw new Error(`${file}: no entry ${index} (the plan has ${plan.runs.length}: 0 to ${plan.runs.length - 1})`);
  const info = await initBackend();
  process.stderr.write(`${info.message}\n`);
  const out = await runPlanEntry(file, plan, index);
  process.stdout.write(JSON.stringify({ index, id: out.entry.id, status: out.status, seconds: Math.round(out.seconds * 10) / 10 }) + '\n');
  return 0;
}
