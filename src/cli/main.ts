// The `dgiqa` command line: one sub-command per file in this folder, dispatched here.
import { forwardCommand } from './forward.js';
import { metricsCommand } from './metrics.js';
import { densityCommand } from './density.js';

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  forward: { run: forwardCommand, help: 'run a checkpoint on a safetensors input batch (parity check of a port)' },
  metrics: { run: metricsCommand, help: 'SROCC, PLCC, KROCC, RMSE and logistic PLCC of a CSV with pred, mos columns' },
  density: { run: densityCommand, help: 'Gaussian overlap of clean vs distorted scores (CSV with score, group columns)' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.help}`);
  return ['usage: dgiqa <command> [options]', '', 'commands:', ...lines].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`dgiqa: unknown command "${name}"\n${usage()}\n`);
    return 1;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // One line, naming the file and the problem: the error messages of the library are written so.
    process.stderr.write(`dgiqa ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
