// The machine's float32 arithmetic peak, from what the CPU says of itself: its clock (the OS's
// "cpu MHz") and its widest vector unit (flags), taking two fused multiply-add pipes a core (x86
// server cores since Haswell and Zen 4; Zen 5 and Skylake-SP have them 512 bits wide). A stated
// upper bound, not a measurement: `bench` prints what a step achieves against it, so the distance to
// the limit is visible. The 128-bit figure is the ceiling of WebAssembly SIMD (tfjs's wasm backend).
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export interface MachinePeak {
  cpu: string;
  cores: number;
  ghz: number;
  /** the widest vector unit the flags name */
  vectorBits: 128 | 256 | 512;
  /** GFLOP/s a core: ghz x lanes x 2 pipes x 2 (a multiply-add) */
  coreGflops: number;
  /** the same at 128 bits (WebAssembly SIMD) */
  simd128CoreGflops: number;
  /** how it was found */
  source: string;
}

const FMA_PIPES = 2;

/** The peak, or undefined where the CPU does not say (no /proc/cpuinfo). */
export function machinePeak(cpuinfoPath = '/proc/cpuinfo'): MachinePeak | undefined {
  let text: string;
  try {
    text = readFileSync(cpuinfoPath, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string): string | undefined => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const mhz = Number(field('cpu MHz'));
  if (!Number.isFinite(mhz) || mhz <= 0) return undefined;
  const vectorBits = flags.has('avx512f') ? 512 : flags.has('avx2') && flags.has('fma') ? 256 : 128;
  const ghz = mhz / 1000;
  const gflops = (bits: number): number => Number((ghz * (bits / 32) * FMA_PIPES * 2).toFixed(1));
  return {
    cpu: field('model name') ?? cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ghz: Number(ghz.toFixed(3)),
    vectorBits,
    coreGflops: gflops(vectorBits),
    simd128CoreGflops: gflops(128),
    source: `${cpuinfoPath}: cpu MHz and flags; ${FMA_PIPES} multiply-add pipes a core assumed`,
  };
}
