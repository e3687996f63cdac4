// Weights from a formula that PyTorch and the kit both compute bit-exactly (integer hash -> float32),
// so a paper-size parity check needs no 412 MB checkpoint in the repository.
// The same formula is in test/fixtures/parity-paper/make_expected.py, which ran the official model.
import type { RawTensor } from '../../src/weights/dtypes.js';

function fnv1a(s: string): number {
  let h = 2166136261;
  for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

/** uniform in [-1, 1), element i of the stream `seed` */
function unit(seed: number, i: number): number {
  let x = (Math.imul(i, 2654435761) + Math.imul(seed, 2246822519) + 374761393) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 2246822507) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  x = Math.imul(x, 3266489909) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return (x / 4294967296) * 2 - 1;
}

export function formulaTensor(name: string, shape: number[]): RawTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const seed = fnv1a(name);
  const data = new Float32Array(n);
  let f: (u: number) => number;
  if (name.endsWith('running_var')) f = (u) => 1 + 0.5 * u;
  else if (name.endsWith('running_mean')) f = (u) => 0.1 * u;
  else if (name.endsWith('relative_position_bias_table')) f = (u) => 0.5 * u;
  else if (shape.length === 1 && name.endsWith('weight')) f = (u) => 1 + 0.2 * u;
  else if (shape.length === 1) f = (u) => 0.1 * u;
  else {
    const scale = Math.sqrt(3 / (n / shape[0]));
    f = (u) => u * scale;
  }
  for (let i = 0; i < n; i++) data[i] = f(unit(seed, i));
  return { dtype: 'F32', shape, data };
}
