// Runs the built page in headless Chromium on a checkpoint and an inputs file: a static server on
// 127.0.0.1 (a secure context, which WebGPU needs) serves the page folder and the two files, and
// playwright-core drives an installed Chromium (it downloads nothing).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { CHROMIUM_HINT, findChromium } from '../plots/index.js';
import type { BatchRequest, BatchResult, PageBackend } from './protocol.js';

/**
 * Headless Chromium with its GPU APIs on: WebGPU (still behind a flag on Linux) and WebGL. Where
 * there is no GPU both fall back to the SwiftShader software renderer (`--enable-unsafe-swiftshader`
 * allows it; tried on Debian's Chromium 156); the page reports which adapter ran.
 */
export const GPU_CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** Serves `dir`, plus `extra` (URL path -> file), on 127.0.0.1 at a free port; nothing outside them. */
export async function serveStatic(dir: string, extra: Record<string, string> = {}): Promise<{ server: Server; url: string }> {
  const root = normalize(dir + sep);
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400).end(); // a malformed escape
      return;
    }
    const mapped = extra[path];
    const file = mapped ?? normalize(join(root, path === '/' ? 'index.html' : path));
    if (mapped === undefined && !file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    stat(file).then(
      (s) => {
        if (!s.isFile()) throw new Error('not a file');
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': s.size });
        createReadStream(file).pipe(res);
      },
      () => res.writeHead(404).end(),
    ).catch(() => res.writeHead(404).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

export interface BrowserRun {
  pageDir: string;
  weights: string;
  inputs: string;
  config: string | Record<string, unknown> | null;
  backend: PageBackend | null;
  batch: number;
  /** give up after this long (the tiny model on SwiftShader takes about a minute) */
  timeoutMs: number;
}

/** Opens the page in headless Chromium and scores the inputs there; the page's errors come back as one line. */
export async function runPage(o: BrowserRun): Promise<BatchResult> {
  const executablePath = await findChromium();
  if (!executablePath) throw new Error(`no Chromium to run the page in; ${CHROMIUM_HINT}`);
  const { chromium } = await import('playwright-core');
  const { server, url } = await serveStatic(o.pageDir, { '/input/weights': o.weights, '/input/inputs': o.inputs });
  const browser = await chromium.launch({ executablePath, args: GPU_CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.setDefaultTimeout(o.timeoutMs);
    await page.goto(url + 'index.html');
    try {
      await page.waitForFunction(() => (globalThis as unknown as { dgiqa?: { ready: boolean } }).dgiqa?.ready === true, undefined, { timeout: 60_000 });
    } catch {
      throw new Error(`the page did not start${errors.length ? `: ${errors[0]}` : ''}`);
    }
    const req: BatchRequest = { weightsUrl: '/input/weights', inputsUrl: '/input/inputs', config: o.config, backend: o.backend, batch: o.batch };
    try {
      return await page.evaluate((r) => (globalThis as unknown as { dgiqa: { batch(q: BatchRequest): Promise<BatchResult> } }).dgiqa.batch(r), req);
    } catch (err) {
      // playwright prefixes the page's message with its own context; the page's line is what helps
      const msg = err instanceof Error ? err.message : String(err);
      const line = msg.split('\n').find((l) => l.startsWith('Error: ')) ?? msg.split('\n')[0];
      throw new Error(`in the page: ${line!.replace(/^(page\.evaluate: )?Error: /, '')}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}
