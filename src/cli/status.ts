// `dgiqa status DIR`: every entry of a cluster plan as done, running, failed or pending, with the
// failures' last lines (src/cluster/status.ts); exit code 1 when some failed.
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { planStatus, readClusterPlan, resultsRoot, statusCounts } from '../cluster/index.js';
import type { EntryStatus } from '../cluster/index.js';

const USAGE = `usage: dgiqa status DIR [--json] [--all]

Where the plan in DIR (made by \`dgiqa plan --slurm DIR\` or \`--k8s DIR\`; or a plan.json) stands,
read from its shared results folder: each entry done (its result file exists), running, failed (with
the last lines it printed: DIR/logs/<index>.log under Slurm, else what \`dgiqa job\` kept) or pending.
Exit code 1 when an entry failed, 0 otherwise.
  --json   the last line is {"counts": {...}, "entries": [...]}
  --all    list done and pending entries too (default: running and failed only)`;

export async function statusCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false }, all: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`dgiqa status: needs one plan folder\n${USAGE}\n`);
    return 1;
  }
  const { file, plan } = await readClusterPlan(positionals[0]!);
  const rows = await planStatus(plan, join(dirname(file), 'logs'));
  const counts = statusCounts(rows);
  if (values.json) {
    process.stdout.write(JSON.stringify({ plan: file, counts, entries: rows }) + '\n');
    return counts.failed > 0 ? 1 : 0;
  }
  const shown = values.all ? rows : rows.filter((r) => r.state === 'running' || r.state === 'failed');
  const line = (r: EntryStatus): string => `${String(r.index).padStart(4)}  ${r.state.padEnd(7)}  ${r.id}${r.detail ? `  (${r.detail})` : ''}`;
  const out = [`${plan.profile} plan ${file}, results in ${resultsRoot(plan)}:`, ...shown.map(line)];
  for (const r of rows.filter((x) => x.state === 'failed' && x.lastLines.length > 0)) {
    out.push('', `last lines of ${r.index} (${r.id}):`, ...r.lastLines.map((l) => `  | ${l}`));
  }
  out.push('', `done ${counts.done}, running ${counts.running}, failed ${counts.failed}, pending ${counts.pending} (of ${rows.length})`);
  process.stdout.write(out.join('\n') + '\n');
  return counts.failed > 0 ? 1 : 0;
}
