// Seeded pseudo-random numbers for everything the kit draws (splits, synthetic scenes, noise, crops,
// initialisation, dropout): the same on every backend and machine, unlike Math.random.
//
// Generator: mulberry32 (a 32-bit state, one multiply-xorshift round per output; period 2^32).
// It is small, fast in JavaScript's 32-bit integer arithmetic and good enough for sampling and
// shuffling; it is not for cryptography. Streams that must not depend on each other (one per scene,
// one per split) get their own seed from `deriveSeed`, so skipping or reordering work never shifts
// the numbers another piece of work sees.

/** FNV-1a hash of a string to an unsigned 32-bit integer (used to turn labels into seeds). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seed for an independent stream, from a base seed and any labels (e.g. 'A', 'scene', 3). */
export function deriveSeed(seed: number, ...parts: (string | number)[]): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ hashString(String(part)), 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
  }
  return h >>> 0;
}

const STATE_STEP = 0x6d2b79f5;

export class Rng {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** A copy of this generator `draws` 32-bit draws ahead (mulberry32's state advances by a constant). */
  ahead(draws: number): Rng {
    const r = new Rng(0);
    r.state = (this.state + Math.imul(STATE_STEP, draws)) >>> 0;
    return r;
  }

  /** True when both generators will produce the same numbers from here on. */
  sameState(other: Rng): boolean {
    return this.state === other.state;
  }

  /** Unsigned 32-bit integer (mulberry32 step). */
  nextU32(): number {
    this.state = (this.state + STATE_STEP) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller; one value per call, the partner is dropped for simplicity). */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log stays finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** a 31-bit seed for a tfjs op that takes one (dropout masks) */
  seed(): number {
    return this.int(2 ** 31);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty list');
    return items[this.int(items.length)] as T;
  }

  /** Fisher-Yates shuffle in place; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}

/** A seed derived from several integers (seed, epoch, step, ...): the same parts give the same seed. */
export function seedFor(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
  }
  return (h ^ (h >>> 15)) >>> 0;
}
