// `dgiqa density FILE.csv`: the density-separation criterion (paper Section 5.2) of a score file.
import { readCsv, numericColumn, stringColumn } from '../eval/csv.js';
import { densitySeparation } from '../eval/density.js';

const USAGE = `usage: dgiqa density FILE.csv

Reads predicted scores (column "score") of clean and distorted images (column "group", each value
"clean" or "distorted"), fits a Gaussian to each group by maximum likelihood and prints one JSON line
{"n_clean", "n_distorted", "mean_clean", "mean_distorted", "std_clean", "std_distorted",
"overlap_pct", "separation"}.`;

export async function densityCommand(args: string[]): Promise<number> {
  try {
    let file: string | undefined;
    for (const a of args) {
      if (a === '--help' || a === '-h') {
        process.stdout.write(USAGE + '\n');
        return 0;
      } else if (a.startsWith('-')) {
        throw new Error(`unknown option "${a}" (see dgiqa density --help)`);
      } else if (file === undefined) {
        file = a;
      } else {
        throw new Error(`expected one CSV file, got "${file}" and "${a}"`);
      }
    }
    if (file === undefined) throw new Error('no CSV file given (usage: dgiqa density FILE.csv)');
    const table = await readCsv(file);
    const scores = numericColumn(table, 'score');
    const groups = stringColumn(table, 'group');
    const clean: number[] = [];
    const distorted: number[] = [];
    groups.forEach((g, i) => {
      if (g === 'clean') clean.push(scores[i]!);
      else if (g === 'distorted') distorted.push(scores[i]!);
      else {
        throw new Error(
          `${file}: row ${i + 1} (line ${table.lines[i]}), column "group": ${JSON.stringify(g)} is neither "clean" nor "distorted"`,
        );
      }
    });
    for (const [name, list] of [['clean', clean], ['distorted', distorted]] as const) {
      if (list.length < 2) throw new Error(`${file}: ${list.length} "${name}" row(s), a Gaussian fit needs at least 2`);
    }
    let result;
    try {
      result = densitySeparation(clean, distorted);
    } catch (err) {
      throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.stdout.write(JSON.stringify(result) + '\n');
    return 0;
  } catch (err) {
    process.stderr.write(`dgiqa density: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
