// `dgiqa bench`: the last line of stdout is one JSON object with the keys the README quotes, its
// numbers finite and positive. Shape only: speed is never asserted in a test (shared, noisy machines).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'dgiqa.js');
const KEYS = ['config', 'batch', 'backend', 'forward_ips', 'train_ips', 'peak_rss_mb', 'workers'];

async function bench(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [BIN, 'bench', ...args], { env: { ...process.env, DGIQA_BACKEND: 'wasm' } });
  const lines = stdout.trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

function positive(r: Record<string, unknown>, key: string): void {
  const v = r[key];
  assert.ok(typeof v === 'number' && Number.isFinite(v) && v > 0, `${key}: ${String(v)}`);
}

describe('dgiqa bench', () => {
  it('times a forward pass and a training step of the demo preset: the JSON last line', async () => {
    const r = await bench(['--config', 'demo', '--batch', '2', '--steps', '1', '--warmup', '1']);
    for (const k of KEYS) assert.ok(k in r, `missing "${k}"`);
    assert.equal(r.config, 'demo');
    assert.equal(r.batch, 2);
    assert.equal(r.backend, 'wasm');
    assert.equal(r.workers, 1);
    for (const k of ['forward_ips', 'train_ips', 'peak_rss_mb', 'forward_gflop_per_image', 'train_gflop_per_image', 'forward_mb_per_image']) positive(r, k);
  });

  it('splits a forward batch over worker threads; training is one thread', async () => {
    const r = await bench(['--config', 'demo', '--batch', '2', '--what', 'forward', '--workers', '2', '--steps', '1', '--warmup', '0']);
    assert.equal(r.workers, 2);
    positive(r, 'forward_ips');
    assert.equal(r.train_ips, null);
    await assert.rejects(bench(['--config', 'demo', '--batch', '2', '--what', 'train', '--workers', '2']), /the forward pass only/);
  });

  it('times the forward on ONNX Runtime with --engine onnx; its flags are checked', async () => {
    const r = await bench(['--config', 'demo', '--batch', '2', '--what', 'forward', '--engine', 'onnx', '--threads', '1', '--steps', '1', '--warmup', '1']);
    assert.equal(r.backend, 'onnxruntime-cpu');
    assert.equal(r.forward_engine, 'onnxruntime');
    assert.equal(r.threads, 1);
    positive(r, 'forward_ips');
    assert.equal(r.train_ips, null);
    await assert.rejects(bench(['--config', 'demo', '--engine', 'onnx', '--workers', '2', '--what', 'forward']), /give --threads N instead/);
    await assert.rejects(bench(['--config', 'demo', '--threads', '2']), /--threads is for --engine onnx/);
    await assert.rejects(bench(['--config', 'demo', '--engine', 'torch']), /--engine must be tfjs or onnx/);
  });
});
