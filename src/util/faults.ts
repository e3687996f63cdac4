// A test hook for crash safety: DGIQA_FAULT="<point>:<n>" kills this process with SIGKILL the n-th
// time it passes <point>, so a test can interrupt a run at an exact moment (inside a checkpoint
// write, during evaluation) as a power cut or the OOM killer would. Unset, a call costs one lookup.
import { setting } from '../settings/index.js';

const spec = setting('DGIQA_FAULT') ?? '';
const passes = new Map<string, number>();

/** The points the kit passes, for tests and for the README's list of what was tried. */
export const FAULT_POINTS = ['step', 'evaluate', 'write', 'checkpoint', 'log'] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

export function faultPoint(point: FaultPoint): void {
  if (spec === '') return;
  const [name, nth] = spec.split(':');
  if (name !== point) return;
  const n = (passes.get(point) ?? 0) + 1;
  passes.set(point, n);
  if (n === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}
