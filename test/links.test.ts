// Every relative link in the committed figures/REPORT.md, README.md and CONTRIBUTING.md resolves to a file the
// repository holds (on disk and not git-ignored, so a fresh clone has it too), and so does every
// link of a REPORT.md that the report code writes for a run with executed copies and a site.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { KIT_ROOT } from '../src/experiments/paths.js';
import { reportMarkdown } from '../src/report/index.js';
import type { Environment } from '../src/util/environment.js';
import { joinText, readNotebook } from '../src/site/index.js';

/** The relative link targets of a Markdown document (inline links, images, references, raw <a>/<img>), code left out. */
export function relativeLinks(md: string): string[] {
  const text = md.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const targets = [
    ...[...text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/<(?:a|img)\s[^>]*?(?:href|src)="([^"]+)"/g)].map((m) => m[1]!),
  ];
  return [...new Set(targets)].filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#') && !t.startsWith('//'));
}

/** Targets of the relative links in `markdown` (read in `dir`) that a clone would not have: missing, or git-ignored. */
function brokenLinks(markdown: string, dir: string, root = KIT_ROOT): string[] {
  const broken: string[] = [];
  const inGit = spawnSync('git', ['rev-parse', '--is-inside-work-tree'], { cwd: root, encoding: 'utf8' }).stdout?.trim() === 'true';
  for (const target of relativeLinks(markdown)) {
    const file = resolve(dir, decodeURI(target.replace(/#.*$/, '')));
    if (!existsSync(file)) {
      broken.push(`${target} (missing)`);
      continue;
    }
    if (inGit && spawnSync('git', ['check-ignore', '-q', relative(root, file)], { cwd: root }).status === 0) broken.push(`${target} (git-ignored)`);
  }
  return broken;
}

test('relativeLinks: inline, image, reference and HTML links; URLs, anchors and code are not links', () => {
  const md = '[a](x/a.md) ![b](b.png "t") [c](https://e.org/c) [d](#d) `[e](e.md)`\n```\n[f](f.md)\n```\n[g]: ../g.ipynb\n<img src="h.svg"> [i](<i i.md>)';
  assert.deepEqual(relativeLinks(md), ['x/a.md', 'b.png', '../g.ipynb', 'h.svg']);
});

for (const doc of ['figures/REPORT.md', 'README.md', 'CONTRIBUTING.md']) {
  test(`${doc}: every relative link resolves to a file in the repository`, (t) => {
    const file = join(KIT_ROOT, doc);
    if (!existsSync(file)) {
      t.skip(`${doc} not there`);
      return;
    }
    assert.ok(relativeLinks(readFileSync(file, 'utf8')).length > 0, `${doc}: no relative links found (the parser is broken?)`);
    assert.deepEqual(brokenLinks(readFileSync(file, 'utf8'), dirname(file)), [], `${doc}: broken links`);
  });
}

test('the committed executed demo notebooks: every relative link in their markdown resolves in the repository', (t) => {
  const dir = join(KIT_ROOT, 'notebooks', 'executed', 'demo');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^\d\d-.*\.ipynb$/.test(f) && !f.endsWith('.failed.ipynb')) : [];
  if (files.length === 0) {
    console.log('no executed demo notebooks yet (npm run reproduce writes them): skipping their link check');
    t.skip('no executed demo notebooks');
    return;
  }
  for (const f of files) {
    const nb = readNotebook(join(dir, f));
    const markdown = nb.cells.flatMap((c) => [
      c.cell_type === 'markdown' ? joinText(c.source) : '',
      ...(c.outputs ?? []).map((o) => joinText(o.data?.['text/markdown'])),
    ]);
    assert.deepEqual(brokenLinks(markdown.join('\n\n'), dir), [], `${f}: broken links`);
  }
});

const ENV: Environment = {
  node: 'v20.0.0', platform: 'linux test', cpu: 'Test CPU', cores: 2, memoryGb: 8, backend: 'wasm', gpu: false,
  backendMessage: 'backend: wasm (test)', packages: {},
};

test('a REPORT.md the report code writes links only files that exist: executed copies, site pages, PNG/SVG, tables; never the uncommitted HTML', async () => {
  const root = await mkdtemp(join(tmpdir(), 'dgiqa-links-'));
  try {
    const figures = join(root, 'figures');
    const executed = join(root, 'notebooks', 'executed', 'demo');
    await mkdir(join(executed, 'site'), { recursive: true });
    await mkdir(figures, { recursive: true });
    for (const f of ['fig06-crops.html', 'fig06-crops.png', 'fig06-crops.svg', 'table2-benchmarks.md', 'table2-benchmarks.csv']) await writeFile(join(figures, f), 'x');
    for (const f of ['01-idea.ipynb', '02-data.ipynb', 'site/index.html', 'site/01-idea.html', 'site/02-data.html']) await writeFile(join(executed, f), 'x');
    const md = reportMarkdown({
      profile: 'demo',
      figuresDir: figures,
      notebooks: [
        { notebook: '01-idea.ipynb', seconds: 3, ok: true, executed: join(executed, '01-idea.ipynb') },
        { notebook: '02-data.ipynb', seconds: 4, ok: true, executed: join(executed, '02-data.ipynb') },
        { notebook: '03-model.ipynb', seconds: 1, ok: false, error: 'cell 2: boom' },
      ],
      environment: ENV,
      missing: [],
      site: join(executed, 'site', 'index.html'),
    });
    const report = join(figures, 'REPORT.md');
    await writeFile(report, md);
    const links = relativeLinks(md);
    for (const expected of ['../notebooks/executed/demo/site/index.html', '../notebooks/executed/demo/01-idea.ipynb', '../notebooks/executed/demo/site/02-data.html', 'fig06-crops.png', 'fig06-crops.svg', 'table2-benchmarks.csv']) {
      assert.ok(links.includes(expected), `REPORT.md should link ${expected}; it links ${links.join(', ')}`);
    }
    assert.ok(!links.some((l) => l.endsWith('fig06-crops.html')), 'the interactive HTML is not committed: no link to it');
    const missing = links.filter((l) => !existsSync(resolve(figures, l)));
    assert.deepEqual(missing, []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
