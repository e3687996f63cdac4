// All the work for one scene: render it, save the clean image and its depth, make and save every
// distorted version, label them. Independent of every other scene (own seeds), so scenes can run
// in any order, on any worker, and be skipped when already done.
import { join } from 'node:path';
import { deriveSeed } from '../../util/rng.js';
import { distortionsOf, type Distortion } from './distortions.js';
import { clampImage, fromBytes, toBytes } from './image.js';
import { encodeRgbPng, writeFileAtomic, writeInverseDepthPng16 } from './io.js';
import { monotoneScores, type LabelRow, type PairRow } from './labels.js';
import { ReferenceQuality, nearnessAttention, perceivedQuality } from './quality.js';
import { render } from './render.js';
import { makeScene } from './scene.js';
import type { SynthFamily } from './types.js';

/**
 * Depth PNGs hold round(DISPARITY_SCALE / depth_m): 1000 at the 60 m far cap, 65535 at 0.92 m
 * (nearer than any camera sees), so the relative error stays below 0.05 %.
 */
export const DISPARITY_SCALE = 60000;

/** Everything that decides a scene's bytes (and nothing else: not the scene count, not the worker). */
export interface SceneJob {
  familyDir: string;
  seed: number;
  family: SynthFamily;
  size: number;
  levels: number[];
  distortions: string[];
}

export interface ScenePart {
  /** Identity of the settings the part was made with (see jobKey). */
  key: string;
  refId: string;
  rows: LabelRow[];
  pairs: PairRow[];
  violations: number;
}

export const sceneId = (index: number): string => `s${String(index).padStart(3, '0')}`;

export function jobKey(job: SceneJob, version: string): string {
  return JSON.stringify({ version, seed: job.seed, family: job.family, size: job.size, levels: job.levels, distortions: job.distortions });
}

export function selectedDistortions(job: SceneJob): Distortion[] {
  const all = distortionsOf(job.family);
  return job.distortions.map((name) => {
    const d = all.find((x) => x.name === name);
    if (!d) throw new Error(`synth: distortion "${name}" is not in family ${job.family} (${all.map((x) => x.name).join(', ')})`);
    return d;
  });
}

export async function runScene(job: SceneJob, index: number, key: string): Promise<ScenePart> {
  const refId = sceneId(index);
  const { size, family } = job;
  const scene = makeScene(family, deriveSeed(job.seed, family, 'scene', index));
  const rendered = render(scene, size, size);
  const cleanBytes = toBytes(rendered.image);
  // Labels compare what is saved: the 8-bit clean image against the 8-bit distorted one.
  const clean = fromBytes(cleanBytes, size, size);
  const refRel = `images/${refId}.png`;
  const writes: Promise<void>[] = [
    encodeRgbPng(cleanBytes, size, size).then((png) => writeFileAtomic(join(job.familyDir, refRel), png)),
    writeInverseDepthPng16(join(job.familyDir, 'depth', `${refId}.png`), rendered.depth, size, size, DISPARITY_SCALE),
  ];
  // the observer's attention: near things matter more (quality.ts, nearnessAttention)
  const quality = new ReferenceQuality(clean, nearnessAttention(rendered.depth));
  const rows: LabelRow[] = [];
  const pairs: PairRow[] = [];
  let violations = 0;
  for (const d of selectedDistortions(job)) {
    const input = { clean, depth: rendered.depth, family, seed: deriveSeed(job.seed, family, index, d.name) };
    const state = d.prepare?.(input);
    const raw: number[] = [];
    const rels: string[] = [];
    for (const level of job.levels) {
      const value = d.values[level - 1];
      if (value === undefined) throw new Error(`synth: level ${level} is outside 1..${d.values.length}`);
      const bytes = toBytes(clampImage(await d.apply(input, value, state)));
      const rel = `images/${refId}_${d.name}_${level}.png`;
      writes.push(encodeRgbPng(bytes, size, size).then((png) => writeFileAtomic(join(job.familyDir, rel), png)));
      raw.push(quality.score(fromBytes(bytes, size, size)));
      rels.push(rel);
    }
    // the published score is the observer's perceived quality; `raw` keeps the index itself
    const mono = monotoneScores(raw.map(perceivedQuality));
    violations += mono.violations;
    job.levels.forEach((level, k) => {
      rows.push({ image: rels[k] as string, reference: refRel, distortion: d.name, level, score01: mono.scores[k] as number, refId, raw: raw[k] as number });
      if (d.natural) pairs.push({ clean: refRel, distorted: rels[k] as string, distortion: d.name, level, refId });
    });
  }
  await Promise.all(writes);
  const part: ScenePart = { key, refId, rows, pairs, violations };
  // Written last: its presence means every file of the scene is complete.
  await writeFileAtomic(join(job.familyDir, '.parts', `${refId}.json`), JSON.stringify(part));
  return part;
}
