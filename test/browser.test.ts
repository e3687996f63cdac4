// The scoring page (issue 16): `dgiqa browser` on the tiny fixture gives PyTorch's scores with WebGL
// and with WebGPU in headless Chromium (both on SwiftShader where there is no GPU), the form scores an
// image and its depth map exactly as `dgiqa score --depth` does (same crops, same mean), the page's
// server serves nothing outside its folder, and bad arguments are refused before a browser starts.
// Skips, saying why, where no Chromium is installed.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildPage, scoreInPage, serveStatic } from '../src/browser/index.js';
import { findChromium, encodePng } from '../src/plots/index.js';
import { initBackend } from '../src/backend/index.js';
import { encodeSafetensors, loadModel, saveModel } from '../src/weights/index.js';
import type { RawTensor } from '../src/weights/index.js';
import { readConfig } from '../src/cli/forward.js';
import { TINY, assertClose } from './support/fixtures.js';

const run = promisify(execFile);
const BIN = fileURLToPath(new URL('../../bin/dgiqa.js', import.meta.url));
const TOL = 1e-4; // the fixture's bound for a float32 port (the issue asks 1e-3); measured ~2e-6 on SwiftShader

let chromium: string | undefined;
let pageDir = '';
before(async () => {
  chromium = await findChromium();
  if (!chromium) process.stderr.write('# skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)\n');
  pageDir = join(await mkdtemp(join(tmpdir(), 'dgiqa-page-')), 'page');
});

type PageScores = { scores: number[]; backend: string; adapter: string | null; tensors_left: number };

async function browserScores(backend: string): Promise<PageScores | string> {
  try {
    const { stdout } = await run(process.execPath, [BIN, 'browser', '--out', pageDir, '--config', join(TINY, 'config.json'), '--weights', join(TINY, 'weights.pth'), '--inputs', join(TINY, 'inputs.safetensors'), '--backend', backend], { maxBuffer: 1 << 20 });
    return JSON.parse(stdout.trim().split('\n').at(-1) as string) as PageScores;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? String(err);
    if (/is not available in this browser/.test(stderr)) return stderr.trim().split('\n').at(-1) as string;
    throw err;
  }
}

describe('dgiqa browser: the tiny fixture in headless Chromium', () => {
  for (const backend of ['webgl', 'webgpu']) {
    it(`${backend}: the official .pth's scores within 1e-4 of PyTorch's, no tensor left in the page`, async (t) => {
      if (!chromium) return t.skip('no Chromium');
      const out = await browserScores(backend);
      if (typeof out === 'string') return t.skip(`this Chromium offers no ${backend}: ${out}`);
      process.stderr.write(`# ${backend} adapter: ${out.adapter}\n`);
      assert.equal(out.backend, backend);
      assert.equal(out.tensors_left, 0, 'tensors left allocated in the page');
      const expected = (JSON.parse(await readFile(join(TINY, 'expected.json'), 'utf8')) as { scores: number[] }).scores;
      assert.equal(out.scores.length, expected.length);
      out.scores.forEach((s, i) => assertClose(s, expected[i], TOL, `score ${i}`));
    });
  }
});

describe('the scoring page', () => {
  it('the form scores an image and its depth map as `dgiqa score --depth` does (same seeded crops, same mean)', async (t) => {
    if (!chromium) return t.skip('no Chromium');
    const dir = await mkdtemp(join(tmpdir(), 'dgiqa-form-'));
    // a kit checkpoint records its config, so both sides build the tiny model without a preset
    await initBackend('wasm');
    const { model } = await loadModel(join(TINY, 'weights.pth'), await readConfig(join(TINY, 'config.json')));
    const weights = join(dir, 'tiny.safetensors');
    await saveModel(model, weights);
    model.dispose();
    const w = 300;
    const h = 260;
    const rgb = new Uint8Array(w * h * 3);
    const depth = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        rgb.set([(x * 7 + y) % 256, (y * 5) % 256, ((x ^ y) * 3) % 256], i * 3);
        depth[i] = Math.round((255 * y) / (h - 1));
      }
    }
    const image = join(dir, 'scene.png');
    const depthPng = join(dir, 'scene-depth.png');
    await writeFile(image, encodePng({ width: w, height: h, channels: 3, data: rgb }));
    await writeFile(depthPng, encodePng({ width: w, height: h, channels: 1, data: depth }));
    const crops = 3;
    const seed = 7;

    const { stdout } = await run(process.execPath, [BIN, 'score', image, '--weights', weights, '--depth', depthPng, '--crops', String(crops), '--seed', String(seed), '--engine', 'tfjs'], {
      env: { ...process.env, DGIQA_BACKEND: 'wasm' },
      maxBuffer: 1 << 20,
    });
    const node = JSON.parse(stdout.trim().split('\n').at(-1) as string) as { score: number };

    // the form, through the CLI: the same files picked and Score pressed in headless Chromium
    const shot = join(dir, 'page.png');
    const { stdout: pageOut } = await run(process.execPath, [BIN, 'browser', '--out', pageDir, '--weights', weights, '--image', image, '--depth', depthPng, '--crops', String(crops), '--seed', String(seed), '--backend', 'wasm', '--screenshot', shot], { maxBuffer: 1 << 20 });
    const page = JSON.parse(pageOut.trim().split('\n').at(-1) as string) as { score: number; backend: string; crops: number };
    assert.equal(page.backend, 'wasm');
    assert.equal(page.crops, crops);
    // the same windows, decoded from the same PNGs: the means agree to float32 rounding
    assertClose(page.score, node.score, 1e-5, 'page score vs dgiqa score');
    const png = await readFile(shot);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'the screenshot is a PNG');
    // the page itself: one row per crop, no page error (scoreInPage, which the command runs)
    const form = await scoreInPage({ pageDir, weights, image, depth: depthPng, preset: null, crops, seed, backend: 'wasm', screenshot: null, timeoutMs: 120_000 });
    assert.equal(form.cropRows, crops);
    assert.equal(form.cropScores.length, crops);
    assert.deepEqual(form.pageErrors, []);
    assert.match(form.status, /scene\.png: mean of 3 crops, wasm/);
    assert.equal(form.score, page.score);
  });

  it('its server serves the folder and the named files, nothing outside', async () => {
    await buildPage(pageDir);
    const secret = join(await mkdtemp(join(tmpdir(), 'dgiqa-secret-')), 'secret.txt');
    await writeFile(secret, 'x');
    const { server, url } = await serveStatic(pageDir, { '/input/weights': join(TINY, 'config.json') });
    const get = (path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const u = new URL(url);
        request({ host: u.hostname, port: u.port, path }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject).end();
      });
    try {
      assert.equal(await get('/'), 200);
      assert.equal(await get('/page.js'), 200);
      assert.equal(await get('/tfjs-backend-wasm.wasm'), 200);
      assert.equal(await get('/input/weights'), 200);
      assert.equal(await get('/nothing-here.js'), 404);
      const up = '/x%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2F..' + secret.split('/').map(encodeURIComponent).join('%2F');
      assert.equal(await get(up), 403);
      assert.equal(await get('/%E0%A4%A'), 400);
    } finally {
      server.close();
    }
  });

  it('a broken checkpoint or inputs file fails in the page with one line naming the file, exit 1', async (t) => {
    if (!chromium) return t.skip('no Chromium');
    const dir = await mkdtemp(join(tmpdir(), 'dgiqa-hostile-'));
    const truncated = join(dir, 'truncated.pth');
    await writeFile(truncated, (await readFile(join(TINY, 'weights.pth'))).subarray(0, 5000));
    // a valid safetensors file whose "rgb" has the wrong side (the weights as inputs would lack rgb)
    const wrong = join(dir, 'wrong-side.safetensors');
    const small: RawTensor = { dtype: 'F32', shape: [1, 3, 8, 8], data: new Float32Array(192) };
    await writeFile(wrong, encodeSafetensors(new Map([['rgb', small], ['depth', small]])));
    const cases: [string, string, RegExp][] = [
      [truncated, join(TINY, 'inputs.safetensors'), /^dgiqa browser: in the page: \S*truncated\.pth: truncated or corrupt zip archive/],
      [join(TINY, 'weights.pth'), wrong, /^dgiqa browser: in the page: \S*wrong-side\.safetensors: "rgb" must be NCHW \[N, 3, 224, 224\]/],
    ];
    for (const [weights, inputs, message] of cases) {
      await assert.rejects(run(process.execPath, [BIN, 'browser', '--out', pageDir, '--config', join(TINY, 'config.json'), '--weights', weights, '--inputs', inputs, '--backend', 'wasm']), (err: { code?: number; stderr?: string }) => {
        assert.equal(err.code, 1);
        const lines = (err.stderr ?? '').trim().split('\n').filter((l) => !l.startsWith('page: '));
        assert.equal(lines.length, 1, `one line: ${err.stderr}`);
        assert.match(lines[0]!, message);
        return true;
      });
    }
  });

  it('bad arguments are refused with one line and a non-zero exit, before a browser starts', async () => {
    const cases: [string[], RegExp][] = [
      [['--backend', 'cuda'], /--backend must be one of webgpu, webgl, wasm, got "cuda"/],
      [['--weights', join(TINY, 'weights.pth')], /--weights needs --inputs or --image/],
      [['--inputs', join(TINY, 'inputs.safetensors')], /--inputs and --image need --weights/],
      [['--weights', join(TINY, 'weights.pth'), '--image', join(TINY, 'no-such.png')], /no-such\.png: no such file/],
      [['--weights', join(TINY, 'weights.pth'), '--image', join(TINY, 'config.json'), '--config', join(TINY, 'config.json')], /a config file goes with --inputs/],
      [['--depth', join(TINY, 'config.json')], /--depth and --screenshot go with --image/],
      [['--config', 'no-such-preset', '--weights', join(TINY, 'weights.pth'), '--inputs', join(TINY, 'inputs.safetensors')], /unknown model preset "no-such-preset"/],
      [['--batch', '0'], /--batch must be a positive integer/],
    ];
    for (const [args, message] of cases) {
      await assert.rejects(run(process.execPath, [BIN, 'browser', '--out', pageDir, ...args]), (err: { code?: number; stderr?: string }) => {
        assert.equal(err.code, 1, args.join(' '));
        assert.match(err.stderr ?? '', message);
        assert.equal((err.stderr ?? '').trim().split('\n').length, 1, `one line: ${err.stderr}`);
        return true;
      });
    }
  });
});
