// Figures: builders give the expected traces and axes, t-SNE separates clusters deterministically,
// the HTML is self-contained, tables format missing values, and (where Chromium exists) the PNG and
// SVG export works; without Chromium, the writer says how to get the images.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/util/rng.js';
import {
  besidePaper,
  cropsFigure,
  curvesFigure,
  densityFigure,
  embeddedPoints,
  figureHtml,
  findChromium,
  FigureExporter,
  grayPngBase64,
  heatmapOverlayFigure,
  imageGridFigure,
  inlineDisplay,
  lambdaFigure,
  pngBase64,
  pngSize,
  runSource,
  tableCsv,
  tableMarkdown,
  tsne,
  tsneFigure,
  robustRange,
  stampText,
  titleTop,
  withExporter,
  wrapTitle,
  writeFigure,
  type Figure,
  type PlotlyTrace,
} from '../src/plots/index.js';
import { EXAMPLE_TITLES, GRADCAM_TITLES, exampleRows } from '../src/report/index.js';
import type { BenchItem, PairItem } from '../src/experiments/index.js';

function gaussianSample(rng: Rng, n: number, mean: number, std: number): number[] {
  return Array.from({ length: n }, () => mean + std * rng.normal());
}

function axisTitleText(fig: Figure, key: string): string | undefined {
  const axis = fig.layout[key] as { title?: { text?: string } } | undefined;
  return axis?.title?.text;
}

function annotationTexts(fig: Figure): string[] {
  return (fig.layout.annotations as { text: string }[]).map((a) => a.text);
}

function densityPanel(dataset: string, overlapPct: number) {
  const rng = new Rng(7);
  return {
    dataset,
    clean: gaussianSample(rng, 50, 0.7, 0.05),
    distorted: gaussianSample(rng, 50, 0.4, 0.08),
    overlapPct,
    fitted: { mean_clean: 0.7, std_clean: 0.05, mean_distorted: 0.4, std_distorted: 0.08 },
  };
}

function smallPng(width = 8, height = 6): string {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set([(i * 37) % 256, (i * 11) % 256, 128], 3 * i);
  return pngBase64({ width, height, channels: 3, data });
}

test('densityFigure: per panel two histograms and two Gaussian curves, overlap in the panel title', () => {
  const fig = densityFigure([densityPanel('KonIQ-10k', 12.345), densityPanel('SPAQ', 3)], { cols: 2 });
  assert.equal(fig.name, 'fig08-density');
  assert.equal(fig.data.length, 8);
  const hist = fig.data.filter((t) => t.type === 'histogram');
  const curves = fig.data.filter((t) => t.type === 'scatter');
  assert.equal(hist.length, 4);
  assert.equal(curves.length, 4);
  assert.deepEqual(hist.map((t) => t.name), ['clean', 'distorted', 'clean', 'distorted']);
  for (const t of hist) assert.equal(t.type === 'histogram' && t.histnorm, 'probability density');
  // Second panel on its own axes; the legend listed once.
  assert.deepEqual([...new Set(fig.data.map((t) => t.xaxis))], ['x', 'x2']);
  assert.equal(fig.data.filter((t) => t.showlegend).length, 4);
  assert.deepEqual(annotationTexts(fig), ['KonIQ-10k (overlap 12.3%)', 'SPAQ (overlap 3.0%)']);
  assert.equal(axisTitleText(fig, 'xaxis'), 'predicted score');
  assert.equal(axisTitleText(fig, 'xaxis2'), 'predicted score');
  assert.equal(axisTitleText(fig, 'yaxis'), 'density');
  // The fitted curve peaks at the fitted mean with the Gaussian's height.
  const c = curves[0]!;
  assert.ok(c.type === 'scatter');
  const peak = c.y.indexOf(Math.max(...c.y));
  assert.ok(Math.abs(c.x[peak]! - 0.7) < 0.01);
  assert.ok(Math.abs(c.y[peak]! - 1 / (0.05 * Math.sqrt(2 * Math.PI))) < 0.05);
  assert.throws(() => densityFigure([{ ...densityPanel('X', 1), clean: [NaN] }]), /X: clean\[0\] is NaN/);
});

test('densityFigure: rows keep the same pixel gap (axis titles never meet the next panel titles)', () => {
  const gapPx = (n: number, cols: number): number => {
    const fig = densityFigure(Array.from({ length: n }, (_, k) => densityPanel(`D${k}`, k)), { cols });
    const m = fig.layout.margin as { t: number; b: number };
    const plotHeight = fig.size!.height - m.t - m.b;
    const top = (fig.layout.yaxis as { domain: [number, number] }).domain;
    const below = (fig.layout[`yaxis${cols + 1}`] as { domain: [number, number] }).domain;
    return (top[0] - below[1]) * plotHeight;
  };
  for (const [n, cols] of [[4, 2], [6, 2], [8, 3]] as const) assert.ok(Math.abs(gapPx(n, cols) - 110) < 1e-3, `${n} panels in ${cols} columns`);
  const one = densityFigure([densityPanel('A', 1)]);
  const four = densityFigure([1, 2, 3, 4].map((k) => densityPanel(`D${k}`, k)), { cols: 2 });
  assert.ok(four.size!.height > one.size!.height + 240, 'a second row makes the figure taller');
});

test('cropsFigure: SROCC and PLCC against crops, evaluation time on a second y axis', () => {
  const fig = cropsFigure([
    { crops: 20, srocc: 0.9, plcc: 0.91, seconds: 40 },
    { crops: 1, srocc: 0.8, plcc: 0.82, seconds: 2 },
    { crops: 5, srocc: 0.85, plcc: 0.86, seconds: 10 },
  ]);
  assert.equal(fig.name, 'fig06-crops');
  assert.deepEqual(fig.data.map((t) => t.name), ['SROCC', 'PLCC', 'evaluation time (s)']);
  const [srocc, , time] = fig.data as PlotlyTrace[];
  assert.ok(srocc!.type === 'scatter' && time!.type === 'scatter');
  assert.deepEqual(srocc!.x, [1, 5, 20], 'rows sorted by crops');
  assert.deepEqual(srocc!.y, [0.8, 0.85, 0.9]);
  assert.equal(time!.yaxis, 'y2');
  assert.deepEqual(time!.y, [2, 10, 40]);
  assert.equal(axisTitleText(fig, 'xaxis'), 'number of crops');
  assert.equal(axisTitleText(fig, 'yaxis2'), 'evaluation time (s)');
  assert.equal((fig.layout.yaxis2 as { overlaying: string }).overlaying, 'y');
});

test('lambdaFigure: two lines against lambda', () => {
  const fig = lambdaFigure([
    { lambda: 1, srocc: 0.88, plcc: 0.9 },
    { lambda: 0, srocc: 0.87, plcc: 0.89 },
  ]);
  assert.equal(fig.name, 'fig11-lambda');
  assert.deepEqual(fig.data.map((t) => t.name), ['SROCC', 'PLCC']);
  assert.ok(fig.data[1]!.type === 'scatter');
  assert.deepEqual(fig.data[1]!.x, [0, 1]);
  assert.deepEqual(fig.data[1]!.y, [0.89, 0.9]);
  assert.match(axisTitleText(fig, 'xaxis')!, /λ/);
  assert.throws(() => lambdaFigure([]), /no rows/);
});

test('curvesFigure: loss and learning rate on two axes, by step when logged', () => {
  const log = [0, 1, 2, 3].map((i) => ({ step: i * 10, epoch: i, loss: 1 / (i + 1), lr: 1e-4 * Math.cos(i / 6) }));
  const fig = curvesFigure(log);
  assert.deepEqual(fig.data.map((t) => t.name), ['loss', 'learning rate']);
  assert.equal(fig.data[1]!.yaxis, 'y2');
  assert.equal(axisTitleText(fig, 'xaxis'), 'step');
  assert.ok(fig.data[0]!.type === 'scatter');
  assert.deepEqual(fig.data[0]!.x, [0, 10, 20, 30]);
  const byEpoch = curvesFigure(log.map(({ epoch, loss, lr }) => ({ epoch, loss, lr })));
  assert.equal(axisTitleText(byEpoch, 'xaxis'), 'epoch');
});

test('tsne separates two well-separated Gaussian clusters and is deterministic for a seed', () => {
  const rng = new Rng(3);
  const n = 40;
  const dim = 10;
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    features.push(Array.from({ length: dim }, () => label * 8 + rng.normal()));
    labels.push(label);
  }
  const opts = { perplexity: 10, iterations: 400, seed: 5 };
  const a = tsne(features, opts);
  const b = tsne(features, opts);
  assert.deepEqual(a.embedding, b.embedding, 'same seed, same embedding');
  assert.notDeepEqual(tsne(features, { ...opts, seed: 6 }).embedding, a.embedding);
  assert.equal(a.embedding.length, n);
  assert.equal(a.embedding[0]!.length, 2);
  assert.ok(Number.isFinite(a.kl) && a.kl >= 0, `KL ${a.kl}`);
  // Nearest neighbour in the embedding has the same cluster label.
  let agree = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      const d = (a.embedding[i]![0]! - a.embedding[j]![0]!) ** 2 + (a.embedding[i]![1]! - a.embedding[j]![1]!) ** 2;
      if (d < bestD) [best, bestD] = [j, d];
    }
    if (labels[best] === labels[i]) agree++;
  }
  assert.ok(agree / n > 0.95, `nearest-neighbour agreement ${agree / n}`);
  // Small n lowers the perplexity instead of failing; bad rows fail with a clear message.
  assert.equal(tsne(features.slice(0, 7), { iterations: 10 }).perplexity, 2);
  assert.throws(() => tsne([[1, 2], [3]]), /row 1 has 1 features/);
});

test('tsneFigure: markers coloured by quality', () => {
  const points = embeddedPoints([[0, 1], [2, 3], [4, 5]], [0.1, 0.5, 0.9], ['a.png', 'b.png', 'c.png']);
  const fig = tsneFigure(points, 't-SNE of DGIQA features');
  assert.equal(fig.title, 't-SNE of DGIQA features');
  assert.equal(fig.data.length, 1);
  const t = fig.data[0]!;
  assert.ok(t.type === 'scatter');
  assert.equal(t.mode, 'markers');
  assert.deepEqual(t.marker!.color, [0.1, 0.5, 0.9]);
  assert.deepEqual(t.text, ['a.png', 'b.png', 'c.png']);
  assert.equal(axisTitleText(fig, 'xaxis'), 't-SNE 1');
  assert.throws(() => embeddedPoints([[0, 0]], [1, 2]), /1 embedded rows but 2 quality values/);
});

test('pngBase64 writes a PNG whose header pngSize reads back', () => {
  const b64 = smallPng(8, 6);
  assert.deepEqual(pngSize(b64), { width: 8, height: 6 });
  assert.deepEqual(pngSize(`data:image/png;base64,${b64}`), { width: 8, height: 6 });
  assert.deepEqual(pngSize(grayPngBase64([0, 1, 2, 3, 4, 5], 3, 2)), { width: 3, height: 2 });
  assert.throws(() => pngSize(Buffer.from('GIF89a-not-a-png-at-all').toString('base64')), /not a base64 PNG/);
});

test('imageGridFigure and heatmapOverlayFigure: one image per cell, heat maps stretched over the image', () => {
  const img = smallPng(8, 6);
  const grid = imageGridFigure(
    [1, 2, 3, 4, 5].map((k) => ({ title: `image ${k}: 0.${k}`, pngBase64: img })),
    3,
  );
  assert.equal(grid.data.length, 5);
  assert.ok(grid.data.every((t) => t.type === 'image' && t.source.startsWith('data:image/png;base64,')));
  assert.deepEqual(annotationTexts(grid), [1, 2, 3, 4, 5].map((k) => `image ${k}: 0.${k}`));
  assert.equal(grid.data[4]!.xaxis, 'x5');
  // 8x6 pictures: cells 260 x 195, 8 px between columns, 30 px between rows for the captions; the
  // top margin holds the title and the stamp
  const width = 40 + 3 * 260 + 2 * 8;
  assert.deepEqual(grid.size, { width, height: titleTop('Example images', width) + 20 + 2 * 195 + 30 });
  const y1 = (grid.layout.yaxis as { domain: [number, number] }).domain, y4 = (grid.layout.yaxis4 as { domain: [number, number] }).domain;
  assert.ok(Math.abs((y1[0] - y4[1]) * (2 * 195 + 30) - 30) < 1e-3, 'the caption gap is 30 px');

  const heat = [[0, 1], [2, 4], [1, 1]];
  const cam = heatmapOverlayFigure([
    { title: 'image', pngBase64: img },
    { title: 'without depth', pngBase64: img, heat },
    { title: 'with depth', pngBase64: img, heat },
  ]);
  assert.deepEqual(cam.data.map((t) => t.type), ['image', 'image', 'heatmap', 'image', 'heatmap']);
  const h = cam.data[2]!;
  assert.ok(h.type === 'heatmap');
  assert.equal(h.xaxis, 'x2');
  assert.deepEqual(h.z, [[0, 0.25], [0.5, 1], [0.25, 0.25]], 'min-max normalised');
  // 2 columns over 8 pixels, 3 rows over 6: cell edges at the image edges.
  assert.equal(h.dx, 4);
  assert.equal(h.x0! - h.dx! / 2, -0.5);
  assert.equal(h.y0! + h.dy! * 2.5, 5.5);
  assert.equal(h.showscale, true);
  assert.ok(cam.data[4]!.type === 'heatmap' && cam.data[4]!.showscale === false, 'one colour bar');
  assert.throws(() => heatmapOverlayFigure([{ title: 'x', pngBase64: img, heat: [[1, 2], [3]] }]), /heat row 1/);
});

test('tableMarkdown and tableCsv: numbers, missing values, quoting, sources', () => {
  const paper = [
    { model: 'TReS', srocc: 0.846, plcc: 0.877 },
    { model: 'LoDa', srocc: 0.811, plcc: null },
  ];
  const kit = [{ model: 'DGIQA (kit)', srocc: 0.41234, plcc: undefined }];
  const rows = besidePaper(paper, kit, runSource('demo', 'synthetic benchmark, "embedded"'));
  const columns = ['model', { key: 'srocc', label: 'SROCC', digits: 3 }, { key: 'plcc', label: 'PLCC', digits: 3 }, 'source'];
  assert.equal(
    tableMarkdown(rows, columns),
    [
      '| model | SROCC | PLCC | source |',
      '| --- | ---: | ---: | --- |',
      '| TReS | 0.846 | 0.877 | paper |',
      '| LoDa | 0.811 | - | paper |',
      '| DGIQA (kit) | 0.412 | - | this run (profile demo, data: synthetic benchmark, "embedded") |',
      '',
    ].join('\n'),
  );
  assert.equal(
    tableCsv(rows, columns),
    [
      'model,SROCC,PLCC,source',
      'TReS,0.846,0.877,paper',
      'LoDa,0.811,,paper',
      'DGIQA (kit),0.412,,"this run (profile demo, data: synthetic benchmark, ""embedded"")"',
      '',
    ].join('\n'),
  );
  assert.match(tableMarkdown([{ a: 'x|y' }], ['a']), /x\\\|y/);
});

test('figureHtml is self-contained and carries the data; inlineDisplay sends plotly.js once', () => {
  const fig = lambdaFigure([{ lambda: 0.5, srocc: 0.123456, plcc: 0.654321 }], { title: 'a </script> title' });
  const html = figureHtml(fig);
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  assert.ok(html.includes('plotly.js v3'), 'bundle inlined');
  assert.ok(!/<script[^>]+src=/.test(html), 'no external scripts');
  assert.ok(html.includes('0.123456') && html.includes('0.654321'));
  assert.equal(html.match(/<\/script>/g)!.length, 2, 'a title cannot close a script element');
  assert.equal(figureHtml(fig), html, 'deterministic');
  const first = inlineDisplay(fig);
  const second = inlineDisplay(fig);
  assert.ok(first.includes('plotly.js v3') && !second.includes('plotly.js v3'));
  assert.ok(second.includes('Plotly.newPlot("dgiqa-fig11-lambda-2"'));
  assert.ok(inlineDisplay(fig, { bundle: 'always' }).includes('plotly.js v3'));
});

test('writeFigure writes HTML, and PNG and SVG through headless Chromium when present', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-plots-'));
  try {
    const fig = densityFigure([densityPanel('KonIQ-10k', 12.3)]);
    const htmlOnly = await writeFigure(fig, dir, { png: false, svg: false });
    assert.equal(htmlOnly.html, join(dir, 'fig08-density.html'));
    assert.ok((await readFile(htmlOnly.html, 'utf8')).includes('KonIQ-10k (overlap 12.3%)'));

    // Without Chromium the HTML is still written and the note says how to get the images.
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = join(dir, 'no-such-chromium');
    try {
      const none = await writeFigure(fig, dir);
      assert.ok(existsSync(none.html));
      assert.equal(none.png, undefined);
      assert.equal(none.svg, undefined);
      assert.match(none.note ?? '', /no-such-chromium does not exist/);
      assert.match(none.note ?? '', /apt-get install -y chromium/);
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
    const explicit = await withExporter((ex) => ex.write(fig, dir, { svg: false }), join(dir, 'nope'));
    assert.match(explicit.note ?? '', /no Chromium at .*nope; install Chromium/);

    const chromium = await findChromium();
    if (!chromium) {
      console.log('Chromium not found (/usr/bin/chromium, $CHROMIUM_PATH): skipping the PNG/SVG export check');
      t.skip('no Chromium: apt-get install -y chromium, or set CHROMIUM_PATH');
      return;
    }
    const exporter = await new FigureExporter().open();
    try {
      assert.equal(exporter.available, true, exporter.note);
      const start = performance.now();
      const out = await writeFigure(fig, dir, { exporter, width: 640, height: 400 });
      console.log(`exported ${fig.name} (PNG + SVG) with ${chromium} in ${(performance.now() - start).toFixed(0)} ms`);
      const png = await readFile(out.png!);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.equal(png.readUInt32BE(16), 1280, 'PNG at scale 2');
      const svg = await readFile(out.svg!, 'utf8');
      assert.ok(svg.startsWith('<svg'), svg.slice(0, 40));
      assert.ok(svg.includes('KonIQ-10k (overlap 12.3%)'));
      assert.ok(svg.includes('not comparable with the paper'), 'the stamp is drawn on the image (plotly renders the subtitle)');
      const again = await exporter.toImage(fig, 'svg', { width: 640, height: 400 });
      assert.equal(again.toString('utf8'), svg, 'SVG identical on a second export');
      // Pictures survive the export too.
      const cam = heatmapOverlayFigure([{ title: 'cam', pngBase64: smallPng(), heat: [[0, 1], [1, 0]] }]);
      const camSvg = (await exporter.toImage(cam, 'svg')).toString('utf8');
      assert.ok(camSvg.includes('data:image/png;base64,'));
    } finally {
      await exporter.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** Runs fn with DGIQA_PROFILE set to `profile`, then restores it. */
function withProfile<T>(profile: string, fn: () => T): T {
  const saved = process.env.DGIQA_PROFILE;
  process.env.DGIQA_PROFILE = profile;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.DGIQA_PROFILE;
    else process.env.DGIQA_PROFILE = saved;
  }
}

function stampOf(fig: Figure): string | undefined {
  return (fig.layout.title as { subtitle?: { text?: string } }).subtitle?.text;
}

test('every figure carries the stamp on the image: the profile, and "not comparable" for synthetic data', () => {
  const build = (): Figure[] => [
    densityFigure([densityPanel('A', 1)]),
    cropsFigure([{ crops: 1, srocc: 0.5, plcc: 0.6, seconds: 1 }, { crops: 2, srocc: 0.6, plcc: 0.7, seconds: 2 }]),
    lambdaFigure([{ lambda: 0, srocc: 0.5, plcc: 0.6 }, { lambda: 1, srocc: 0.6, plcc: 0.7 }]),
    curvesFigure([{ step: 0, epoch: 0, loss: 1, lr: 1e-3 }, { step: 1, epoch: 0, loss: 0.5, lr: 1e-3 }]),
    tsneFigure(embeddedPoints([[0, 0], [1, 1], [2, 0]], [0.1, 0.5, 0.9]), 't-SNE'),
    imageGridFigure([{ title: 'a', pngBase64: smallPng() }], 1),
    heatmapOverlayFigure([{ title: 'cam', pngBase64: smallPng(), heat: [[0, 1], [1, 0]] }]),
  ];
  for (const fig of withProfile('smoke', build)) {
    assert.equal(stampOf(fig), 'profile smoke · synthetic data, not comparable with the paper', fig.name);
  }
  for (const fig of withProfile('demo', build)) assert.match(stampOf(fig) ?? '', /^profile demo · synthetic data, not comparable/, fig.name);
  for (const fig of withProfile('paper', build)) assert.equal(stampOf(fig), 'profile paper', `${fig.name}: real data, no synthetic warning`);
  assert.equal(stampText({ profile: 'x', synthetic: true }), 'profile x · synthetic data, not comparable with the paper');
});

test('titles wrap to the figure width and the top margin holds them with the stamp (Fig. 2 was clipped)', () => {
  const title = 'Predicted scores of clean vs distorted images, all natural distortions of a dataset pooled (profile demo)';
  const fig = densityFigure([densityPanel('synth-B', 40)], { name: 'fig02-density', title });
  const width = fig.size!.width;
  const lines = (fig.layout.title as { text: string }).text.split('<br>');
  assert.ok(lines.length >= 2, `a ${title.length}-character title over a ${width} px figure wraps`);
  assert.equal(lines.join(' '), title, 'wrapping keeps every word');
  for (const l of lines) assert.ok(l.length * 0.55 * 17 <= width - 40 + 1e-9, `"${l}" fits ${width} px`);
  const m = fig.layout.margin as { t: number };
  assert.equal(m.t, titleTop(title, width));
  assert.ok(m.t > 80, 'the top margin grew for the second line');
  // The panels keep their pixel height: the figure grew instead.
  const plotHeight = fig.size!.height - m.t - (fig.layout.margin as { b: number }).b;
  assert.equal(plotHeight, 240);
  assert.deepEqual(wrapTitle('short title', 1000), ['short title']);
  assert.deepEqual(wrapTitle('aaa bbb ccc', 10), ['aaa bbb ccc'], 'at least 20 characters a line');
});

test('tsneFigure: the axes follow the bulk of the points; far outliers are drawn on the edge, and the figure says so', () => {
  const rng = new Rng(3);
  const bulk = Array.from({ length: 100 }, () => [rng.normal(), rng.normal()]);
  const emb = [...bulk, [400, 0], [0, -300]];
  const fig = tsneFigure(embeddedPoints(emb, emb.map((_, i) => i / emb.length)), 't-SNE');
  const xr = (fig.layout.xaxis as { range: [number, number] }).range;
  const yr = (fig.layout.yaxis as { range: [number, number] }).range;
  assert.ok(xr[1] < 10 && yr[0] > -10, `axes ${xr} x ${yr} are not stretched by the two outliers`);
  const t = fig.data[0]!;
  assert.ok(t.type === 'scatter');
  const symbols = t.marker!.symbol as string[];
  assert.equal(symbols.filter((s) => s === 'triangle-up').length, 2);
  assert.ok(Math.max(...t.x) <= xr[1] && Math.min(...t.y) >= yr[0], 'the outliers sit on the edge');
  assert.match(annotationTexts(fig).join(' '), /2 of 102 points lie beyond the axes/);
  // Without outliers the window is the data's own range.
  assert.deepEqual(robustRange([0, 1, 2, 3]), [0, 3]);
  const plain = tsneFigure(embeddedPoints([[0, 1], [2, 3], [4, 5]], [0.1, 0.5, 0.9]), 't');
  assert.deepEqual(annotationTexts(plain), []);
});

test('Figs. 9 and 16: distinct titles, every level of a scene (or levels up to the worst); Figs. 5 and 15 distinct too', () => {
  assert.notEqual(EXAMPLE_TITLES.fig09, EXAMPLE_TITLES.fig16);
  assert.match(EXAMPLE_TITLES.fig09, /^Fig\. 9:/);
  assert.match(EXAMPLE_TITLES.fig16, /^Fig\. 16:/);
  assert.notEqual(GRADCAM_TITLES.fig05, GRADCAM_TITLES.fig15);
  const item = (image: string, level?: number): BenchItem => ({ image, relImage: image, depth: `${image}.depth.png`, score01: 0.5, ...(level !== undefined ? { level } : {}) });
  const pairs = (subset: string, scenes: string[], levels: number[]): PairItem[] =>
    scenes.flatMap((s) => levels.map((l) => ({ subset, clean: item(`${s}.png`), distorted: item(`${s}-${subset}-L${l}.png`, l) })));
  const synthetic = [...pairs('haze', ['a', 'b'], [5, 1, 3, 2, 4]), ...pairs('low_light', ['a', 'b'], [1, 2, 3, 4, 5])];
  const fig9 = exampleRows(synthetic, 0, 6);
  assert.deepEqual(fig9.map((r) => r.subset), ['haze', 'low_light']);
  assert.deepEqual(fig9[0]!.items.map((c) => c.level ?? 'clean'), ['clean', 1, 2, 3, 4, 5], 'the clean image, then every level in order');
  assert.ok(fig9[0]!.items.every((c) => c.item.image.startsWith('a')), 'one scene: its clean image and its views');
  const fig16 = exampleRows(synthetic, 1, 6);
  assert.ok(fig16[0]!.items.every((c) => c.item.image.startsWith('b')), 'Fig. 16 shows another scene');
  const narrow = exampleRows(synthetic, 0, 4);
  assert.deepEqual(narrow[0]!.items.map((c) => c.level ?? 'clean'), ['clean', 1, 3, 5], 'fewer cells: levels spread up to the worst');
  // Real sets have one distorted view per clean image: the row fills with further scenes.
  const real = exampleRows(['a', 'b', 'c', 'd'].map((s) => ({ subset: 'lol', clean: item(`${s}.png`), distorted: item(`${s}-lol.png`) })), 0, 6);
  assert.equal(real[0]!.items.filter((c) => c.kind === 'clean').length, 3);
});
