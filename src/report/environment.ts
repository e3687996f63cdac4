// Notebook 11's pieces: environment.md, the run profiles side by side, and a quick measure of the
// backend's speed (what makes a profile take minutes or hours).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import { KIT_ROOT, paths } from '../experiments/paths.js';
import { PROFILES, PROFILE_NAMES } from '../experiments/profiles.js';
import type { Environment } from '../util/environment.js';
import { environmentMarkdown } from '../util/environment.js';
import type { TableRow } from '../plots/index.js';
import type { CourseTable } from './paperTables.js';

/** environment.md at the kit's root (committed with the results it describes). */
export const ENVIRONMENT_FILE = join(KIT_ROOT, 'environment.md');

export async function writeEnvironment(env: Environment, path = ENVIRONMENT_FILE): Promise<string> {
  await writeFile(path, environmentMarkdown(env));
  return path;
}

/** The three run profiles side by side: what each trains and tests. */
export function profilesTable(): CourseTable {
  const settings: [string, (p: (typeof PROFILES)[keyof typeof PROFILES]) => string | number][] = [
    ['model preset', (p) => p.model],
    ['crop size (px)', (p) => p.cropSize],
    ['training', (p) => Object.entries(p.train).map(([k, v]) => `${k} ${String(v)}`).join(', ') || 'the train defaults (TRAIN_DEFAULTS)'],
    ['evaluation crops', (p) => p.evalCrops],
    ['evaluation crops, Table 5\'s tests on another set', (p) => p.ablationCrossCrops],
    ['splits (Table 2)', (p) => p.splits],
    ['protocol datasets', (p) => p.protocol.join(', ')],
    ['cross-dataset pairs', (p) => p.cross.map(([a, b]) => `${a} -> ${b}`).join(', ')],
    ['ablation train -> cross', (p) => `${p.ablation.train} -> ${p.ablation.cross}`],
    ['lambdas (Fig. 11)', (p) => p.lambdas.join(', ')],
    ['crop counts (Fig. 6)', (p) => p.cropCounts.join(', ')],
    ['natural-distortion sets', (p) => p.natural.join(', ')],
    ['data', (p) => (p.synth ? `embedded benchmark (${p.synth} size)` : 'official datasets on disk')],
  ];
  const rows: TableRow[] = settings.map(([setting, get]) => ({ setting, ...Object.fromEntries(PROFILE_NAMES.map((n) => [n, get(PROFILES[n])])) }));
  return {
    name: 'profiles',
    title: 'Run profiles (DGIQA_PROFILE): smoke for CI, demo on a CPU, paper on a GPU',
    rows,
    columns: [{ key: 'setting' }, ...PROFILE_NAMES.map((n) => ({ key: n }))],
    notes: [],
  };
}

/** Where this run reads and writes. */
export function pathsTable(): CourseTable {
  return {
    name: 'paths',
    title: 'Where the kit reads and writes (each can be moved with an environment variable)',
    rows: [
      { what: 'embedded benchmark', path: paths.synth, variable: 'DGIQA_SYNTH' },
      { what: 'real datasets', path: paths.datasets, variable: 'DGIQA_DATA' },
      { what: 'precomputed depth maps', path: paths.depth, variable: 'DGIQA_DEPTH' },
      { what: 'results (JSON, checkpoints)', path: paths.results, variable: 'DGIQA_RESULTS' },
      { what: 'figures and tables', path: paths.figures, variable: 'DGIQA_FIGURES' },
      { what: 'ImageNet Swin-T weights', path: paths.pretrained || '(none: backbones start from random weights)', variable: 'DGIQA_PRETRAINED' },
    ],
    columns: [{ key: 'what' }, { key: 'path' }, { key: 'variable' }],
    notes: [],
  };
}

/** GFLOP/s of an n x n matrix product on the current backend (median of `repeats`). */
export async function measureMatmul(n = 512, repeats = 5): Promise<{ n: number; gflops: number; ms: number; backend: string }> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  try {
    const once = async (): Promise<number> => {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
      return performance.now() - t0;
    };
    await once(); // warm-up: kernels compiled, memory allocated
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) times.push(await once());
    times.sort((x, y) => x - y);
    const ms = times[Math.floor(times.length / 2)]!;
    return { n, gflops: (2 * n ** 3) / (ms * 1e6), ms, backend: tf.getBackend() };
  } finally {
    tf.dispose([a, b]);
  }
}
