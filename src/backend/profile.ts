// Where a TensorFlow.js computation's time goes, kernel by kernel: every kernel of the active backend
// is timed while `fn` runs, with the time of the kernels it calls (the kit's wasm kernels are built
// from tfjs ops) subtracted, so the "self" times add up to the time spent inside kernels, and the rest
// of the wall clock is JavaScript outside them (the engine's tape, tidy, allocation, disposal).
// tf.profile reports nested kernels twice and no time outside kernels, hence this.
import { withKernelsWrapped } from './hooks.js';

export interface KernelTime {
  kernel: string;
  /** calls per run */
  calls: number;
  /** milliseconds per run in the kernel itself, and including the kernels it called */
  selfMs: number;
  totalMs: number;
}

export interface KernelProfile {
  /** wall milliseconds per run */
  wallMs: number;
  /** milliseconds per run inside kernels, and outside them */
  kernelMs: number;
  outsideMs: number;
  /** kernel calls per run, nested ones included */
  calls: number;
  /** every kernel that ran, by self time, largest first */
  kernels: KernelTime[];
}

/** Runs `fn` `runs` times with every kernel timed; the kernels are restored afterwards. */
export async function profileKernels(fn: () => unknown, runs = 1): Promise<KernelProfile> {
  const stats = new Map<string, { calls: number; self: number; total: number }>();
  const children: number[] = [];
  let wall = 0;
  await withKernelsWrapped((kernelName, original) => (args) => {
    const t0 = performance.now();
    children.push(0);
    try {
      return original(args);
    } finally {
      const dt = performance.now() - t0;
      const inner = children.pop() ?? 0;
      if (children.length) children[children.length - 1] += dt;
      const s = stats.get(kernelName) ?? { calls: 0, self: 0, total: 0 };
      s.calls += 1;
      s.self += dt - inner;
      s.total += dt;
      stats.set(kernelName, s);
    }
  }, async () => {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await fn();
      wall += performance.now() - t0;
    }
  });
  const per = (x: number): number => x / runs;
  const kernels = [...stats].map(([kernel, s]) => ({ kernel, calls: per(s.calls), selfMs: per(s.self), totalMs: per(s.total) })).sort((a, b) => b.selfMs - a.selfMs);
  const kernelMs = kernels.reduce((a, k) => a + k.selfMs, 0);
  return { wallMs: per(wall), kernelMs, outsideMs: per(wall) - kernelMs, calls: kernels.reduce((a, k) => a + k.calls, 0), kernels };
}

/** The profile as a short table: the top kernels, then the totals. */
export function formatProfile(p: KernelProfile, top = 15): string {
  const ms = (x: number): string => x.toFixed(1).padStart(8);
  const lines = [`${'kernel'.padEnd(28)} ${'calls'.padStart(7)} ${'self ms'.padStart(8)} ${'share'.padStart(6)} ${'incl. ms'.padStart(8)}`];
  for (const k of p.kernels.slice(0, top)) {
    lines.push(`${k.kernel.padEnd(28)} ${k.calls.toFixed(0).padStart(7)} ${ms(k.selfMs)} ${((100 * k.selfMs) / p.wallMs).toFixed(1).padStart(5)}% ${ms(k.totalMs)}`);
  }
  lines.push(`a step: ${p.wallMs.toFixed(0)} ms wall, ${p.kernelMs.toFixed(0)} ms in ${p.calls.toFixed(0)} kernel calls, ${p.outsideMs.toFixed(0)} ms outside kernels (JavaScript)`);
  return lines.join('\n');
}
