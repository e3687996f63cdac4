// Notebook 02's pieces: which datasets are on disk (and how to get the others), Table 1's rows for
// this run, and the galleries of distortions with their depth maps (Figs. 12 and 13).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../data/image.js';
import { DATASET_IDS, PAIR_DATASET_IDS, TABLE1_COUNTS } from '../data/loaders/types.js';
import { loadPairs, readDataset } from '../data/loaders/registry.js';
import { DISTORTIONS } from '../data/synth/distortions.js';
import { openSyntheticDepth } from '../depth/index.js';
import { ensureSynth, openBenchmark } from '../experiments/datasets.js';
import type { BenchItem } from '../experiments/datasets.js';
import { paths } from '../experiments/paths.js';
import type { Profile } from '../experiments/profiles.js';
import { grayPngBase64, imageGridFigure } from '../plots/index.js';
import type { CaptionedImage, Figure, TableRow } from '../plots/index.js';
import type { CourseTable, DatasetRow } from './paperTables.js';
import { datasetLabel, readPaperTable } from './paperTables.js';

/** Side of the thumbnails in the galleries (keeps the HTML and SVG small). */
export const THUMBNAIL = 160;

/** An image file as a base64 PNG thumbnail no larger than `size` x `size`. */
export async function thumbnail(path: string, size = THUMBNAIL): Promise<string> {
  const img = await decodeImage(path);
  const png = await sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({ width: size, height: size, fit: 'inside' })
    .png()
    .toBuffer();
  return png.toString('base64');
}

export interface InventoryRow extends TableRow {
  dataset: string;
  id: string;
  kind: string;
  found: string;
  images: number | null;
  depth: string;
  note: string;
}

/** The paper's datasets and natural-distortion sets: found under DGIQA_DATA or not, with counts. */
export async function datasetInventory(): Promise<InventoryRow[]> {
  const rows: InventoryRow[] = [];
  const how = 'see data/README.md (Official datasets) for the download and the folder layout';
  for (const id of [...DATASET_IDS, ...PAIR_DATASET_IDS.filter((p) => p !== 'pairs')]) {
    const root = join(paths.datasets, id);
    const pairSet = (PAIR_DATASET_IDS as readonly string[]).includes(id);
    const row: InventoryRow = {
      dataset: datasetLabel(id), id, kind: pairSet ? 'clean/distorted pairs' : 'IQA benchmark', found: 'no', images: null,
      depth: existsSync(join(paths.depth, id)) ? 'yes' : 'no', note: `missing: ${how}`,
    };
    if (existsSync(root)) {
      try {
        if (pairSet) {
          const loaded = await loadPairs(id, root);
          row.images = loaded.pairs.length;
          row.note = `${loaded.pairs.length} pairs`;
        } else {
          const loaded = await readDataset(id, root);
          row.images = loaded.records.length;
          const paper = (TABLE1_COUNTS as Record<string, number | undefined>)[id];
          row.note = paper !== undefined && paper !== loaded.records.length ? `paper's Table 1: ${paper} (${loaded.notes[0] ?? 'see the loader notes'})` : 'as in the paper';
        }
        row.found = 'yes';
      } catch (err) {
        row.found = 'unreadable';
        row.note = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
      }
      if (row.depth === 'no') row.note += '; depth maps: make them with `npx dgiqa depth` (data/README.md, Depth maps)';
    }
    rows.push(row);
  }
  return rows;
}

export function inventoryTable(rows: InventoryRow[]): CourseTable {
  return {
    name: 'datasets-on-disk',
    title: `The paper's datasets on this machine (under ${paths.datasets}; DGIQA_DATA moves it)`,
    rows,
    columns: [{ key: 'dataset' }, { key: 'id' }, { key: 'kind' }, { key: 'found' }, { key: 'images', label: 'images / pairs' }, { key: 'depth', label: 'depth maps' }, { key: 'note' }],
    notes: ['The smoke and demo profiles need none of them: they run on the embedded benchmark.'],
  };
}

/** Table 1 rows for this run: the embedded benchmark the profile uses, and every real dataset found. */
export async function datasetRows(profile: Profile, inventory?: InventoryRow[]): Promise<DatasetRow[]> {
  const rows: DatasetRow[] = [];
  const paper = new Map(readPaperTable(1).map((r) => [String(r.dataset), r]));
  if (profile.synth) {
    for (const id of ['synth-A', 'synth-B']) {
      const b = await openBenchmark(id, profile);
      const types = new Set(b.items.map((i) => i.distortion));
      rows.push({
        dataset: id, type: 'synthetic + natural (embedded)', images: b.items.length, distortions: types.size,
        score: 'score01 (full-reference label model)', source: `this run, profile ${profile.name}, embedded benchmark (generated)`,
      });
    }
  }
  for (const r of inventory ?? []) {
    if (r.found !== 'yes' || r.kind !== 'IQA benchmark') continue;
    const p = paper.get(r.dataset);
    rows.push({
      dataset: r.dataset, type: String(p?.type ?? '-'), images: r.images ?? 0, distortions: typeof p?.distortions === 'number' ? p.distortions : null,
      score: String(p?.score ?? '-'), source: 'this machine, official files',
    });
  }
  return rows;
}

/** The distortions of the embedded benchmark: family, natural or not, depth-dependent or not, strength per level. */
export function distortionsTable(): CourseTable {
  return {
    name: 'distortions',
    title: 'The embedded benchmark\'s distortions',
    rows: DISTORTIONS.map((d) => ({
      distortion: d.name, families: d.families.join(', '), natural: d.natural ? 'yes' : 'no', depth_dependent: d.depthDependent ? 'yes' : 'no',
      parameter: d.parameter, levels_1_to_5: d.values.join(' / '),
    })),
    columns: [{ key: 'distortion' }, { key: 'families' }, { key: 'natural' }, { key: 'depth_dependent', label: 'depth-dependent' }, { key: 'parameter' }, { key: 'levels_1_to_5', label: 'strength at levels 1..5' }],
    notes: ['Natural distortions (haze, low light, lens flare, motion blur) also come as clean/distorted pairs for the density study (notebook 08).'],
  };
}

export interface GalleryOptions {
  /** natural distortions (Fig. 13) or the synthetic ones (Fig. 12) */
  natural: boolean;
  /** embedded benchmark family */
  family?: 'A' | 'B';
  /** scene id, e.g. s000; default: the first */
  scene?: string;
  levels?: number[];
  name?: string;
  title?: string;
}

/**
 * A gallery of one scene of the embedded benchmark: one column per distortion, one row per level,
 * each image captioned with its label; then the clean image and its exact depth map (the embedded
 * benchmark's depth is exact and the same for every distorted view of a scene; the paper's Figs. 12
 * and 13 show Depth Anything's estimate for each distorted image instead).
 */
export async function distortionGallery(profile: Profile, o: GalleryOptions): Promise<Figure> {
  const family = o.family ?? (o.natural ? 'B' : 'A');
  const root = join(await ensureSynth(profile), family);
  const b = await openBenchmark(`synth-${family}`, profile);
  const scene = o.scene ?? b.items[0]?.refId;
  if (!scene) throw new Error(`distortionGallery: synth-${family} has no images`);
  const inScene = b.items.filter((i) => i.refId === scene);
  const wanted = new Set(DISTORTIONS.filter((d) => d.natural === o.natural).map((d) => d.name));
  const present = [...new Set(inScene.map((i) => i.distortion ?? ''))].filter((d) => wanted.has(d));
  const available = [...new Set(inScene.map((i) => i.level ?? 0))].sort((x, y) => x - y);
  const levels = (o.levels ?? [1, 3, 5]).filter((l) => available.includes(l));
  // One column per distortion and one row per level (few rows keep the grid compact), then the
  // clean image and its depth map.
  const images: CaptionedImage[] = [];
  for (const level of levels) {
    for (const d of present) {
      const item = inScene.find((i) => i.distortion === d && i.level === level);
      if (!item) throw new Error(`distortionGallery: synth-${family} scene ${scene} has no ${d} image at level ${level}`);
      images.push({ title: `${d} L${level}: ${item.score01.toFixed(2)}`, pngBase64: await thumbnail(item.image) });
    }
  }
  const clean = cleanOf(inScene[0]!, root);
  images.push({ title: `${scene}: clean`, pngBase64: await thumbnail(clean) });
  const depth = await openSyntheticDepth(root);
  const size = await sharp(clean).metadata();
  const scale = THUMBNAIL / Math.max(size.width ?? THUMBNAIL, size.height ?? THUMBNAIL);
  const w = Math.round((size.width ?? THUMBNAIL) * scale);
  const h = Math.round((size.height ?? THUMBNAIL) * scale);
  const map = await depth.depthOf(inScene[0]!.image, { width: w, height: h });
  images.push({ title: 'exact depth (near = bright)', pngBase64: grayPngBase64(map.data, map.width, map.height) });
  const kind = o.natural ? 'Natural' : 'Synthetic';
  return imageGridFigure(images, present.length, {
    name: o.name ?? (o.natural ? 'fig13-natural' : 'fig12-distortions'),
    title: o.title ?? `${kind} distortions, levels ${levels.join(', ')}, with labels; clean and depth last (synth-${family}, ${scene})`,
    cellSize: 200,
  });
}

/** The clean reference image of an embedded-benchmark item (images/<scene>.png). */
function cleanOf(item: BenchItem, root: string): string {
  return join(root, 'images', `${item.refId}.png`);
}
