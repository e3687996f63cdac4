// `dgiqa metrics FILE.csv`: SROCC, PLCC, KROCC, RMSE and logistic-mapped PLCC of a score file.
import { numericColumn, readCsv } from '../eval/csv.js';
import { computeMetrics } from '../eval/metrics.js';

const USAGE = `usage: dgiqa metrics FILE.csv [--pred COLUMN] [--mos COLUMN]

Reads predicted scores and subjective scores (columns "pred" and "mos" unless named) and prints one
JSON line {"n", "srocc", "plcc", "krocc", "rmse", "plcc_logistic"}. An undefined value (a constant
column, or fewer than 5 rows for plcc_logistic) prints as null.`;

export async function metricsCommand(args: string[]): Promise<number> {
  let file: string | undefined;
  let predCol = 'pred';
  let mosCol = 'mos';
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--help' || a === '-h') {
        process.stdout.write(USAGE + '\n');
        return 0;
      } else if (a === '--pred' || a === '--mos') {
        const v = args[++i];
        if (v === undefined) throw new Error(`${a} needs a column name`);
        if (a === '--pred') predCol = v;
        else mosCol = v;
      } else if (a.startsWith('-')) {
        throw new Error(`unknown option "${a}" (see dgiqa metrics --help)`);
      } else if (file === undefined) {
        file = a;
      } else {
        throw new Error(`expected one CSV file, got "${file}" and "${a}"`);
      }
    }
    if (file === undefined) throw new Error('no CSV file given (usage: dgiqa metrics FILE.csv)');
    const table = await readCsv(file);
    const pred = numericColumn(table, predCol);
    const mos = numericColumn(table, mosCol);
    process.stdout.write(JSON.stringify(computeMetrics(pred, mos)) + '\n');
    return 0;
  } catch (err) {
    process.stderr.write(`dgiqa metrics: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
