// `dgiqa browser [--out DIR] [--config C --weights W --inputs I [--backend B] [--batch N]] [--serve]`:
// builds the static scoring page; with a checkpoint and an inputs batch (the `forward` command's
// format), runs it in headless Chromium and prints the scores as the last line; with a checkpoint and
// an image (and its depth map), fills in the page's form as a person would, presses Score and prints
// the score (optionally a screenshot); with --serve, keeps the page open at a local address.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PAGE_BACKENDS, buildPage, runPage, scoreInPage, serveStatic } from '../browser/index.js';
import type { PageBackend } from '../browser/index.js';
import { KIT_ROOT } from '../experiments/paths.js';
import { readConfig } from './forward.js';
import { EVAL_CROPS } from '../data/pipeline/constants.js';

const DEFAULT_OUT = join(KIT_ROOT, 'dist', 'page');
const USAGE = `usage: dgiqa browser [--out DIR] [--backend ${PAGE_BACKENDS.join('|')}] [--serve]
                     [--config PRESET|config.json --weights W --inputs I.safetensors [--batch N]]
                     [--weights W --image IMAGE [--depth DEPTH.png] [--crops N] [--seed S] [--screenshot OUT.png]]
  builds the scoring page into DIR (default dist/page); with --weights and --inputs runs it in headless
  Chromium and prints {"scores":[...],"backend":...} as the last line; with --weights and --image scores
  the image through the page's form (as dgiqa score --depth: --crops default ${EVAL_CROPS}, --seed 0) and
  prints {"image", "score", "crops", "backend"}; --serve keeps the page at a local address`;

export async function browserCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      out: { type: 'string' }, config: { type: 'string' }, weights: { type: 'string' }, inputs: { type: 'string' },
      backend: { type: 'string' }, batch: { type: 'string', default: '8' }, timeout: { type: 'string', default: '600' },
      image: { type: 'string' }, depth: { type: 'string' }, crops: { type: 'string', default: String(EVAL_CROPS) }, seed: { type: 'string', default: '0' },
      screenshot: { type: 'string' },
      serve: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const backend = values.backend ?? null;
  if (backend !== null && !(PAGE_BACKENDS as readonly string[]).includes(backend)) throw new Error(`--backend must be one of ${PAGE_BACKENDS.join(', ')}, got "${backend}"`);
  const batch = Number(values.batch);
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`--batch must be a positive integer, got "${values.batch}"`);
  const timeout = Number(values.timeout);
  if (!(timeout > 0)) throw new Error(`--timeout must be a positive number of seconds, got "${values.timeout}"`);
  if (values.inputs !== undefined && values.image !== undefined) throw new Error('--inputs (a batch) or --image (one image through the form), not both');
  if ((values.inputs !== undefined || values.image !== undefined) && values.weights === undefined) throw new Error('--inputs and --image need --weights (dgiqa browser --help)');
  if (values.weights !== undefined && values.inputs === undefined && values.image === undefined) throw new Error('--weights needs --inputs or --image (dgiqa browser --help)');
  if (values.image === undefined && (values.depth !== undefined || values.screenshot !== undefined)) throw new Error('--depth and --screenshot go with --image');
  const crops = Number(values.crops);
  const seed = Number(values.seed);
  if (!Number.isInteger(crops) || crops < 1) throw new Error(`--crops must be a positive integer, got "${values.crops}"`);
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got "${values.seed}"`);
  for (const f of [values.weights, values.inputs, values.image, values.depth]) if (f !== undefined && !existsSync(f)) throw new Error(`${f}: no such file`);
  if (values.image !== undefined && values.config?.endsWith('.json')) throw new Error(`--config ${values.config}: the page's form takes a preset name or the checkpoint's own config; a config file goes with --inputs`);
  let config: string | Record<string, unknown> | null = null;
  if (values.config !== undefined) {
    const resolved = await readConfig(values.config); // a bad preset or file is refused before a browser starts
    config = values.config.endsWith('.json') ? { ...resolved } : values.config;
  }

  const out = resolve(values.out ?? DEFAULT_OUT);
  const built = await buildPage(out);
  process.stderr.write(`page: ${out} (page.js ${(built.bundleBytes / 1e6).toFixed(1)} MB)\n`);

  if (values.weights !== undefined && values.inputs !== undefined) {
    const result = await runPage({ pageDir: out, weights: resolve(values.weights), inputs: resolve(values.inputs), config, backend: backend as PageBackend | null, batch, timeoutMs: timeout * 1000 });
    if (result.tensorsLeft !== 0) throw new Error(`the page left ${result.tensorsLeft} tensors allocated on ${result.backend}: a leak in the kit's model code`);
    const bad = result.scores.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${values.inputs}: the score of image ${bad} is not finite in the page (${result.backend})`);
    process.stderr.write(`ran on ${result.backend}${result.adapter ? ` (${result.adapter})` : ''} in ${result.seconds.toFixed(1)} s\n`);
    process.stdout.write(JSON.stringify({ scores: result.scores, backend: result.backend, adapter: result.adapter, tensors_left: result.tensorsLeft, seconds: Math.round(result.seconds * 10) / 10 }) + '\n');
  }
  if (values.weights !== undefined && values.image !== undefined) {
    const r = await scoreInPage({
      pageDir: out, weights: resolve(values.weights), image: resolve(values.image), depth: values.depth === undefined ? null : resolve(values.depth),
      preset: typeof config === 'string' ? config : null, crops, seed, backend: (backend ?? 'auto') as PageBackend | 'auto', screenshot: values.screenshot === undefined ? null : resolve(values.screenshot), timeoutMs: timeout * 1000,
    });
    process.stderr.write(`${r.status}\n`);
    process.stdout.write(JSON.stringify({ image: values.image, score: r.score, crops, seed, backend: r.backend, adapter: r.adapter }) + '\n');
  }
  if (values.serve) {
    const { url } = await serveStatic(out);
    process.stdout.write(`the scoring page: ${url} (open it in a browser with WebGPU or WebGL; Ctrl-C stops)\n`);
    await new Promise<never>(() => undefined);
  }
  if (values.weights === undefined && !values.serve) {
    process.stdout.write(`${out}\n`);
  }
  return 0;
}
