// Result files: JSON under results/<profile>/..., each recording what made it (config, seed, split,
// backend, versions, hardware, data, pretrained or not), so figures redraw from them without retraining
// and a rerun skips work already saved.
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic.js';
import { dirname, join } from 'node:path';
import { describeEnvironment } from '../util/environment.js';
import type { Environment } from '../util/environment.js';
import { paths } from './paths.js';
import type { Profile } from './profiles.js';

export interface ResultHeader {
  kind: string;
  profile: string;
  /** `embedded benchmark` results cannot be compared with the paper's numbers */
  data: string;
  environment: Environment;
  createdWith: string;
}

export function resultPath(profile: Profile, ...parts: string[]): string {
  return join(paths.results, profile.name, ...parts);
}

export async function readResult<T>(path: string): Promise<T | undefined> {
  if (!existsSync(path)) return undefined;
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** The saved results of these files (undefined where none) and the indices still to compute. */
export async function savedOrPending<T>(files: readonly string[]): Promise<{ saved: (T | undefined)[]; pending: number[] }> {
  const saved = await Promise.all(files.map((f) => readResult<T>(f)));
  return { saved, pending: saved.flatMap((r, i) => (r === undefined ? [i] : [])) };
}

/**
 * Write a result atomically with its header. Returns it as readResult will read it back (JSON: a NaN
 * becomes null), so a result just computed and one read from disk are the same value.
 */
export async function writeResult<T extends object>(path: string, kind: string, profile: Profile, data: string, body: T): Promise<T & ResultHeader> {
  mkdirSync(dirname(path), { recursive: true });
  const header: ResultHeader = { kind, profile: profile.name, data, environment: await describeEnvironment(), createdWith: 'dgiqa kit' };
  const text = JSON.stringify({ ...header, ...body }, null, 1) + '\n';
  await writeFileAtomic(path, text);
  return JSON.parse(text) as T & ResultHeader;
}

/** Reuse a saved result, or compute and save it. */
export async function cached<T extends object>(path: string, make: () => Promise<T>): Promise<T> {
  const found = await readResult<T>(path);
  if (found) return found;
  return make();
}
