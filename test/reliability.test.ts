// Runs that survive being killed: a small training is killed with SIGKILL at chosen moments (inside
// a step, inside a checkpoint write, between the files of a checkpoint, during evaluation, before the
// log line) and at seeded random times, resumed each time, and must end with exactly the weights,
// optimizer state and log of a run left alone. Ctrl-C saves inside an epoch; one run per folder.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors } from '../src/weights/index.js';
import { Rng } from '../src/util/rng.js';
import { lockFolder, LOCK_FILE } from '../src/util/lock.js';
import { initBackend, tf, trainingMemoryProblem, wasmHeapExhausted, wasmStepTooBig } from '../src/backend/index.js';
import { fit, resolveTrainConfig } from '../src/train/index.js';
import type { HostBatch } from '../src/train/index.js';
import { writeFileAtomic, removeStaleTemporaries } from '../src/util/atomic.js';
import { releaseAll } from '../src/util/release.js';
import { gradsAreFinite } from '../src/train/step.js';

const CHILD = fileURLToPath(new URL('./support/trainChild.js', import.meta.url));

interface Exit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs the training child; `kill(child)` may end it early. */
function runChild(dir: string, env: Record<string, string> = {}, kill?: (child: ReturnType<typeof spawn>) => void): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD, dir], { env: { ...process.env, ...env, DGIQA_PROGRESS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
    kill?.(child);
  });
}

/** `jobs` two at a time: the machine has two cores and each child computes on one. */
async function twoAtATime<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all([lane(), lane()]);
  return out;
}

/** What a finished run is: every tensor of model and optimizer, and the log without timings. */
async function fingerprint(dir: string): Promise<{ tensors: Map<string, string>; log: unknown[] }> {
  const tensors = new Map<string, string>();
  for (const file of ['model.safetensors', 'optimizer.safetensors']) {
    for (const [name, t] of (await readSafetensors(join(dir, file))).tensors) tensors.set(`${file}/${name}`, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64'));
  }
  const log = readFileSync(join(dir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => {
    const { seconds: _s, imagesPerSecond: _i, ...rest } = JSON.parse(l) as Record<string, unknown>;
    return rest;
  });
  return { tensors, log };
}

/** After a kill: every file is whole (or a named temporary that the next start removes). */
async function assertNothingHalfWritten(dir: string, what: string): Promise<void> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (/^\..*\.\d+\.[0-9a-f]{8}\.tmp$/.test(name)) continue;
    if (name.endsWith('.json')) assert.doesNotThrow(() => JSON.parse(readFileSync(path, 'utf8')), `${what}: ${name} is whole`);
    else if (name.endsWith('.safetensors')) await assert.doesNotReject(readSafetensors(path), `${what}: ${name} is whole`);
    else assert.ok(name === 'log.jsonl' || name === LOCK_FILE, `${what}: unexpected file ${name}`);
  }
}

describe('killed at any moment, nothing lost', () => {
  const base = mkdtempSync(join(tmpdir(), 'dgiqa-kill-'));
  let reference: Awaited<ReturnType<typeof fingerprint>>;
  // point:n = the n-th pass of that point (util/faults.ts); `write` is between the chunks of any
  // atomic write, `checkpoint` between the files of a checkpoint and its commit
  const FAULTS = ['step:2', 'step:5', 'write:1', 'write:150', 'checkpoint:1', 'checkpoint:2', 'checkpoint:3', 'checkpoint:6', 'evaluate:2', 'log:1', 'log:3'];
  const RANDOM_KILLS = 5;

  before(async () => {
    const r = await runChild(join(base, 'reference'));
    assert.equal(r.code, 0, r.stderr);
    reference = await fingerprint(join(base, 'reference'));
    assert.equal(reference.log.filter((l) => (l as { kind: string }).kind === 'epoch').length, 3);
  });

  it(`SIGKILL at ${FAULTS.length} chosen points, each resumed, ends as the run left alone`, async () => {
    const outcomes = await twoAtATime(FAULTS.map((fault) => async () => {
      const dir = join(base, `fault-${fault.replace(':', '-')}`);
      const killed = await runChild(dir, { DGIQA_FAULT: fault });
      assert.equal(killed.signal, 'SIGKILL', `${fault}: the fault point was reached (${killed.stderr})`);
      await assertNothingHalfWritten(dir, fault);
      const resumed = await runChild(dir);
      assert.equal(resumed.code, 0, `${fault}: resume: ${resumed.stderr}`);
      return { fault, dir };
    }));
    for (const { fault, dir } of outcomes) {
      const got = await fingerprint(dir);
      assert.deepEqual(got.log, reference.log, `${fault}: the log`);
      assert.equal(got.tensors.size, reference.tensors.size);
      for (const [name, data] of reference.tensors) assert.equal(got.tensors.get(name), data, `${fault}: ${name}`);
      assert.deepEqual(readdirSync(dir).filter((n) => n.endsWith('.tmp') || n.includes('.next.')), [], `${fault}: no leftovers`);
    }
  });

  it(`SIGKILL at ${RANDOM_KILLS} seeded random moments of one run, resumed each time, ends as the run left alone`, async () => {
    const dir = join(base, 'random');
    const rng = new Rng(2026);
    for (let k = 0; k < RANDOM_KILLS; k++) {
      const delay = 500 + rng.int(6000);
      const r = await runChild(dir, {}, (child) => {
        setTimeout(() => child.kill('SIGKILL'), delay);
      });
      if (r.code === 0) break; // the run finished before this kill came
      assert.equal(r.signal, 'SIGKILL');
      await assertNothingHalfWritten(dir, `random kill ${k + 1} at ${delay} ms`);
    }
    const last = await runChild(dir);
    assert.equal(last.code, 0, last.stderr);
    const got = await fingerprint(dir);
    assert.deepEqual(got.log, reference.log);
    for (const [name, data] of reference.tensors) assert.equal(got.tensors.get(name), data, name);
  });

  it('SIGINT saves inside the epoch, exits 130, and the resumed run ends as the run left alone', async () => {
    const dir = join(base, 'sigint');
    const r = await runChild(dir, {}, (child) => {
      // interrupt once a step of the second epoch is logged: the stop lands mid-epoch
      const poll = setInterval(() => {
        const log = join(dir, 'log.jsonl');
        if (existsSync(log) && readFileSync(log, 'utf8').includes('"kind":"step","epoch":2')) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('exit', () => clearInterval(poll));
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /stopped on request at epoch 2, step \d+; saved, continue with --resume/);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { epoch: number; partial?: { batches: number } };
    assert.equal(state.epoch, 1);
    assert.ok(state.partial && state.partial.batches >= 1 && state.partial.batches <= 2, JSON.stringify(state));
    const resumed = await runChild(dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    const got = await fingerprint(dir);
    assert.deepEqual(got.log.filter((l) => (l as { kind: string }).kind === 'epoch'), reference.log.filter((l) => (l as { kind: string }).kind === 'epoch'));
    for (const [name, data] of reference.tensors) assert.equal(got.tensors.get(name), data, name);
  });
});

describe('one run per folder', () => {
  it('refuses a second holder, takes over the lock of a dead one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgiqa-lock-'));
    const release = await lockFolder(dir);
    await assert.rejects(lockFolder(dir), /in use by another run \(pid \d+ on .*\); wait for it, or delete .*run\.lock/);
    await release();
    // a holder that died without releasing (pid far beyond pid_max)
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ host: (await import('node:os')).hostname(), pid: 2 ** 30, started: '1', since: 'then' }));
    const again = await lockFolder(dir);
    await again();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  });

  it('a second training pointed at a folder in use is refused, the first goes on', async () => {
    await initBackend('wasm');
    const dir = mkdtempSync(join(tmpdir(), 'dgiqa-lock-fit-'));
    const config = resolveTrainConfig({ model: 'demo', numEpochs: 1, batchSize: 2, logEvery: 1 });
    const x = new Float32Array(2 * 128 * 128 * 3).fill(0.1);
    const batches = async function* (): AsyncGenerator<HostBatch> {
      yield { rgb: x, depth: x, labels: Float32Array.from([0.2, 0.8]), n: 2, size: 128 };
    };
    const before = tf.memory().numTensors;
    const first = fit({ runDir: dir, config, batches, imagesPerEpoch: 2, quiet: true });
    // the second starts once the first holds the lock: started together, either may win the race
    let settled = false;
    void first.then(() => { settled = true; }, () => { settled = true; });
    while (!existsSync(join(dir, LOCK_FILE)) && !settled) await new Promise((r) => setTimeout(r, 5));
    assert.ok(!settled, 'the first run still holds the folder');
    await assert.rejects(fit({ runDir: dir, config, batches, imagesPerEpoch: 2, quiet: true, resume: true }), /in use by another run/);
    const done = await first;
    done.model.dispose();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false, 'released when the run ends');
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('memory the backend cannot give', () => {
  it('a wasm training of the paper model is refused at once, naming the folder and why', async () => {
    await initBackend('wasm');
    const dir = mkdtempSync(join(tmpdir(), 'dgiqa-too-big-'));
    const before = tf.memory().numTensors;
    const config = resolveTrainConfig({ model: 'paper', numEpochs: 1 });
    const batches = async function* (): AsyncGenerator<HostBatch> {};
    await assert.rejects(fit({ runDir: dir, config, batches, imagesPerEpoch: 1, quiet: true }), (err: Error) => {
      assert.match(err.message, /^\S+: training this model \(102\.9M parameters: 1\.65 GB of weights, AdamW state and gradients before activations\) does not fit the wasm backend's 4 GB heap/);
      return true;
    });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(existsSync(join(dir, LOCK_FILE)), false, 'the lock is released');
    assert.equal(trainingMemoryProblem('wasm', 1.7e6, 'demo'), undefined);
    assert.equal(trainingMemoryProblem('tensorflow', 102.9e6, 'paper'), undefined);
  });
  it('a step that outgrows the wasm heap is told apart from other failures, and named in one line', () => {
    // what the demo model's ONNX training at batch 32 threw (tfjs-backend-wasm 4.22, disposeData after Aborted())
    assert.equal(wasmHeapExhausted(Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' })), true);
    assert.equal(wasmHeapExhausted(new Error('Aborted(). Build with -sASSERTIONS for more info.')), true);
    assert.equal(wasmHeapExhausted(new Error('Cannot enlarge memory arrays to size 4294967296 bytes')), true);
    assert.equal(wasmHeapExhausted(new Error('runs/x: non-finite loss at epoch 1, step 3')), false);
    assert.equal(wasmHeapExhausted(new Error("ENOENT: no such file or directory, open 'a.png'")), false);
    const m = wasmStepTooBig('runs/x/run', 32, 128, Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' }));
    assert.equal(m.includes('\n'), false);
    assert.match(m, /^runs\/x\/run: a training step of batch 32 at 128 px outgrew the wasm backend's 4 GB heap \(memory access out of bounds\); use a smaller batchSize/);
  });
  it('a failed run releases everything, and a release that throws does not replace the run\'s error', async () => {
    // after a wasm abort, disposing tensors throws "memory access out of bounds": the run's own
    // message (which names the run and what to change) must be the one reported
    const done: string[] = [];
    const dead = Object.assign(new Error('memory access out of bounds'), { name: 'RuntimeError' });
    const first = await releaseAll([
      () => { done.push('engine'); throw dead; },
      async () => { done.push('optimizer'); await Promise.reject(new Error('second')); },
      () => { done.push('model'); },
    ]);
    assert.deepEqual(done, ['engine', 'optimizer', 'model']);
    assert.equal(first, dead);
    assert.equal(await releaseAll([() => done.push('again')]), undefined);
  });
});

describe('atomic files and finite gradients', () => {
  it('an atomic write replaces the whole file; stale temporaries are cleared', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgiqa-atomic-'));
    const path = join(dir, 'a.json');
    await writeFileAtomic(path, '{"v":1}');
    await writeFileAtomic(path, [Buffer.from('{"v":'), Buffer.from('2}')]);
    assert.equal(readFileSync(path, 'utf8'), '{"v":2}');
    writeFileSync(join(dir, '.a.json.123.0badf00d.tmp'), '{"v":');
    assert.equal(await removeStaleTemporaries(dir), 1);
    assert.deepEqual(readdirSync(dir), ['a.json']);
  });

  it('gradsAreFinite tells NaN and Infinity from large finite values', async () => {
    await initBackend('wasm');
    const finite = [tf.tensor1d([1e30, -1e30, 0]), tf.tensor2d([[3.4e38, 1]])];
    assert.equal(await gradsAreFinite(finite), true);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const t = tf.tensor1d([0, bad]);
      assert.equal(await gradsAreFinite([...finite, t]), false, String(bad));
      t.dispose();
    }
    // past the 4M-element group bound: a bad value in the first group, the last, or a gradient alone
    const big = [tf.zeros([3_000_000]), tf.zeros([3_000_000]), tf.zeros([5_000_000])];
    const start = tf.memory().numTensors;
    assert.equal(await gradsAreFinite(big), true);
    for (const [i, at] of [[0, 5], [1, 2_999_999], [2, 4_000_000]]) {
      const values = new Float32Array(big[i].size);
      values[at] = Infinity;
      const bad = tf.tensor1d(values);
      assert.equal(await gradsAreFinite(big.map((g, j) => (j === i ? bad : g))), false, `Infinity in gradient ${i}`);
      bad.dispose();
    }
    assert.equal(tf.memory().numTensors, start, 'leaked tensors');
    tf.dispose([...finite, ...big]);
  });
});

describe('a full disk names the file (issue 20)', () => {
  /** Every FileHandle write fails as on a full disk while `body` runs (Node's message names no file). */
  async function withFullDisk(body: () => Promise<unknown>): Promise<unknown> {
    const { open } = await import('node:fs/promises');
    const probe = await open(join(mkdtempSync(join(tmpdir(), 'dgiqa-enospc-probe-')), 'x'), 'w');
    const proto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const original = proto.write;
    proto.write = async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    try {
      return await body().then(() => undefined, (err: unknown) => err);
    } finally {
      proto.write = original;
    }
  }

  it('ENOSPC while committing state.json or writing result.json: one line naming it, the old file kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgiqa-enospc-'));
    const state = join(dir, 'state.json');
    writeFileSync(state, '{"epoch":1}\n');
    const err = await withFullDisk(() => writeFileAtomic(state, '{"epoch":2}\n'));
    assert.ok(err instanceof Error);
    assert.equal(err.message, `${state}: cannot write: ENOSPC: no space left on device, write`);
    assert.equal(readFileSync(state, 'utf8'), '{"epoch":1}\n');
    assert.deepEqual(readdirSync(dir), ['state.json'], 'no temporary left');

    const { writeResult } = await import('../src/experiments/results.js');
    const { PROFILES } = await import('../src/experiments/profiles.js');
    const result = join(dir, 'result.json');
    const failed = await withFullDisk(() => writeResult(result, 'test', PROFILES.smoke, 'none', { srocc: 1 }));
    assert.ok(failed instanceof Error);
    assert.equal(failed.message, `${result}: cannot write: ENOSPC: no space left on device, write`);
  });
});
