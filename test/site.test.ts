// The course readable without running: executed copies get a static PNG for every inline figure
// (deterministically), and the static site built from them opens in headless Chromium with every
// image loaded, no console error and no failed request, for a notebook made here and for the
// executed copies on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, relative, resolve, sep } from 'node:path';
import { CHROMIUM_ARGS, encodePng, findChromium, inlineDisplay } from '../src/plots/index.js';
import type { Figure } from '../src/plots/index.js';
import { addFigurePngs, buildSite, readNotebook, renderMarkdown, writeNotebook } from '../src/site/index.js';
import type { Notebook, RenderContext } from '../src/site/index.js';
import { buildCourseSite } from '../src/cli/site.js';
import { KIT_ROOT } from '../src/experiments/paths.js';

const tempDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'dgiqa-site-'));

/** A real 24x16 PNG (a gradient), so the browser can decode it. */
function pngBytes(seed = 0): Buffer {
  const width = 24;
  const height = 16;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([(i * 7 + seed) % 256, (i * 3) % 256, 128], i * 3);
  return encodePng({ width, height, channels: 3, data });
}

const FIG: Figure = { name: 'fig99-test', title: 'a test figure', data: [{ type: 'scatter', x: [0, 1], y: [1, 0] }], layout: {} } as unknown as Figure;

/** An executed notebook as nbconvert writes it: markdown, code with a stream, a figure, a PNG and an error-free markdown output. */
function executedNotebook(root: string): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    cells: [
      {
        cell_type: 'markdown',
        id: 'c0',
        metadata: {},
        source: '# 01. A small notebook\n\nThe loss $L = \\frac{1}{N}\\sum_i (s_i - y_i)^2$ and `${x}` in code; see [the next one](02-next.ipynb#top), [the source](../src/site/build.ts) and ![a picture](pic.png).\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n',
      },
      {
        cell_type: 'code',
        id: 'c1',
        execution_count: 1,
        metadata: { execution: { 'iopub.status.busy': '2026-01-01T00:00:00.000Z' } },
        source: ['console.log("hello");\n', 'tslab.display.html(plots.inlineDisplay(fig));'],
        outputs: [
          { output_type: 'stream', name: 'stdout', text: ['hello <world>\n', `${root}/data/x.bin in ${root}\n`] },
          { output_type: 'display_data', metadata: {}, data: { 'text/html': inlineDisplay(FIG, { bundle: 'none' }) } },
          { output_type: 'display_data', metadata: {}, data: { 'text/html': inlineDisplay({ ...FIG, name: 'fig98-nopng' }, { bundle: 'none' }) } },
          { output_type: 'display_data', metadata: {}, data: { 'image/png': pngBytes(5).toString('base64') + '\n', 'text/plain': 'a png' } },
          { output_type: 'display_data', metadata: {}, data: { 'text/markdown': '**bold** table output' } },
        ],
      },
    ],
  };
}

async function scratchCourse(): Promise<{ root: string; executed: string; figures: string }> {
  const root = await tempDir();
  const notebooks = join(root, 'notebooks');
  const executed = join(notebooks, 'executed', 'demo');
  const figures = join(root, 'figures');
  await mkdir(executed, { recursive: true });
  await mkdir(figures, { recursive: true });
  await mkdir(join(root, 'src', 'site'), { recursive: true });
  writeFileSync(join(root, 'src', 'site', 'build.ts'), '// a source file\n');
  writeFileSync(join(notebooks, 'pic.png'), pngBytes(9));
  writeFileSync(join(figures, 'fig99-test.png'), pngBytes(1));
  writeNotebook(join(executed, '01-small.ipynb'), executedNotebook(root));
  const second = executedNotebook(root);
  second.cells = [{ cell_type: 'markdown', id: 'd0', metadata: {}, source: '# 02. The next one\n\nBack to [the first](01-small.ipynb).' }];
  writeNotebook(join(executed, '02-next.ipynb'), second);
  return { root, executed, figures };
}

test('addFigurePngs: each inline figure becomes its PNG (no HTML, no plotly.js), timestamps go, and a second pass changes nothing', async () => {
  const { root, executed, figures } = await scratchCourse();
  try {
    const file = join(executed, '01-small.ipynb');
    const r = addFigurePngs(file, figures, { sourceDir: join(root, 'notebooks'), root });
    assert.deepEqual(r, { withPng: ['fig99-test'], withoutPng: ['fig98-nopng'] });
    const nb = readNotebook(file);
    const outputs = nb.cells[1]!.outputs!;
    assert.equal(outputs[1]!.data!['image/png'], readFileSync(join(figures, 'fig99-test.png')).toString('base64'));
    assert.equal(outputs[1]!.data!['text/html'], undefined);
    assert.deepEqual(outputs[1]!.metadata, { dgiqa: { figure: 'fig99-test' } });
    // a figure without a PNG keeps its interactive HTML
    assert.match(String(outputs[2]!.data!['text/html']), /data-dgiqa-figure="fig98-nopng"/);
    assert.equal(nb.cells[1]!.metadata.execution, undefined);
    // links written for notebooks/ now work from notebooks/executed/demo/; a sibling notebook's stays
    const md = String(nb.cells[0]!.source);
    assert.match(md, /\[the next one\]\(02-next\.ipynb#top\)/);
    assert.match(md, /\[the source\]\(\.\.\/\.\.\/\.\.\/src\/site\/build\.ts\)/);
    assert.match(md, /!\[a picture\]\(\.\.\/\.\.\/pic\.png\)/);
    assert.match(md, /`\$\{x\}`/);
    assert.deepEqual(nb.metadata.dgiqa, { linksFrom: '../..' });
    // the machine's path of the kit is gone from the outputs
    assert.equal(outputs[0]!.text, 'hello <world>\ndata/x.bin in .\n');
    const once = readFileSync(file);
    addFigurePngs(file, figures, { sourceDir: join(root, 'notebooks'), root });
    assert.ok(readFileSync(file).equals(once), 'a second pass must leave the file as it is');
    assert.throws(() => addFigurePngs(join(figures, 'fig99-test.png'), figures), /fig99-test\.png: not a readable notebook/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('renderMarkdown: math stays TeX, code is not math, notebook links go to pages', () => {
  const ctx: RenderContext = { link: (href) => (href.endsWith('.ipynb') ? href.replace(/\.ipynb$/, '.html') : undefined), image: () => 'img/x.png' };
  const html = renderMarkdown('Loss $\\sum_i s_i$ and $$a_b$$; code `${x}` and `$y$`; [next](02-b.ipynb)', ctx);
  assert.match(html, /<span class="math">\$\\sum_i s_i\$<\/span>/);
  assert.match(html, /<span class="math display">\$\$a_b\$\$<\/span>/);
  assert.match(html, /<code>\$\{x\}<\/code>/);
  assert.match(html, /<code>\$y\$<\/code>/);
  assert.match(html, /href="02-b\.html"/);
  assert.doesNotMatch(html, /<em>/);
});

test('buildSite: index and a page per notebook, images in img/, relative links, same bytes twice; a missing notebook is named', async () => {
  const { root, executed, figures } = await scratchCourse();
  try {
    addFigurePngs(join(executed, '01-small.ipynb'), figures, { sourceDir: join(root, 'notebooks'), root });
    const site = buildSite({ executedDir: executed, sourceDir: join(root, 'notebooks'), summaries: { '01-small.ipynb': 'the first' }, title: 'Test course' });
    const out = join(executed, 'site');
    assert.equal(site.index, join(out, 'index.html'));
    assert.deepEqual(site.pages, [join(out, '01-small.html'), join(out, '02-next.html')]);
    assert.equal(site.images, 3); // the figure, the PNG output, the markdown picture
    const index = readFileSync(site.index, 'utf8');
    assert.match(index, /<a href="01-small\.html">01\. A small notebook<\/a><br><span class="summary">the first<\/span>/);
    const page = readFileSync(site.pages[0]!, 'utf8');
    assert.match(page, /href="02-next\.html#top"/);
    assert.match(page, /href="\.\.\/\.\.\/\.\.\/\.\.\/src\/site\/build\.ts"/);
    assert.match(page, /<pre class="output stream stdout">hello &lt;world&gt;\ndata\/x\.bin in \.<\/pre>/);
    assert.match(page, /<img src="img\/01-small-01\.png"/);
    assert.match(page, /<strong>bold<\/strong> table output/);
    assert.match(page, /<p class="output missing">/);
    assert.doesNotMatch(page, /<script/);
    assert.doesNotMatch(page, new RegExp(root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no absolute path in a page');
    const first = readdirSync(out).map((f) => [f, statSync(join(out, f)).isFile() ? readFileSync(join(out, f)).toString('base64') : 'dir']);
    buildSite({ executedDir: executed, sourceDir: join(root, 'notebooks'), summaries: { '01-small.ipynb': 'the first' }, title: 'Test course' });
    assert.deepEqual(readdirSync(out).map((f) => [f, statSync(join(out, f)).isFile() ? readFileSync(join(out, f)).toString('base64') : 'dir']), first);
    assert.throws(() => buildSite({ executedDir: executed, notebooks: ['01-small.ipynb', '03-gone.ipynb'] }), /missing executed notebooks 03-gone\.ipynb/);
    await browserCheck(executed, ['site/index.html', 'site/01-small.html', 'site/02-next.html']);
    if (await findChromium()) {
      // the check fails where it should: a missing image, a script error
      writeFileSync(join(out, 'broken.html'), '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body><img src="img/none.png"></body></html>');
      await assert.rejects(browserCheck(executed, ['site/broken.html']), /image img\/none\.png did not load|HTTP 404/);
      writeFileSync(join(out, 'broken.html'), '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body><script>undefinedFunction()</script></body></html>');
      await assert.rejects(browserCheck(executed, ['site/broken.html']), /page error: undefinedFunction is not defined/);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the course site of the executed copies on disk opens in Chromium: every page, every image, no errors', async (t) => {
  // the committed demo copies if there are any, else the smoke copies of a local run
  const profile = ['demo', 'smoke'].find((p) => existsSync(join(KIT_ROOT, 'notebooks', 'executed', p)) && readdirSync(join(KIT_ROOT, 'notebooks', 'executed', p)).some((f) => /^\d\d-.*\.ipynb$/.test(f) && !f.endsWith('.failed.ipynb')));
  if (!profile) {
    console.log('no executed notebooks under notebooks/executed/ (run `dgiqa reproduce`): skipping the check of their site');
    t.skip('no executed notebooks');
    return;
  }
  const executed = join(KIT_ROOT, 'notebooks', 'executed', profile);
  const committed = join(executed, 'site', 'index.html');
  if (profile === 'demo' && existsSync(committed)) {
    // the committed site as it is, served from the repository
    const pages = readdirSync(join(executed, 'site')).filter((f) => f.endsWith('.html')).map((f) => relative(KIT_ROOT, join(executed, 'site', f)));
    await browserCheck(KIT_ROOT, pages, t);
  }
  const scratch = await tempDir();
  try {
    const site = buildCourseSite(profile, executed, join(scratch, 'site'));
    assert.ok(site.pages.length > 0);
    await browserCheck(scratch, [site.index, ...site.pages].map((p) => relative(scratch, p)), t);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.png': 'image/png', '.jpg': 'image/jpeg', '.svg': 'image/svg+xml', '.css': 'text/css' };

/** A static file server on 127.0.0.1 for `root`; 404 outside it or for a missing file. */
async function serve(root: string): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const file = resolve(root, '.' + path);
    if ((file !== root && !file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { server, base: `http://127.0.0.1:${address.port}/` };
}

/**
 * Opens each page (paths relative to root) from a server and from disk: it loads, every <img>
 * decodes (naturalWidth > 0), no console error, no page error, no failed request; every link to
 * another .html page of the site points at a file that exists.
 */
async function browserCheck(root: string, pages: string[], t?: { skip(msg: string): void }): Promise<void> {
  const exe = await findChromium();
  if (!exe) {
    console.log('Chromium not found (/usr/bin/chromium, $CHROMIUM_PATH): skipping the browser check of the course site');
    t?.skip('no Chromium: apt-get install -y chromium, or set CHROMIUM_PATH');
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS });
  const { server, base } = await serve(resolve(root));
  try {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console error: ${m.text()}`)));
    page.on('pageerror', (e) => void problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => void problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? ''})`));
    page.on('response', (r) => void (r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`)));
    for (const p of pages) {
      for (const url of [new URL(p.split(sep).join('/'), base).href, `file://${resolve(root, p)}`]) {
        const response = await page.goto(url, { waitUntil: 'load' });
        if (url.startsWith('http')) assert.equal(response?.status(), 200, `${p}: HTTP ${response?.status()}`);
        const images = await page.$$eval('img', (imgs) => imgs.map((i) => ({ src: i.getAttribute('src') ?? '', ok: i.complete && i.naturalWidth > 0 })));
        for (const img of images) assert.ok(img.ok, `${p}: image ${img.src} did not load (${url.slice(0, 5)})`);
        const links = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href') ?? ''));
        for (const href of links.filter((h) => /^[^:/#][^:]*\.html(#.*)?$/.test(h))) {
          assert.ok(existsSync(resolve(root, p, '..', decodeURI(href.replace(/#.*$/, '')))), `${p}: link ${href} has no page`);
        }
      }
      assert.deepEqual(problems, [], `${p}: ${problems.join('; ')}`);
    }
  } finally {
    server.close();
    await browser.close();
  }
}
