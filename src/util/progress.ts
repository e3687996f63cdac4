// One-line progress notes from long library calls (a training epoch, a split done), for the
// reproduce command to relay while a notebook runs: nbconvert shows a notebook's output only when
// it ends. DGIQA_PROGRESS names the file the notes go to; unset, nothing is written.
import { appendFileSync } from 'node:fs';
import { setting } from '../settings/index.js';

export function noteProgress(line: string): void {
  const file = setting('DGIQA_PROGRESS');
  if (!file) return;
  try {
    appendFileSync(file, line.replace(/\n/g, ' ') + '\n');
  } catch {
    // best effort: a progress line is never worth failing a run for
  }
}
