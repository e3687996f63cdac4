// Seeded byte-level mutations for the reader fuzz tests. Every draw comes from the kit's Rng, so a
// failing case is reproduced by its seed and case index alone; each mutated input carries a short
// description of what was done to it, printed when a case fails.
import { Rng } from '../../src/util/rng.js';

/** Values that trip length and offset checks: zero, sign bits, all ones, off-by-one around powers of two. */
export const INTERESTING_U32: readonly number[] = [
  0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];
export const INTERESTING_U64: readonly bigint[] = [
  0n, 1n, 0xffffffffn, 0x100000000n, 1n << 40n, 1n << 52n, (1n << 53n) + 1n, 1n << 63n, (1n << 64n) - 1n,
];

export interface Mutated {
  bytes: Uint8Array;
  /** What was done, e.g. `flip@12.3 trunc@40`: enough to read a failure report. */
  ops: string;
}

export class Mutator {
  constructor(readonly rng: Rng) {}

  /** Integer in [0, n). */
  int(n: number): number {
    return this.rng.int(n);
  }

  pick<T>(items: readonly T[]): T {
    return this.rng.pick(items);
  }

  chance(p: number): boolean {
    return this.rng.next() < p;
  }

  /** An offset into `len` bytes, half the time near a hot spot (a length field, a tag) when there are any. */
  offset(len: number, hot: readonly number[]): number {
    if (len === 0) return 0;
    if (hot.length > 0 && this.chance(0.5)) {
      const at = this.pick(hot) + this.int(8);
      return Math.min(len - 1, at);
    }
    return this.int(len);
  }

  /** A random 32-bit value, often an interesting one. */
  u32(): number {
    return this.chance(0.7) ? this.pick(INTERESTING_U32) : this.rng.nextU32();
  }

  /** 1 to `maxOps` mutations of a copy of `src`; `hot` are offsets worth aiming at. */
  mutate(src: Uint8Array, hot: readonly number[] = [], maxOps = 3): Mutated {
    let bytes: Uint8Array = src.slice();
    const ops: string[] = [];
    const n = 1 + this.int(maxOps);
    for (let k = 0; k < n; k++) {
      const r = this.int(100);
      const len = bytes.byteLength;
      if (len === 0) break;
      const at = this.offset(len, hot);
      if (r < 30) {
        const bit = this.int(8);
        bytes[at] = bytes[at]! ^ (1 << bit);
        ops.push(`flip@${at}.${bit}`);
      } else if (r < 45) {
        const v = this.chance(0.5) ? this.pick([0x00, 0xff, 0x7f, 0x80, 0x0a, 0x22, 0x2e]) : this.int(256);
        bytes[at] = v;
        ops.push(`byte@${at}=${v}`);
      } else if (r < 60) {
        // A 32- or 64-bit length or offset field set to something large or degenerate.
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        if (this.chance(0.5) && at + 8 <= len) {
          const v = this.pick(INTERESTING_U64);
          view.setBigUint64(at, v, this.chance(0.8));
          ops.push(`u64@${at}=${v}`);
        } else if (at + 4 <= len) {
          const v = this.u32();
          view.setUint32(at, v, this.chance(0.8));
          ops.push(`u32@${at}=${v}`);
        }
      } else if (r < 72) {
        const cut = this.int(len);
        bytes = bytes.slice(0, cut);
        ops.push(`trunc@${cut}`);
      } else if (r < 82) {
        const count = 1 + this.int(16);
        const ins = new Uint8Array(count).map(() => this.int(256));
        bytes = concat(bytes.subarray(0, at), ins, bytes.subarray(at));
        ops.push(`insert@${at}+${count}`);
      } else if (r < 92) {
        // A run of the file repeated in place: duplicated records, repeated opcodes.
        const from = this.int(len);
        const count = 1 + this.int(Math.min(64, len - from));
        bytes = concat(bytes.subarray(0, at), bytes.subarray(from, from + count), bytes.subarray(at));
        ops.push(`dup@${at}<-${from}+${count}`);
      } else {
        const count = 1 + this.int(Math.min(32, len - at));
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + count));
        ops.push(`delete@${at}+${count}`);
      }
    }
    return { bytes, ops: ops.join(' ') };
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Every offset where `needle` starts in `hay` (signatures, tags: the hot spots of a format). */
export function findAll(hay: Uint8Array, needle: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + needle.length <= hay.byteLength; i++) {
    let ok = true;
    for (let j = 0; j < needle.length && ok; j++) ok = hay[i + j] === needle[j];
    if (ok) out.push(i);
  }
  return out;
}
