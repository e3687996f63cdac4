// NIQE against the published MATLAB value for baboon.png, imresize against hand-computed values and a
// dense-matrix form of its definition, the AGGD fit on seeded samples, and the metric's sanity.
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import {
  aggdFit, cubic, gaussianTaps, imresize, loadNiqeModel, lumaY, niqe, niqeOfFile, resizeWeights, symmetricPinv,
} from '../src/classic/index.js';

const BABOON = fileURLToPath(new URL('../../test/fixtures/niqe/baboon.png', import.meta.url));

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(Number.isFinite(actual), `${what}: got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (tol ${tol})`);
}

// mulberry32: a small seeded PRNG, uniform in [0, 1).
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussianSampler(seed: number): () => number {
  const u = prng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()); // Box-Muller
}

async function baboonY(): Promise<{ y: Float64Array; width: number; height: number }> {
  const { data, info } = await sharp(BABOON).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { y: lumaY(data, info.width, info.height, info.channels), width: info.width, height: info.height };
}

test('baboon.png: NIQE matches MATLAB R2021a (5.72957338) within 1e-5', async (t) => {
  // Reference: BasicSR basicsr/metrics/niqe.py docstring, "MATLAB R2021a result for
  // tests/data/baboon.png: 5.72957338" (official niqe_release, Y of rgb2ycbcr, 96x96 blocks).
  const t0 = performance.now();
  const q = await niqeOfFile(BABOON);
  t.diagnostic(`NIQE(baboon) = ${q} (MATLAB 5.72957338, diff ${(q - 5.72957338).toExponential(2)}), ${(performance.now() - t0).toFixed(0)} ms`);
  close(q, 5.72957338, 1e-5, 'NIQE(baboon)');
});

test('lumaY: MATLAB rgb2ycbcr Y for uint8, rounded', () => {
  // 16 + (65.481 R + 128.553 G + 24.966 B) / 255 by hand: white 235, black 16, red 81.481, green
  // 144.553, blue 40.966; gray 128 (one channel) 16 + 219 * 128 / 255 = 125.93.
  const rgb = Uint8Array.from([255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  assert.deepEqual([...lumaY(rgb, 5, 1, 3)], [235, 16, 81, 145, 41]);
  assert.deepEqual([...lumaY(Uint8Array.from([128]), 1, 1, 1)], [126]);
  assert.throws(() => lumaY(rgb, 2, 2, 3), /do not match 2x2x3/);
});

test('Gaussian window equals the release\'s fspecial(\'gaussian\', 7, 7/6) as stored by BasicSR', () => {
  // niqe_pris_params.npz gaussian_window (python3 repr): centre, corner, middle of an edge.
  const g = gaussianTaps();
  close(g.reduce((s, v) => s + v, 0), 1, 1e-15, 'sum');
  close(g[3] * g[3], 0.11739635539001349, 1e-16, 'w[3][3]');
  close(g[0] * g[0], 0.0001577586358082699, 1e-18, 'w[0][0]');
  close(g[0] * g[3], 0.004303520521060793, 1e-17, 'w[0][3]');
});

test('imresize weights: Keys cubic stretched by 2, by hand', () => {
  // 0.5 * cubic(0.5 * d) for d = 3.5, 2.5, 1.5, 0.5: cubic(1.75) = -0.0234375, cubic(1.25) = -0.0703125,
  // cubic(0.75) = 0.2265625, cubic(0.25) = 0.8671875; they already sum to 1.
  const half = [-0.01171875, -0.03515625, 0.11328125, 0.43359375];
  const interior = [...half, ...[...half].reverse()];
  assert.equal(cubic(0), 1);
  assert.equal(cubic(2), 0);
  const w = resizeWeights(16, 8, 0.5);
  assert.equal(w.taps, 10);
  // Output 3 (1-based): u = 5.5, taps 1-based 2..11, the first and last with weight 0.
  const row = 2 * w.taps;
  assert.deepEqual([...w.weight.subarray(row + 1, row + 9)], interior);
  assert.equal(w.weight[row], 0);
  assert.equal(w.weight[row + 9], 0);
  assert.deepEqual([...w.index.subarray(row + 1, row + 9)], [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('imresize(0.5) of a ramp: hand values, mirrored edges included', () => {
  // f(y, x) = x + 100 y is separable and linear; Keys' kernel keeps a line exactly where no tap is
  // mirrored (output k, 0-based, at 2k + 0.5). At the edges by hand, with MATLAB's mirror [1:n n:-1:1]:
  // k = 0: taps 1-based -2..5 read values 2,1,0,0,1,2,3,4 -> 0.44921875; k = 1: the tap at 0 reads 0
  // instead of -1 -> 2.5 - 0.01171875; the far edges mirror these: (n - 1) - value.
  const W = 16;
  const H = 12;
  const plane = new Float64Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) plane[y * W + x] = x + 100 * y;
  const out = imresize({ data: plane, width: W, height: H }, 0.5);
  assert.equal(out.width, 8);
  assert.equal(out.height, 6);
  const rx = [0.44921875, 2.48828125, 4.5, 6.5, 8.5, 10.5, 15 - 2.48828125, 15 - 0.44921875];
  const ry = [0.44921875, 2.48828125, 4.5, 6.5, 11 - 2.48828125, 11 - 0.44921875];
  for (let i = 0; i < 6; i++) for (let k = 0; k < 8; k++) close(out.data[i * 8 + k], rx[k] + 100 * ry[i], 1e-12, `out[${i}][${k}]`);
  // A constant stays constant (weights sum to 1).
  const flat = imresize({ data: new Float64Array(35).fill(7.25), width: 7, height: 5 }, 0.5);
  for (const v of flat.data) close(v, 7.25, 1e-13, 'constant');
});

test('imresize(0.5) equals the dense form of its definition on a seeded 9x7 plane', () => {
  // Reference built here independently: an (out x in) matrix per dimension from
  // scale * cubic(scale * (u - j)), u = i / scale + 0.5 (1 - 1 / scale), normalised, indices folded
  // by reflection (edge repeated); result = Wy X Wx^T.
  const scale = 0.5;
  function dense(n: number): number[][] {
    const m = Math.ceil(n * scale);
    const rows: number[][] = [];
    for (let i = 1; i <= m; i++) {
      const u = i / scale + 0.5 * (1 - 1 / scale);
      const row = new Array<number>(n).fill(0);
      let sum = 0;
      for (let j = Math.floor(u) - 5; j <= Math.ceil(u) + 5; j++) sum += scale * cubic(scale * (u - j));
      for (let j = Math.floor(u) - 5; j <= Math.ceil(u) + 5; j++) {
        let k = j;
        while (k < 1 || k > n) k = k < 1 ? 1 - k : 2 * n + 1 - k; // 0 -> 1, -1 -> 2, n + 1 -> n
        row[k - 1] += (scale * cubic(scale * (u - j))) / sum;
      }
      rows.push(row);
    }
    return rows;
  }
  const W = 9;
  const H = 7;
  const rnd = prng(20240517);
  const plane = Float64Array.from({ length: W * H }, () => 255 * rnd());
  const wy = dense(H);
  const wx = dense(W);
  const out = imresize({ data: plane, width: W, height: H }, scale);
  assert.equal(out.height, 4);
  assert.equal(out.width, 5);
  for (let i = 0; i < 4; i++) {
    for (let k = 0; k < 5; k++) {
      let ref = 0;
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) ref += wy[i][y] * plane[y * W + x] * wx[k][x];
      close(out.data[i * 5 + k], ref, 1e-10, `out[${i}][${k}]`);
    }
  }
});

test('AGGD fit: alpha ~ 2 for a Gaussian sample, ~ 1 for a Laplacian one', () => {
  const n = 200000;
  const normal = gaussianSampler(7);
  const g = Float64Array.from({ length: n }, () => normal());
  const fg = aggdFit(g);
  close(fg.alpha, 2, 0.05, 'Gaussian alpha');
  // For alpha = 2, beta = sigma * sqrt(Gamma(1/2) / Gamma(3/2)) = sqrt(2).
  close(fg.betaL, Math.SQRT2, 0.03, 'Gaussian betaL');
  close(fg.betaR, Math.SQRT2, 0.03, 'Gaussian betaR');
  const u = prng(11);
  const lap = Float64Array.from({ length: n }, () => {
    const v = u() - 0.5;
    return -Math.sign(v) * Math.log(1 - 2 * Math.abs(v)); // inverse CDF, scale 1
  });
  const fl = aggdFit(lap);
  close(fl.alpha, 1, 0.05, 'Laplacian alpha');
  close(fl.betaL, 1, 0.03, 'Laplacian betaL'); // GGD scale for alpha = 1 is the Laplacian's b
});

test('symmetricPinv: inverse of a regular matrix, pseudo-inverse of a rank-1 one', () => {
  // [[1,2],[2,4]] = v v^T with v = (1,2): pinv = A / |v|^4 = A / 25.
  const p = symmetricPinv(Float64Array.from([1, 2, 2, 4]), 2);
  [1, 2, 2, 4].forEach((a, k) => close(p[k], a / 25, 1e-14, `pinv[${k}]`));
  const a = Float64Array.from([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]);
  const inv = symmetricPinv(a, 3);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += a[i * 3 + k] * inv[k * 3 + j];
      close(s, i === j ? 1 : 0, 1e-13, `A pinv(A) [${i}][${j}]`);
    }
  }
});

test('NIQE rises when baboon is blurred or made noisy', async () => {
  const { y, width, height } = await baboonY();
  const clean = niqe(y, width, height);
  // 11x11 box blur, edges clamped. (A mild 3x3 blur lowers it here, to 3.88: baboon's fur is busier
  // than the pristine model; 5x5 gives 6.07, 9x9 7.08, 11x11 8.27.)
  const blurred = new Float64Array(y.length);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      let s = 0;
      for (let dy = -5; dy <= 5; dy++) {
        for (let dx = -5; dx <= 5; dx++) s += y[Math.min(height - 1, Math.max(0, r + dy)) * width + Math.min(width - 1, Math.max(0, c + dx))];
      }
      blurred[r * width + c] = s / 121;
    }
  }
  const normal = gaussianSampler(3); // noise of std 30 gives 12.8
  const noisy = y.map((v) => Math.min(255, Math.max(0, v + 30 * normal())));
  const qBlur = niqe(blurred, width, height);
  const qNoise = niqe(noisy, width, height);
  assert.ok(qBlur > clean + 1, `blurred ${qBlur} vs clean ${clean}`);
  assert.ok(qNoise > clean + 1, `noisy ${qNoise} vs clean ${clean}`);
});

test('refusals: too small, wrong length, malformed model', async () => {
  assert.throws(() => niqe(new Float64Array(50 * 50), 50, 50), /smaller than one 96x96 block/);
  assert.throws(() => niqe(new Float64Array(100 * 100 - 1), 100, 100), /does not match 100x100/);
  assert.throws(() => niqe(new Float64Array(192 * 192), 192, 192, { blockSize: 95 }), /even integer/);
  const model = loadNiqeModel();
  assert.equal(model.mu.length, 36);
  assert.equal(model.cov.length, 36 * 36);
  assert.match(model.source, /modelparameters\.mat/);
  const dir = await mkdtemp(join(tmpdir(), 'niqe-'));
  try {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ mu: [...model.mu].slice(1), cov: [] }));
    assert.throws(() => loadNiqeModel(bad), /mu must be 36 finite numbers/);
    const cov = Array.from({ length: 36 }, () => new Array<number>(35).fill(0));
    await writeFile(bad, JSON.stringify({ mu: [...model.mu], cov }));
    assert.throws(() => loadNiqeModel(bad), /cov must be 36x36/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dgiqa niqe: one JSON line per image; bad input refused with one line naming the file, exit 1', async () => {
  const run = promisify(execFile);
  const bin = fileURLToPath(new URL('../../bin/dgiqa.js', import.meta.url));
  const { stdout } = await run(process.execPath, [bin, 'niqe', BABOON]);
  const line = JSON.parse(stdout.trim()) as { file: string; niqe: number };
  assert.equal(line.file, BABOON);
  assert.ok(Math.abs(line.niqe - 5.72957338) < 1e-5, String(line.niqe));
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-niqe-'));
  try {
    // a 16-bit PNG of the same image reads as its 8-bit values (not as bytes of 16-bit samples)
    const deep = join(dir, 'baboon16.png');
    await sharp(BABOON).toColourspace('rgb16').png().toFile(deep);
    assert.equal((await sharp(deep).metadata()).depth, 'ushort');
    assert.equal(await niqeOfFile(deep), await niqeOfFile(BABOON));
    const broken = join(dir, 'broken.png');
    await writeFile(broken, 'not a png');
    const small = join(dir, 'small.png');
    await sharp({ create: { width: 50, height: 60, channels: 3, background: { r: 9, g: 99, b: 199 } } }).png().toFile(small);
    for (const [args, want] of [
      [[broken], /^dgiqa niqe: .*broken\.png: /],
      [[small], /^dgiqa niqe: .*small\.png: .*96/],
      [[BABOON, '--block', '7'], /^dgiqa niqe: --block must be an even integer/],
      [[], /^dgiqa niqe: no image given/],
      [['--nope'], /^dgiqa niqe: unknown option "--nope"/],
    ] as const) {
      const err = await run(process.execPath, [bin, 'niqe', ...args]).then(() => null, (e: { code: number; stderr: string }) => e);
      assert.ok(err, `${args.join(' ')}: refused`);
      assert.equal(err.code, 1);
      assert.equal(err.stderr.trim().split('\n').length, 1, err.stderr);
      assert.match(err.stderr, want);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
