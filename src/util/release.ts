// Cleanup after a failure. After a wasm abort the module is dead and every later call into it throws
// ("memory access out of bounds"); a cleanup that throws then must not replace the error that says
// what went wrong and what to change.

/** Runs every step, even after one throws; returns the first step's error, undefined when none threw. */
export async function releaseAll(steps: readonly (() => unknown)[]): Promise<unknown> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  return first;
}
