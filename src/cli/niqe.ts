// `dgiqa niqe FILE...`: NIQE (Mittal et al. 2013) of each image, the classic no-reference score the
// density study puts beside DGIQA (lower is better; src/classic/niqe.ts).
import { niqeOfFile } from '../classic/index.js';

const USAGE = `usage: dgiqa niqe FILE... [--block N]

NIQE of each image (Mittal, Soundararajan, Bovik 2013; lower is better), as the official MATLAB
release computes it: the Y channel, 96x96 blocks without overlap, the published pristine model.
Prints one JSON line per file: {"file", "niqe"}. An image needs at least one whole block.
  --block N   block side at full scale (even; default 96, the release's)`;

export async function niqeCommand(args: string[]): Promise<number> {
  try {
    const files: string[] = [];
    let blockSize: number | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--help' || a === '-h') {
        process.stdout.write(USAGE + '\n');
        return 0;
      } else if (a === '--block') {
        const v = args[++i];
        const n = Number(v);
        if (v === undefined || !Number.isInteger(n) || n < 2 || n % 2 !== 0) throw new Error(`--block must be an even integer of at least 2, got ${v === undefined ? 'nothing' : `"${v}"`}`);
        blockSize = n;
      } else if (a.startsWith('-')) {
        throw new Error(`unknown option "${a}" (see dgiqa niqe --help)`);
      } else {
        files.push(a);
      }
    }
    if (files.length === 0) throw new Error('no image given (usage: dgiqa niqe FILE...)');
    for (const file of files) {
      const q = await niqeOfFile(file, blockSize === undefined ? {} : { blockSize });
      process.stdout.write(JSON.stringify({ file, niqe: q }) + '\n');
    }
    return 0;
  } catch (err) {
    process.stderr.write(`dgiqa niqe: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}\n`);
    return 1;
  }
}
