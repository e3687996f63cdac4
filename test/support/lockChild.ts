// A contender for test/lock-race.test.ts: reads "DIR START_MS" lines on stdin, waits for the start
// instant, calls lockFolder(DIR) and answers "held" or "refused: <message>". A lock it takes is kept
// (never released) until stdin closes, so a late contender cannot legitimately take it too.
import { createInterface } from 'node:readline';
import { lockFolder } from '../../src/util/lock.js';

async function contend(dir: string, start: number): Promise<string> {
  const wait = start - Date.now();
  if (wait > 3) await new Promise((r) => setTimeout(r, wait - 3));
  while (Date.now() < start) {
    // spin the last milliseconds so that the contenders call at the same instant
  }
  try {
    await lockFolder(dir);
    return 'held';
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [dir, start] = line.split(' ');
  void contend(dir as string, Number(start)).then((answer) => process.stdout.write(`${dir} ${answer}\n`));
});
lines.on('close', () => process.exit(0));
