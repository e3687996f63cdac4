// Picture figures: galleries of images with captions (Figs. 9/16: example images with predicted
// scores; Figs. 12/13: distorted images beside their depth maps) and Grad-CAM overlays (Figs. 5/15:
// a semi-transparent heat map over the image, with and without depth). Images travel as base64
// PNG inside the figure, so the HTML and SVG stay self-contained.
import { baseLayout, type Figure, type PlotlyTrace } from './figure.js';
import { cellTitle, titledPixelGrid, type GridCell } from './grid.js';

export interface CaptionedImage {
  title: string;
  /** PNG bytes in base64, with or without a `data:image/png;base64,` prefix. */
  pngBase64: string;
}

export interface OverlayPanel extends CaptionedImage {
  /** Rows of the heat map (e.g. a 7x7 Grad-CAM), stretched over the whole image; none: the plain image. */
  heat?: number[][];
}

export interface ImageFigureOptions {
  name?: string;
  title?: string;
  /** Pixel size of one cell in the exported image. */
  cellSize?: number;
}

export interface OverlayFigureOptions extends ImageFigureOptions {
  cols?: number;
  /** Opacity of the heat map over the image. */
  opacity?: number;
  colorscale?: string;
  /** Scale each map to [0, 1] by its own min and max, the usual Grad-CAM display (default true). */
  normalize?: boolean;
}

const PNG_PREFIX = 'data:image/png;base64,';
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function imageGridFigure(images: CaptionedImage[], cols: number, opts: ImageFigureOptions = {}): Figure {
  if (images.length === 0) throw new Error('imageGridFigure: no images');
  const grid = pictureGrid(images, cols, opts.title ?? 'Example images', opts.cellSize);
  const data: PlotlyTrace[] = images.map((img, k) => imageTrace(img, grid.cells[k]!, 'imageGridFigure'));
  return pictureFigure(opts.name ?? 'fig09-examples', opts.title ?? 'Example images', data, grid, images);
}

export function heatmapOverlayFigure(panels: OverlayPanel[], opts: OverlayFigureOptions = {}): Figure {
  if (panels.length === 0) throw new Error('heatmapOverlayFigure: no panels');
  const cols = opts.cols ?? Math.min(panels.length, 3);
  const grid = pictureGrid(panels, cols, opts.title ?? 'Grad-CAM', opts.cellSize);
  const cells = grid.cells;
  const data: PlotlyTrace[] = [];
  let scaleShown = false;
  panels.forEach((p, k) => {
    const cell = cells[k]!;
    data.push(imageTrace(p, cell, 'heatmapOverlayFigure'));
    if (!p.heat) return;
    const where = `heatmapOverlayFigure: ${p.title}`;
    const z = opts.normalize === false ? checkHeat(p.heat, where) : minMax(checkHeat(p.heat, where));
    const { width, height } = pngSize(p.pngBase64, where);
    // Plotly centres pixel i of the image at x = i and heat-map cell j at x0 + j dx: stretch the
    // cells so their edges meet the image's edges at -0.5 and width - 0.5.
    const dx = width / z[0]!.length;
    const dy = height / z.length;
    data.push({
      type: 'heatmap',
      name: `${p.title} (heat)`,
      z,
      x0: -0.5 + dx / 2,
      dx,
      y0: -0.5 + dy / 2,
      dy,
      zmin: 0,
      zmax: opts.normalize === false ? Math.max(...z.flat()) : 1,
      colorscale: opts.colorscale ?? 'Jet',
      opacity: opts.opacity ?? 0.45,
      showscale: !scaleShown,
      colorbar: { title: { text: 'attention' }, len: 0.6 },
      xaxis: cell.x,
      yaxis: cell.y,
    });
    scaleShown = true;
  });
  return pictureFigure(opts.name ?? 'fig05-gradcam', opts.title ?? 'Grad-CAM', data, grid, panels);
}

/** Width and height of a PNG from its IHDR chunk. */
export function pngSize(pngBase64: string, where = 'pngSize'): { width: number; height: number } {
  const head = Buffer.from(stripPrefix(pngBase64).slice(0, 32), 'base64');
  if (head.length < 24 || PNG_SIGNATURE.some((b, i) => head[i] !== b) || head.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error(`${where}: the image is not a base64 PNG`);
  }
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

function imageTrace(img: CaptionedImage, cell: GridCell, where: string): PlotlyTrace {
  pngSize(img.pngBase64, `${where}: ${img.title}`); // fail early on a non-PNG
  return {
    type: 'image',
    name: img.title,
    source: PNG_PREFIX + stripPrefix(img.pngBase64),
    hoverinfo: 'skip',
    xaxis: cell.x,
    yaxis: cell.y,
  };
}

const PICTURE_MARGIN = { l: 20, r: 20, t: 80, b: 20 };

/** Cells as tall as the tallest picture needs, 30 px between rows for the captions, the top margin sized for the title. */
function pictureGrid(images: CaptionedImage[], cols: number, title: string, cellSize = 260): { cells: GridCell[]; size: { width: number; height: number }; margin: typeof PICTURE_MARGIN } {
  const aspect = Math.max(...images.map((img) => {
    const { width, height } = pngSize(img.pngBase64);
    return height / width;
  }));
  return titledPixelGrid(images.length, cols, { cellWidth: cellSize, cellHeight: Math.round(cellSize * aspect), xGap: 8, yGap: 30, margin: PICTURE_MARGIN }, title);
}

function pictureFigure(
  name: string,
  title: string,
  data: PlotlyTrace[],
  grid: { cells: GridCell[]; size: { width: number; height: number }; margin: typeof PICTURE_MARGIN },
  images: CaptionedImage[],
): Figure {
  const hidden = { showticklabels: false, showgrid: false, zeroline: false, ticks: '' };
  const layout = baseLayout(title, { showlegend: false, margin: grid.margin }, { width: grid.size.width });
  grid.cells.forEach((cell) => {
    layout[cell.xKey] = { ...hidden, domain: cell.xDomain, anchor: cell.y };
    // Square pixels: the y axis follows the x axis' scale (image traces reverse y themselves).
    layout[cell.yKey] = { ...hidden, domain: cell.yDomain, anchor: cell.x, scaleanchor: cell.x };
  });
  layout.annotations = grid.cells.map((cell, k) => cellTitle(cell, images[k]!.title));
  return { name, title, data, layout, size: grid.size };
}

function stripPrefix(b64: string): string {
  const comma = b64.startsWith('data:') ? b64.indexOf(',') : -1;
  return comma >= 0 ? b64.slice(comma + 1) : b64;
}

function checkHeat(heat: number[][], where: string): number[][] {
  const w = heat[0]?.length ?? 0;
  if (heat.length === 0 || w === 0) throw new Error(`${where}: empty heat map`);
  heat.forEach((row, i) => {
    if (row.length !== w) throw new Error(`${where}: heat row ${i} has ${row.length} values, row 0 has ${w}`);
    row.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new Error(`${where}: heat[${i}][${j}] is ${String(v)}, not a finite number`);
    });
  });
  return heat;
}

function minMax(heat: number[][]): number[][] {
  const flat = heat.flat();
  const lo = Math.min(...flat);
  const span = Math.max(...flat) - lo;
  // A flat map carries no localisation: show it as all zero rather than divide by zero.
  return heat.map((row) => row.map((v) => (span > 0 ? (v - lo) / span : 0)));
}
