// Running the same checks on each compute backend, the tfjs-models way: one `describe` per
// backend, switched to before its tests and switched back after, so a file's other suites keep
// the backend they expect.
import { after, before, beforeEach, describe } from 'node:test';
import { tf } from '../../src/backend/tf.js';
import { initBackend } from '../../src/backend/select.js';
import type { BackendName } from '../../src/backend/select.js';

/** The backends every machine has (tensorflow needs the optional GPU build). */
export type TestBackend = Exclude<BackendName, 'tensorflow'>;
export const TEST_BACKENDS: readonly TestBackend[] = ['wasm', 'cpu'];

/**
 * Registers `describe(title(backend))` for each backend, its tests running on that backend.
 * `body` registers the tests, as a `describe` callback does.
 */
export function forEachBackend(
  title: (backend: TestBackend) => string,
  body: (backend: TestBackend) => void,
  backends: readonly TestBackend[] = TEST_BACKENDS,
): void {
  for (const backend of backends) {
    describe(title(backend), () => {
      let previous: string | undefined;
      before(async () => {
        // registers the wasm kernels (and the gradient fixes every backend needs) once per process
        await initBackend('wasm');
        previous = tf.getBackend();
      });
      // per test, not once: a test may switch backends itself (to compare two)
      beforeEach(async () => {
        if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to initialise`);
      });
      after(async () => {
        if (previous !== undefined && tf.getBackend() !== previous) await tf.setBackend(previous);
      });
      body(backend);
    });
  }
}
