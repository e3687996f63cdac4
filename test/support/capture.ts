// Capturing what a CLI command prints, for tests that call the command in-process.

/**
 * Runs a CLI command and returns its exit code and the last JSON summary (or usage text) it
 * printed. Only those are taken: the test runner reports through this same stdout.
 */
export async function captured(run: () => Promise<number>): Promise<{ code: number; last: string }> {
  const lines: string[] = [];
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    const text = String(chunk);
    if (text.startsWith('{"') || text.startsWith('usage:')) { lines.push(text.trim()); return true; }
    return (original as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
  try {
    const code = await run();
    return { code, last: lines.pop() ?? '' };
  } finally {
    process.stdout.write = original;
  }
}

/**
 * Runs a CLI command with all of stdout and stderr held back, for tests of what a user sees (one
 * JSON line, or one error line naming the file). Nothing the command prints reaches the test log.
 */
export async function capturedAll(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((s: string | Uint8Array) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    const code = await run();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
  }
}
