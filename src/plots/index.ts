// Public API of the figures: builders that turn saved results into plotly.js figures, t-SNE, the
// paper's tables as Markdown/CSV, and writers to HTML, PNG and SVG.
export type { Figure, PlotlyTrace, ScatterTrace, ErrorBars, HistogramTrace, ImageTrace, HeatmapTrace, TraceBase } from './figure.js';
export { COLORS, BOTTOM_LEGEND, assertFinite, axisTitle, baseLayout, currentStamp, stampText, wrapTitle, titleTop } from './figure.js';
export type { FigureStamp, LayoutOptions } from './figure.js';
export { densityFigure, linspace } from './density.js';
export type { DensityPanel, DensityFigureOptions, FittedGaussians } from './density.js';
export { cropsFigure, lambdaFigure } from './sweeps.js';
export type { CropsRow, LambdaRow, SweepFigureOptions } from './sweeps.js';
export { curvesFigure } from './curves.js';
export type { TrainLogRow, CurvesFigureOptions } from './curves.js';
export { tsne } from './tsne.js';
export type { TsneOptions, TsneResult } from './tsne.js';
export { tsneFigure, embeddedPoints, robustRange } from './embedding.js';
export type { EmbeddedPoint, TsneFigureOptions } from './embedding.js';
export { imageGridFigure, heatmapOverlayFigure, pngSize } from './images.js';
export type { CaptionedImage, OverlayPanel, ImageFigureOptions, OverlayFigureOptions } from './images.js';
export { tableMarkdown, tableCsv, besidePaper, runSource, writeTable, MISSING } from './tables.js';
export type { Cell, TableRow, TableColumn } from './tables.js';
export { encodePng, pngBase64, grayPngBase64 } from './png.js';
export type { PixelImage } from './png.js';
export { FIGURE_ATTRIBUTE, figureHtml, inlineDisplay, plotlyBundle } from './html.js';
export type { InlineOptions } from './html.js';
export {
  FigureExporter,
  withExporter,
  writeFigure,
  writeFigureHtml,
  findChromium,
  CHROMIUM_ARGS,
  CHROMIUM_HINT,
  DEFAULT_SIZE,
} from './export.js';
export type { ExportOptions, WrittenFigure } from './export.js';
export { gateFigure, receptiveField, receptiveFieldFigure } from './inside.js';
export type { GateRow, FieldPanel } from './inside.js';
export { predictionScatterFigure } from './scatter.js';
export type { PredictionPoint, ScatterFigureOptions } from './scatter.js';
