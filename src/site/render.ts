// One executed notebook as the body of an HTML page: markdown cells rendered with `marked` (kept,
// dependency-free, and GitHub-flavoured like the notebooks' own markdown), code cells as code, text
// outputs as text, images written beside the page and linked relatively. Math ($...$, $$...$$) is
// left as its TeX source: the page has no script, so it opens from disk and from any static server.
import { Marked } from 'marked';
import type { Token } from 'marked';
import { joinText } from './notebook.js';
import type { Notebook, NotebookOutput } from './notebook.js';

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Removes terminal colour codes (tslab's errors carry them). */
export function stripAnsi(s: string): string {
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/** What the renderer asks of the site builder. */
export interface RenderContext {
  /** the link a markdown link or image should point at, from the page (undefined: keep it) */
  link(href: string, kind: 'link' | 'image'): string | undefined;
  /** stores an output image; returns its path relative to the page */
  image(bytes: Buffer, ext: 'png' | 'jpeg' | 'svg'): string;
}

// Code spans and blocks are matched first so that a `${x}` in code is never taken for math.
const CODE_OR_MATH = /(```[\s\S]*?```|~~~[\s\S]*?~~~|`[^`\n]*`|\$\$[\s\S]+?\$\$|\$(?!\s)[^$\n]+?(?<!\s)\$)/g;

/** Markdown to HTML; relative links go through the context. */
export function renderMarkdown(text: string, ctx: RenderContext): string {
  const math: string[] = [];
  const shielded = text.replace(CODE_OR_MATH, (m) => {
    if (!m.startsWith('$')) return m;
    math.push(m);
    return `DGIQAMATH${math.length - 1}Z`;
  });
  const marked = new Marked({
    gfm: true,
    walkTokens(token: Token) {
      if (token.type !== 'link' && token.type !== 'image') return;
      const href = ctx.link(token.href, token.type);
      if (href !== undefined) token.href = href;
    },
  });
  const html = marked.parse(shielded, { async: false });
  return html.replace(/DGIQAMATH(\d+)Z/g, (_m, i: string) => {
    const tex = math[Number(i)] ?? '';
    const display = tex.startsWith('$$');
    return `<span class="math${display ? ' display' : ''}">${escapeHtml(tex)}</span>`;
  });
}

function pre(cls: string, text: string): string {
  return `<pre class="${cls}">${escapeHtml(stripAnsi(text).replace(/\n$/, ''))}</pre>`;
}

/** One output, by the richest MIME type a static page can show. */
export function renderOutput(out: NotebookOutput, ctx: RenderContext): string {
  if (out.output_type === 'stream') return pre(`output stream ${out.name === 'stderr' ? 'stderr' : 'stdout'}`, joinText(out.text));
  if (out.output_type === 'error') return pre('output error', [`${out.ename ?? 'Error'}: ${out.evalue ?? ''}`, ...(out.traceback ?? [])].join('\n'));
  const data = out.data ?? {};
  const alt = escapeHtml(joinText(data['text/plain']).split('\n')[0] ?? '');
  for (const [mime, ext] of [['image/png', 'png'], ['image/jpeg', 'jpeg']] as const) {
    if (data[mime] !== undefined) {
      const src = ctx.image(Buffer.from(joinText(data[mime]).replace(/\s+/g, ''), 'base64'), ext);
      return `<figure class="output"><img src="${escapeHtml(src)}" alt="${alt}"></figure>`;
    }
  }
  if (data['image/svg+xml'] !== undefined) {
    const src = ctx.image(Buffer.from(joinText(data['image/svg+xml']), 'utf8'), 'svg');
    return `<figure class="output"><img src="${escapeHtml(src)}" alt="${alt}"></figure>`;
  }
  if (data['text/markdown'] !== undefined) return `<div class="output markdown">${renderMarkdown(joinText(data['text/markdown']), ctx)}</div>`;
  const html = data['text/html'];
  // Script-free HTML is shown as it is; a script (an interactive figure without its PNG) is not run.
  if (html !== undefined && !/<script/i.test(joinText(html))) return `<div class="output html">${joinText(html)}</div>`;
  if (html !== undefined) return `<p class="output missing">An interactive figure: this copy has no static image of it (run \`dgiqa reproduce\` with Chromium installed).</p>`;
  if (data['text/plain'] !== undefined) return pre('output text', joinText(data['text/plain']));
  return '';
}

/** The notebook's cells as HTML (no page around them). */
export function renderNotebook(nb: Notebook, ctx: RenderContext): string {
  const parts: string[] = [];
  for (const cell of nb.cells) {
    const source = joinText(cell.source);
    if (cell.cell_type === 'markdown') {
      parts.push(`<section class="cell markdown">${renderMarkdown(source, ctx)}</section>`);
      continue;
    }
    if (cell.cell_type === 'raw') {
      parts.push(`<section class="cell raw">${pre('raw', source)}</section>`);
      continue;
    }
    const n = cell.execution_count ?? ' ';
    const outputs = (cell.outputs ?? []).map((o) => renderOutput(o, ctx)).filter((s) => s !== '');
    parts.push(
      `<section class="cell code"><div class="prompt">In [${n}]:</div><pre class="source"><code>${escapeHtml(source)}</code></pre>` +
        (outputs.length > 0 ? `\n<div class="outputs">\n${outputs.join('\n')}\n</div>` : '') +
        '</section>',
    );
  }
  return parts.join('\n');
}

/** The title of a notebook: its first `# ` heading, else the fallback. */
export function notebookTitle(nb: Notebook, fallback: string): string {
  for (const cell of nb.cells) {
    if (cell.cell_type !== 'markdown') continue;
    const m = /^#\s+(.+)$/m.exec(joinText(cell.source));
    if (m) return m[1]!.trim();
  }
  return fallback;
}
