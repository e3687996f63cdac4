// Reading a generated family back as records (the loaders' shape) and pairs.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { LABEL_COLUMNS, PAIR_COLUMNS, parseSimpleCsv } from './labels.js';
import type { SynthManifest, SynthPair, SynthRecord } from './types.js';

async function readFamilyFile(root: string, name: string): Promise<string> {
  const path = join(root, name);
  try {
    return await readFile(path, 'utf8');
  } catch {
    const hint = name === 'labels.csv' ? ' (pass a family folder such as data/synth/A; make one with `dgiqa synth`)' : '';
    throw new Error(`${path}: missing; not a synthetic benchmark family folder${hint}`);
  }
}

function number(value: string | undefined, file: string, line: number, column: string): number {
  const v = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(v)) throw new Error(`${file}:${line}: column ${column} is not a number ("${value ?? ''}")`);
  return v;
}

/** Records of one family folder (e.g. data/synth/A), in labels.csv order. */
export async function loadSynth(root: string): Promise<SynthRecord[]> {
  const dir = resolve(root);
  const file = join(dir, 'labels.csv');
  const rows = parseSimpleCsv(await readFamilyFile(dir, 'labels.csv'), file, LABEL_COLUMNS);
  return rows.map((r, i) => {
    const line = i + 2;
    const score01 = number(r.score01, file, line, 'score01');
    if (score01 < 0 || score01 > 1) throw new Error(`${file}:${line}: score01 ${score01} is outside [0, 1]`);
    return {
      image: join(dir, r.image as string),
      relImage: r.image as string,
      reference: join(dir, r.reference as string),
      distortion: r.distortion as string,
      level: number(r.level, file, line, 'level'),
      raw: number(r.raw, file, line, 'raw'),
      score01,
      refId: r.refId as string,
    };
  });
}

/** Clean/distorted pairs of the natural distortions, with absolute paths (dataset `synth-<family>`). */
export async function loadSynthPairs(root: string): Promise<SynthPair[]> {
  const dir = resolve(root);
  const file = join(dir, 'pairs.csv');
  const rows = parseSimpleCsv(await readFamilyFile(dir, 'pairs.csv'), file, PAIR_COLUMNS);
  const dataset = `synth-${(await loadSynthManifest(dir)).family}`;
  return rows.map((r, i) => ({
    clean: join(dir, r.clean as string),
    distorted: join(dir, r.distorted as string),
    dataset,
    subset: r.distortion as string,
    distortion: r.distortion as string,
    level: number(r.level, file, i + 2, 'level'),
    refId: r.refId as string,
  }));
}

export async function loadSynthManifest(root: string): Promise<SynthManifest> {
  const dir = resolve(root);
  const text = await readFamilyFile(dir, 'manifest.json');
  try {
    return JSON.parse(text) as SynthManifest;
  } catch (err) {
    throw new Error(`${join(dir, 'manifest.json')}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}
