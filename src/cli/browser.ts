// `dgiqa browser [--out DIR] [--config C --weights W --inputs I [--backend B] [--batch N]] [--serve]`:
// builds the static scoring page; with a checkpoint and an inputs batch (the `forward` command's
// format), runs it in headless Chromium and prints the scores as the last line; with --serve, keeps
// the page open at a local address for a person to use.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PAGE_BACKENDS, buildPage, runPage, serveStatic } from '../browser/index.js';
import type { PageBackend } from '../browser/index.js';
import { KIT_ROOT } from '../experiments/paths.js';
import { readConfig } from './forward.js';

const DEFAULT_OUT = join(KIT_ROOT, 'dist', 'page');
const USAGE = `usage: dgiqa browser [--out DIR] [--config PRESET|config.json --weights W --inputs I.safetensors [--backend ${PAGE_BACKENDS.join('|')}] [--batch N]] [--serve]
  builds the scoring page into DIR (default dist/page); with --weights and --inputs runs it in headless
  Chromium and prints {"scores":[...],"backend":...} as the last line; --serve keeps it at a local address`;

export async function browserCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      out: { type: 'string' }, config: { type: 'string' }, weights: { type: 'string' }, inputs: { type: 'string' },
      backend: { type: 'string' }, batch: { type: 'string', default: '8' }, timeout: { type: 'string', default: '600' },
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
  if ((values.weights === undefined) !== (values.inputs === undefined)) throw new Error('--weights and --inputs go together (dgiqa browser --help)');
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
    const bad = result.scores.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`${values.inputs}: the score of image ${bad} is not finite in the page (${result.backend})`);
    process.stderr.write(`ran on ${result.backend}${result.adapter ? ` (${result.adapter})` : ''} in ${result.seconds.toFixed(1)} s\n`);
    process.stdout.write(JSON.stringify({ scores: result.scores, backend: result.backend, adapter: result.adapter }) + '\n');
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
