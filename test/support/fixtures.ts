// Paths of the committed test fixtures, and small helpers to feed them to the model.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { tf } from '../../src/backend/index.js';
import { toFloat32 } from '../../src/weights/index.js';
import type { RawTensor } from '../../src/weights/index.js';

// dist/test/support -> repository root
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
export const TINY = join(FIXTURES, 'parity-tiny');
export const PAPER = join(FIXTURES, 'parity-paper');

/** NCHW fixture tensor to the model's NHWC layout. */
export function nhwc(t: RawTensor): tf.Tensor4D {
  const [n, c, h, w] = t.shape;
  return tf.tidy(() => tf.transpose(tf.tensor4d(toFloat32(t), [n, c, h, w]), [0, 2, 3, 1]));
}

export function assertClose(actual: number, expected: number, tol: number, what: string): void {
  if (!Number.isFinite(actual) || Math.abs(actual - expected) > tol) {
    throw new Error(`${what}: got ${actual}, expected ${expected} (tolerance ${tol})`);
  }
}
