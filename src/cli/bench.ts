// `npm run bench` / `dgiqa bench`: whole-process timings of `dgiqa forward` (start-up, checkpoint read,
// forward pass), medians over runs, with the machine and backend named. Never a timed test: machines
// here are shared and noisy, so numbers come from this command and are quoted with their context.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, tf } from '../backend/index.js';
import { Dgiqa, configFrom } from '../model/index.js';
import { saveModel, writeSafetensors } from '../weights/index.js';
import { Rng } from '../util/rng.js';

const CLI = fileURLToPath(new URL('../../../bin/dgiqa.js', import.meta.url));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function benchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', default: 'paper' },
      batch: { type: 'string', default: '8' },
      runs: { type: 'string', default: '3' },
      backend: { type: 'string' },
    },
    strict: true,
  });
  const batch = Number(values.batch);
  const runs = Number(values.runs);
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(runs) || runs < 1) throw new Error('--batch and --runs must be positive integers');
  const env = { ...process.env, ...(values.backend ? { DGIQA_BACKEND: values.backend } : {}), DGIQA_REPORT_RESOURCES: '1' };

  // The checkpoint and inputs are made once, outside the timed runs.
  const dir = mkdtempSync(join(tmpdir(), 'dgiqa-bench-'));
  try {
    await initBackend('cpu');
    const config = configFrom(values.config);
    const model = new Dgiqa(config, 1);
    const weights = join(dir, 'weights.safetensors');
    await saveModel(model, weights);
    model.dispose();
    const rng = new Rng(2);
    const n = batch * 3 * config.imgSize * config.imgSize;
    const make = (): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
    const inputs = join(dir, 'inputs.safetensors');
    const shape = [batch, 3, config.imgSize, config.imgSize];
    await writeSafetensors(inputs, new Map([['rgb', { dtype: 'F32' as const, shape, data: make() }], ['depth', { dtype: 'F32' as const, shape, data: make() }]]));
    tf.disposeVariables();

    const walls: number[] = [];
    const rss: number[] = [];
    let backendName = '';
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const child = spawnSync(process.execPath, [CLI, 'forward', '--config', values.config, '--weights', weights, '--inputs', inputs, '--batch', String(batch)], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
      const wall = (performance.now() - t0) / 1000;
      if (child.status !== 0) throw new Error(`forward run ${r + 1} failed: ${child.stderr.trim().split('\n').pop()}`);
      const result = JSON.parse(child.stdout.trim().split('\n').pop() as string) as { backend: string };
      backendName = result.backend;
      const res = /resources: (\{.*\})/.exec(child.stderr);
      if (res) rss.push((JSON.parse(res[1]) as { maxRssMb: number }).maxRssMb);
      walls.push(wall);
      process.stderr.write(`run ${r + 1}/${runs}: ${wall.toFixed(2)} s\n`);
    }
    const summary = {
      command: `dgiqa forward --config ${values.config} (batch ${batch})`,
      backend: backendName,
      runs,
      wall_s_median: Number(median(walls).toFixed(2)),
      wall_s: walls.map((w) => Number(w.toFixed(2))),
      max_rss_mb_median: rss.length ? Math.round(median(rss)) : null,
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version },
    };
    process.stdout.write(JSON.stringify(summary) + '\n');
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
