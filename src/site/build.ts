// The course as a static site, built from the executed notebooks:
//
//   const site = buildSite({ executedDir: 'notebooks/executed/demo', sourceDir: 'notebooks' });
//   // notebooks/executed/demo/site/index.html, 01-idea.html, ..., img/*.png
//
// Guarantees: every link is relative (the folder works opened from disk and from a static
// server), output images and the local images markdown cells show are copied into site/img/, links
// to a course notebook go to its page, other relative links (source files) resolve from the
// source notebooks' folder (or the copy's own, once reproduce moved them); no script, no external resource; the same input gives the same bytes.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve, sep } from 'node:path';
import { readNotebook } from './notebook.js';
import { escapeHtml, notebookTitle, renderNotebook } from './render.js';
import type { RenderContext } from './render.js';

export interface BuildSiteOptions {
  /** the executed copies (`notebooks/executed/<profile>/`) */
  executedDir: string;
  /** where the site goes; default `<executedDir>/site` */
  outDir?: string;
  /** notebook file names in course order; default every `NN-*.ipynb` in executedDir, sorted */
  notebooks?: readonly string[];
  /** folder the notebooks were written in: relative links in their markdown resolve from it; default executedDir */
  sourceDir?: string;
  /** one line per notebook for the index (file name -> line); default none */
  summaries?: Readonly<Record<string, string>>;
  /** the index's heading */
  title?: string;
  /** a paragraph (markdown-free text) under the index's heading, e.g. the profile and its caveat */
  intro?: string;
}

export interface BuiltSite {
  index: string;
  /** one HTML page per notebook, in course order */
  pages: string[];
  /** images written to img/ */
  images: number;
}

const NOTEBOOK_FILE = /^\d\d-[A-Za-z0-9._-]+\.ipynb$/;

const STYLE = `body{margin:0 auto;max-width:60rem;padding:1rem 1.5rem;font:16px/1.5 system-ui,sans-serif;color:#1a1a1a}
nav{display:flex;gap:1.5rem;padding:.5rem 0;border-bottom:1px solid #ddd;margin-bottom:1rem}
pre{background:#f6f8fa;padding:.6rem .8rem;overflow-x:auto;font-size:13px;line-height:1.4}
.cell{margin:1rem 0}.prompt{color:#888;font:12px monospace}
.output{margin:.3rem 0 .3rem 1.5rem}pre.output{background:#fff;border-left:3px solid #ddd}
pre.stderr{border-left-color:#e0a000}pre.error{border-left-color:#c00;color:#900}
img{max-width:100%;height:auto}figure{margin:.5rem 0}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem}
.math{font-family:monospace;color:#404080}.missing{color:#900}
ol.course li{margin:.4rem 0}`;

function page(title: string, nav: string, body: string): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    // no favicon request (a static server without one would log a 404 in the console)
    '<link rel="icon" href="data:,">',
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    nav,
    body,
    nav,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const toUrl = (p: string): string => encodeURI(p.split(sep).join('/'));
const isExternal = (href: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//') || href.startsWith('#') || href === '';

/** Builds the site; returns what it wrote. Throws (naming the file) on a missing or unreadable notebook. */
export function buildSite(opts: BuildSiteOptions): BuiltSite {
  const executedDir = resolve(opts.executedDir);
  const outDir = resolve(opts.outDir ?? join(executedDir, 'site'));
  const sourceDir = resolve(opts.sourceDir ?? executedDir);
  const files = opts.notebooks ? [...opts.notebooks] : existsSync(executedDir) ? readdirSync(executedDir).filter((f) => NOTEBOOK_FILE.test(f)).sort() : [];
  if (files.length === 0) throw new Error(`${executedDir}: no executed notebooks (NN-*.ipynb) to build a site from`);
  const missing = files.filter((f) => !existsSync(join(executedDir, f)));
  if (missing.length > 0) throw new Error(`${executedDir}: missing executed notebooks ${missing.join(', ')}; run \`dgiqa reproduce\` first`);

  // Only what this builder wrote is replaced: the old pages and the img/ folder.
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (f.endsWith('.html')) rmSync(join(outDir, f));
  rmSync(join(outDir, 'img'), { recursive: true, force: true });
  mkdirSync(join(outDir, 'img'));

  const pageOf = (file: string): string => file.replace(/\.ipynb$/, '.html');
  const notebooks = files.map((file) => ({ file, nb: readNotebook(join(executedDir, file)) }));
  const titles = notebooks.map(({ file, nb }) => notebookTitle(nb, file.replace(/\.ipynb$/, '')));
  let images = 0;
  const pages: string[] = [];
  for (const [i, { file, nb }] of notebooks.entries()) {
    const stem = file.replace(/\.ipynb$/, '');
    // a copy whose links reproduce already moved (addFigurePngs with a sourceDir) resolves them from its own folder
    const base = (nb.metadata.dgiqa as { linksFrom?: string } | undefined)?.linksFrom !== undefined ? executedDir : sourceDir;
    let count = 0;
    const copied = new Map<string, string>();
    const ctx: RenderContext = {
      link(href, kind) {
        if (isExternal(href)) return undefined;
        const hash = href.indexOf('#');
        const pathPart = decodeURI(hash < 0 ? href : href.slice(0, hash));
        const fragment = hash < 0 ? '' : href.slice(hash);
        const target = resolve(base, pathPart);
        if (kind === 'link' && files.includes(basename(target)) && extname(target) === '.ipynb' && [sourceDir, executedDir].includes(dirname(target))) {
          return toUrl(pageOf(basename(target))) + fragment;
        }
        if (kind === 'image' && existsSync(target)) {
          // a local image is copied in, so the site holds every image it shows
          let name = copied.get(target);
          if (!name) {
            name = `img/${stem}-md${copied.size + 1}${extname(target)}`;
            copyFileSync(target, join(outDir, name));
            copied.set(target, name);
            images++;
          }
          return toUrl(name);
        }
        return toUrl(relative(outDir, target)) + fragment;
      },
      image(bytes, ext) {
        const name = `img/${stem}-${String(++count).padStart(2, '0')}.${ext === 'jpeg' ? 'jpg' : ext}`;
        writeFileSync(join(outDir, name), bytes);
        images++;
        return name;
      },
    };
    const body = renderNotebook(nb, ctx);
    const prev = i > 0 ? `<a href="${toUrl(pageOf(files[i - 1]!))}">&larr; ${escapeHtml(titles[i - 1]!)}</a>` : '';
    const next = i + 1 < files.length ? `<a href="${toUrl(pageOf(files[i + 1]!))}">${escapeHtml(titles[i + 1]!)} &rarr;</a>` : '';
    const nav = `<nav><a href="index.html">Course index</a>${prev}${next}</nav>`;
    const out = join(outDir, pageOf(file));
    writeFileSync(out, page(titles[i]!, nav, `<main>\n${body}\n</main>`));
    pages.push(out);
  }

  const items = files.map((file, i) => {
    const line = opts.summaries?.[file];
    return `<li><a href="${toUrl(pageOf(file))}">${escapeHtml(titles[i]!)}</a>${line ? `<br><span class="summary">${escapeHtml(line)}</span>` : ''}</li>`;
  });
  const title = opts.title ?? 'The course';
  const body = [
    `<h1>${escapeHtml(title)}</h1>`,
    opts.intro ? `<p>${escapeHtml(opts.intro)}</p>` : '',
    `<ol class="course">\n${items.join('\n')}\n</ol>`,
  ].filter(Boolean).join('\n');
  const index = join(outDir, 'index.html');
  writeFileSync(index, page(title, '', `<main>\n${body}\n</main>`));
  return { index, pages, images };
}
