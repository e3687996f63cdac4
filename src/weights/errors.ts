/** Longest problem text in a message: long enough for any real diagnosis, short enough for a terminal. */
const MAX_PROBLEM = 600;

/**
 * The one error type of the checkpoint readers and writers. Its message is always a single
 * line, `<file>: <problem>`, so that a CLI can print it as is and a user sees which file is bad.
 */
export class CheckpointFormatError extends Error {
  readonly file: string;
  readonly problem: string;

  constructor(file: string, problem: string) {
    // Newlines would break the one-line promise (JSON.parse and zlib messages may carry them);
    // the length cap is a backstop for names from the file that a call site did not clip.
    const flat = problem.replace(/\s*[\r\n]+\s*/g, ' ');
    const oneLine = flat.length > MAX_PROBLEM ? `${flat.slice(0, MAX_PROBLEM - 3)}...` : flat;
    super(`${file}: ${oneLine}`);
    this.name = 'CheckpointFormatError';
    this.file = file;
    this.problem = oneLine;
  }
}

/** A byte count for humans: `2.0 MB (2000000 bytes)`; exact bytes kept since off-by-few matters. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u += 1;
  }
  return `${v.toFixed(1)} ${units[u]} (${n} bytes)`;
}

/** The message of anything thrown, without assuming it is an Error. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A name or text taken from a file, shortened for an error message (a 1 MB tensor name stays out of it). */
export function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
