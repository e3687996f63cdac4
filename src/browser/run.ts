// Runs the built page in headless Chromium on a checkpoint and an inputs file: a static server on
// 127.0.0.1 (a secure context, which WebGPU needs) serves the page folder and the two files, and
// playwright-core drives an installed Chromium (it downloads nothing).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { extname, join, normalize, sep } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_HINT, findChromium } from '../plots/index.js';
import type { BatchRequest, BatchResult, FormScore, PageBackend } from './protocol.js';

/**
 * The figure exporter's headless Chromium with its GPU APIs on instead of off: WebGPU (still behind a
 * flag on Linux) and WebGL. Where there is no GPU both fall back to the SwiftShader software renderer
 * (`--enable-unsafe-swiftshader` allows it; tried on Debian's Chromium 156); the page reports which
 * adapter ran.
 */
export const GPU_CHROMIUM_ARGS: readonly string[] = [...CHROMIUM_ARGS.filter((a) => a !== '--disable-gpu'), '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader'];

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

/** The page open in headless Chromium, its server serving `extra` too; closed after `body`. */
async function withPage<T>(pageDir: string, extra: Record<string, string>, timeoutMs: number, body: (page: Page, errors: string[]) => Promise<T>): Promise<T> {
  const executablePath = await findChromium();
  if (!executablePath) throw new Error(`no Chromium to run the page in; ${CHROMIUM_HINT}`);
  const { chromium } = await import('playwright-core');
  const { server, url } = await serveStatic(pageDir, extra);
  const browser = await chromium.launch({ executablePath, args: [...GPU_CHROMIUM_ARGS] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.setDefaultTimeout(timeoutMs);
    await page.goto(url + 'index.html');
    try {
      await page.waitForFunction(() => (globalThis as unknown as { dgiqa?: { ready: boolean } }).dgiqa?.ready === true, undefined, { timeout: 60_000 });
    } catch {
      throw new Error(`the page did not start${errors.length ? `: ${errors[0]}` : ''}`);
    }
    return await body(page, errors);
  } finally {
    await browser.close();
    server.close();
  }
}

/** Opens the page in headless Chromium and scores the inputs there; the page's errors come back as one line. */
export async function runPage(o: BrowserRun): Promise<BatchResult> {
  return withPage(o.pageDir, { '/input/weights': o.weights, '/input/inputs': o.inputs }, o.timeoutMs, async (page) => {
    const req: BatchRequest = { weightsUrl: '/input/weights', inputsUrl: '/input/inputs', weightsName: o.weights, inputsName: o.inputs, config: o.config, backend: o.backend, batch: o.batch };
    try {
      return await page.evaluate((r) => (globalThis as unknown as { dgiqa: { batch(q: BatchRequest): Promise<BatchResult> } }).dgiqa.batch(r), req);
    } catch (err) {
      // playwright prefixes the page's message with its own context; the page's line is what helps
      const msg = err instanceof Error ? err.message : String(err);
      const line = msg.split('\n')[0]!.replace(/^page\.evaluate: /, '').replace(/^\w*Error: /, '');
      throw new Error(`in the page: ${line}`);
    }
  });
}

export interface FormRun {
  pageDir: string;
  weights: string;
  image: string;
  depth: string | null;
  /** a preset name for a checkpoint that records no config; null: the checkpoint's own, else paper */
  preset: string | null;
  crops: number;
  seed: number;
  /** 'auto': the page's own order */
  backend: PageBackend | 'auto';
  /** a PNG of the page after scoring */
  screenshot: string | null;
  timeoutMs: number;
}

export interface FormResult extends FormScore {
  /** the page's status line */
  status: string;
  /** rows of the crop table the page drew */
  cropRows: number;
  /** uncaught errors and console errors of the page */
  pageErrors: string[];
}

/**
 * What a person does: picks the checkpoint, the image and its depth map in the page's form and presses
 * Score. The page's status line comes back; an error shown there is thrown as one line.
 */
export async function scoreInPage(o: FormRun): Promise<FormResult> {
  return withPage(o.pageDir, {}, o.timeoutMs, async (page, pageErrors) => {
    await page.setInputFiles('#weights', o.weights);
    await page.setInputFiles('#image', o.image);
    if (o.depth !== null) await page.setInputFiles('#depth', o.depth);
    if (o.preset !== null) await page.selectOption('#preset', o.preset);
    await page.fill('#ncrops', String(o.crops));
    await page.fill('#seed', String(o.seed));
    await page.selectOption('#backend', o.backend);
    await page.click('#run');
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as { document: { getElementById(id: string): { textContent: string | null; className: string } | null } }).document;
      return d.getElementById('score')?.textContent !== '-' || d.getElementById('status')?.className === 'error';
    });
    const status = (await page.textContent('#status')) ?? '';
    if ((await page.getAttribute('#status', 'class')) === 'error') throw new Error(`in the page: ${status}`);
    if (o.screenshot !== null) await page.screenshot({ path: o.screenshot, fullPage: true });
    const last = await page.evaluate(() => (globalThis as unknown as { dgiqa: { last: FormScore | null } }).dgiqa.last);
    if (last === null) throw new Error('the page showed a score but kept none');
    return { ...last, status, cropRows: (await page.locator('#crops tr').count()) - 1, pageErrors };
  });
}
