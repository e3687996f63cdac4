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
    // --engine auto: on the CPU, what scoring and trainings run (ONNX Runtime)
    assert.equal(r.backend, 'onnxruntime-cpu');
    assert.equal(r.forward_engine, 'onnxruntime');
    assert.equal(r.train_engine, 'onnxruntime');
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
    await assert.rejects(bench(['--config', 'demo', '--engine', 'tfjs', '--threads', '2']), /--threads is for --engine onnx/);
    await assert.rejects(bench(['--config', 'demo', '--engine', 'torch']), /--engine must be auto, tfjs or onnx/);
  });

  it('times the training step on ONNX Runtime with --engine onnx, against the machine peak', async () => {
    const r = await bench(['--config', 'demo', '--batch', '2', '--what', 'train', '--engine', 'onnx', '--threads', '1', '--steps', '1', '--warmup', '1']);
    assert.equal(r.train_engine, 'onnxruntime');
    assert.equal(r.threads, 1);
    positive(r, 'train_ips');
    positive(r, 'train_gflops');
    const peak = r.peak as Record<string, unknown> | undefined;
    if (peak) {
      // one thread: the peak is one core's widest vectors, and the share is what the step reached of it
      assert.equal(peak.gflops, peak.coreGflops);
      assert.ok(Math.abs((peak.train_share as number) - (r.train_gflops as number) / (peak.gflops as number)) < 1e-3);
    }
  });

  it('--profile: the tfjs kernels of a step, whose self times add up to the time inside kernels', async () => {
    const r = await bench(['--config', 'demo', '--batch', '2', '--what', 'train', '--steps', '1', '--warmup', '1', '--profile']);
    const p = (r.profile as Record<string, { wallMs: number; kernelMs: number; outsideMs: number; calls: number; kernels: { kernel: string; calls: number; selfMs: number; totalMs: number }[] }>).train!;
    assert.ok(p.calls > 1000, `${p.calls} kernel calls`);
    const sum = p.kernels.reduce((a, k) => a + k.selfMs, 0);
    assert.ok(Math.abs(sum - p.kernelMs) < 1e-6 * Math.max(1, sum));
    assert.ok(Math.abs(p.kernelMs + p.outsideMs - p.wallMs) < 1e-6 * p.wallMs);
    for (const k of p.kernels) assert.ok(k.totalMs >= k.selfMs - 1e-9, `${k.kernel}: a kernel's time includes its own`);
    assert.ok(p.kernels.some((k) => k.kernel === 'BatchMatMul' && k.totalMs > k.selfMs), 'the kit\'s BatchMatMul calls other kernels: their time is not its own');
    await assert.rejects(bench(['--config', 'demo', '--engine', 'onnx', '--profile']), /--profile times TensorFlow.js kernels/);
  });
});
