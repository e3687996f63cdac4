// The scoring page's script, bundled by build.ts into page.js. It uses the kit's own model, checkpoint
// readers and crop code (no Node API in their import graph; io.ts's file reads are stubbed and never
// called), on the first TensorFlow.js backend this browser offers: WebGPU, else WebGL, else wasm.
//
// Two ways in: a person picks a checkpoint, an image and its depth map (index.html's form), and the
// page scores the image as `dgiqa score --depth` does (smaller side to 384, N seeded 224 crops, mean);
// `dgiqa browser` calls `window.dgiqa.batch` on an inputs file in the `forward` command's format.
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../backend/tf.js';
import { PRESETS, configFrom } from '../model/config.js';
import type { DgiqaConfig } from '../model/config.js';
import type { Dgiqa } from '../model/dgiqa.js';
import { modelFromCheckpoint } from '../weights/checkpoint.js';
import { parseCheckpoint, parseSafetensors } from '../weights/formats.js';
import { inputBatch, nhwcSlice } from '../weights/inputs.js';
import { CROP_SIZE, EVAL_CROPS, EVAL_SHORT_SIDE } from '../data/pipeline/constants.js';
import { drawEvalCrops, evalSeedOf, evalView, writeCrop } from '../data/pipeline/crops.js';
import type { CropInfo, View } from '../data/pipeline/crops.js';
import { minMax, resizeBilinear } from '../data/pipeline/planes.js';
import type { Plane } from '../data/pipeline/planes.js';
import { Rng } from '../util/rng.js';
import { PAGE_BACKENDS } from './protocol.js';
import type { BatchRequest, BatchResult, FormScore, PageBackend } from './protocol.js';

// the wasm binaries sit beside page.js (build.ts copies them)
setWasmPaths(new URL('./', import.meta.url).href);

let adapterName: string | null = null;

/** The first backend of PAGE_BACKENDS (or the one asked for) that initializes here. */
async function chooseBackend(wanted: PageBackend | null): Promise<string> {
  for (const name of wanted ? [wanted] : PAGE_BACKENDS) {
    if (name === 'webgpu') {
      // typed here: the DOM library's GPUAdapter lacks `info` in this TypeScript
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { vendor: string; architecture: string; description: string } } | null> } }).gpu;
      const adapter = gpu ? await gpu.requestAdapter() : null;
      if (!adapter) continue;
      const info = adapter.info;
      adapterName = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : 'unknown adapter';
    }
    // setBackend resolves false (it does not throw) when a backend cannot start in this browser
    if (await tf.setBackend(name)) {
      await tf.ready();
      if (name === 'webgl') adapterName = webglRenderer();
      if (name === 'wasm') adapterName = null;
      return name;
    }
  }
  throw new Error(wanted ? `backend ${wanted} is not available in this browser` : `none of ${PAGE_BACKENDS.join(', ')} is available in this browser`);
}

function webglRenderer(): string | null {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return null;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function modelFrom(bytes: Uint8Array, name: string, config: string | Record<string, unknown> | null): Dgiqa {
  const chosen: DgiqaConfig | undefined = config === null ? undefined : configFrom(config, `${name} (config)`);
  return modelFromCheckpoint(parseCheckpoint(bytes, name, { lazy: true }), name, chosen).model;
}

/** Scores of every image of an inputs file (NCHW float32 `rgb` and `depth`), `batch` at a time. */
async function batch(req: BatchRequest): Promise<BatchResult> {
  const t0 = performance.now();
  const backend = await chooseBackend(req.backend);
  const tensorsBefore = tf.memory().numTensors;
  const model = modelFrom(await fetchBytes(req.weightsUrl), req.weightsName, req.config);
  const scores: number[] = [];
  try {
    const { n, size, rgb, depth } = inputBatch(parseSafetensors(await fetchBytes(req.inputsUrl), req.inputsName), req.inputsName, model.config.imgSize, model.config.useDepth);
    for (let start = 0; start < n; start += req.batch) {
      const count = Math.min(req.batch, n - start);
      const x = nhwcSlice(rgb, size, start, count);
      const d = depth ? nhwcSlice(depth, size, start, count) : undefined;
      const s = tf.tidy(() => model.forward(x, d).scores);
      x.dispose();
      d?.dispose();
      scores.push(...(await s.data()));
      s.dispose();
    }
  } finally {
    model.dispose();
  }
  return { scores, backend, adapter: adapterName, seconds: (performance.now() - t0) / 1000, tensorsLeft: tf.memory().numTensors - tensorsBefore };
}

/** RGB (3 channels) or grey (the red channel) 8-bit plane of an image file, by the browser's decoder. */
async function decodePlane(file: Blob, channels: 1 | 3): Promise<Plane> {
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas in this browser');
  ctx.drawImage(bitmap, 0, 0);
  const rgba = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  const data = new Uint8Array(bitmap.width * bitmap.height * channels);
  for (let p = 0, q = 0; p < data.length; p += channels, q += 4) {
    for (let c = 0; c < channels; c++) data[p + c] = rgba[q + c]!;
  }
  return { width: bitmap.width, height: bitmap.height, channels, data };
}

export interface ImageScore {
  score: number;
  cropScores: number[];
  crops: CropInfo[];
  view: View;
  backend: string;
}

/** One image scored as the official inference does; the crops and their scores come back for display. */
async function scoreImage(model: Dgiqa, image: File, depthFile: Blob | null, crops: number, seed: number): Promise<ImageScore> {
  const rgb = await decodePlane(image, 3);
  let depth: Plane | null = null;
  if (depthFile) {
    const raw = await decodePlane(depthFile, 1);
    depth = raw.width === rgb.width && raw.height === rgb.height ? raw : resizeBilinear(raw, rgb.width, rgb.height);
  } else if (model.config.useDepth) {
    throw new Error('this model takes a depth map: pick one (a PNG from Depth Anything, for example)');
  }
  const { min, max } = depth ? minMax(depth.data) : { min: 0, max: 0 };
  const view = evalView({ rgb, depth, depthMin: min, depthMax: max }, EVAL_SHORT_SIDE);
  const size = model.config.imgSize;
  // the windows the CLI and the notebooks draw for a file of this name (evalSeedOf)
  const windows = drawEvalCrops(new Rng(evalSeedOf(seed, image.name)), view.rgb.width, view.rgb.height, size, crops);
  const rgbOut = new Float32Array(crops * size * size * 3);
  const depthOut = new Float32Array(crops * size * size * 3);
  windows.forEach((c, i) => writeCrop(view, c, size, rgbOut, depthOut, i));
  const s = tf.tidy(() => {
    const x = tf.tensor4d(rgbOut, [crops, size, size, 3]);
    const d = model.config.useDepth ? tf.tensor4d(depthOut, [crops, size, size, 3]) : undefined;
    return model.forward(x, d).scores;
  });
  const cropScores = Array.from(await s.data());
  s.dispose();
  // the mean in float32, as the kit's tfjs scoring path computes it
  const score = Math.fround(cropScores.reduce((a, b) => a + b, 0) / crops);
  return { score, cropScores, crops: windows, view, backend: tf.getBackend() };
}

// ---------------------------------------------------------------- the form (index.html)

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`index.html has no #${id}`);
  return e as T;
}

function drawCrops(result: ImageScore, size: number): void {
  const canvas = el<HTMLCanvasElement>('view');
  const { rgb } = result.view;
  canvas.width = rgb.width;
  canvas.height = rgb.height;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(rgb.width, rgb.height);
  for (let p = 0, q = 0; p < rgb.data.length; p += 3, q += 4) {
    img.data[q] = rgb.data[p]!;
    img.data[q + 1] = rgb.data[p + 1]!;
    img.data[q + 2] = rgb.data[p + 2]!;
    img.data[q + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  const lo = Math.min(...result.cropScores);
  const hi = Math.max(...result.cropScores);
  result.crops.forEach((c, i) => {
    const t = hi > lo ? (result.cropScores[i]! - lo) / (hi - lo) : 0.5;
    ctx.strokeStyle = `hsl(${Math.round(120 * t)}, 90%, 45%)`; // red: the crop's score is the lowest, green: the highest
    ctx.lineWidth = 2;
    ctx.strokeRect(c.x + 1, c.y + 1, size - 2, size - 2);
  });
  const rows = result.cropScores.map((s, i) => `<tr><td>${i + 1}</td><td>(${result.crops[i]!.x}, ${result.crops[i]!.y})</td><td>${s.toFixed(4)}</td></tr>`);
  el('crops').innerHTML = `<tr><th>crop</th><th>top-left (x, y)</th><th>score</th></tr>${rows.join('')}`;
}

function setStatus(text: string, isError = false): void {
  const s = el('status');
  s.textContent = text;
  s.className = isError ? 'error' : '';
}

let loaded: { key: string; model: Dgiqa } | null = null;

async function onScore(): Promise<void> {
  const weights = el<HTMLInputElement>('weights').files?.[0];
  const image = el<HTMLInputElement>('image').files?.[0];
  const depth = el<HTMLInputElement>('depth').files?.[0] ?? null;
  if (!weights || !image) throw new Error('pick a checkpoint and an image');
  const crops = Number(el<HTMLInputElement>('ncrops').value);
  const seed = Number(el<HTMLInputElement>('seed').value);
  if (!Number.isInteger(crops) || crops < 1) throw new Error(`crops must be a positive integer, got "${el<HTMLInputElement>('ncrops').value}"`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got "${el<HTMLInputElement>('seed').value}"`);
  const preset = el<HTMLSelectElement>('preset').value;
  const wanted = el<HTMLSelectElement>('backend').value;
  setStatus('starting the backend ...');
  const backend = await chooseBackend(wanted === 'auto' ? null : (wanted as PageBackend));
  const key = `${weights.name}:${weights.size}:${weights.lastModified}:${preset}:${backend}`;
  if (loaded?.key !== key) {
    loaded?.model.dispose();
    loaded = null;
    setStatus(`reading ${weights.name} ...`);
    loaded = { key, model: modelFrom(new Uint8Array(await weights.arrayBuffer()), weights.name, preset === 'checkpoint' ? null : preset) };
  }
  setStatus(`scoring ${crops} crops on ${backend} ...`);
  const t0 = performance.now();
  const result = await scoreImage(loaded.model, image, depth, crops, seed);
  drawCrops(result, loaded.model.config.imgSize);
  el('score').textContent = result.score.toFixed(4);
  window.dgiqa.last = { score: result.score, cropScores: result.cropScores, backend, adapter: adapterName };
  setStatus(`${image.name}: mean of ${crops} crops, ${backend}${adapterName ? ` (${adapterName})` : ''}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function initForm(): void {
  const presets = el<HTMLSelectElement>('preset');
  for (const name of ['checkpoint', ...Object.keys(PRESETS)]) presets.add(new Option(name === 'checkpoint' ? "the checkpoint's own (else paper)" : name, name));
  el<HTMLInputElement>('ncrops').value = String(EVAL_CROPS);
  el<HTMLInputElement>('ncrops').title = `random ${CROP_SIZE} crops averaged (official: ${EVAL_CROPS})`;
  el('run').addEventListener('click', () => {
    onScore().catch((err: unknown) => setStatus(err instanceof Error ? err.message : String(err), true));
  });
}

declare global {
  interface Window {
    dgiqa: { batch(req: BatchRequest): Promise<BatchResult>; ready: true; last: FormScore | null };
  }
}

window.dgiqa = { batch, ready: true, last: null };
initForm();
