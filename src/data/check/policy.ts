// Whether a run leaves bad inputs out (`--skip-bad`) or stops at the first one. Kept in the
// environment, like DGIQA_PROFILE, so that the trainings that parallel.ts runs in worker threads
// (which start with a copy of it) follow the command that started them.
import { forgetVerdicts } from './cache.js';
import { appendBadInputs } from './report.js';
import type { BadInput } from '../records.js';
import { ENV, settingOn } from '../../settings/index.js';

/** `1` (or `true`): leave bad inputs out and report them, as `--skip-bad` does. */
export const SKIP_BAD_ENV = ENV.DGIQA_SKIP_BAD;

export function skipBadDefault(): boolean {
  return settingOn(SKIP_BAD_ENV);
}

/** What `--skip-bad` does: sets SKIP_BAD_ENV for this process and the threads it starts. */
export function setSkipBad(on: boolean): void {
  if (on) process.env[SKIP_BAD_ENV] = '1';
  else delete process.env[SKIP_BAD_ENV];
}

/**
 * Loader options for a training run writing to `dir`: with skipping on, an image that fails mid-epoch
 * is left out of its batch, added to `dir`'s report (once, however many epochs meet it), its cached
 * verdicts in `verdictDir` forgotten, and told on stderr; otherwise nothing (the epoch stops with
 * the error naming the file).
 */
export function epochSkipOptions(dir: string, verdictDir?: string): { skipBad?: boolean; onSkip?: (bad: BadInput) => void } {
  if (!skipBadDefault()) return {};
  return {
    skipBad: true,
    onSkip: (bad) => {
      if (verdictDir !== undefined) forgetVerdicts(verdictDir, bad.file);
      const file = appendBadInputs(dir, [bad], 'epoch');
      process.stderr.write(`bad data: ${bad.file}: ${bad.problem} (left out of its batch; listed in ${file})\n`);
    },
  };
}
