// Public API of the course as readers get it without running anything: executed notebooks with a
// static PNG for every figure (addFigurePngs, run by `dgiqa reproduce`) and a static HTML site of
// the course built from them (buildSite, `dgiqa site`).
export { addFigurePngs, figureName, joinText, readNotebook, relinkMarkdown, writeNotebook } from './notebook.js';
export type { FigurePngsResult, ReaderCopyOptions, MultilineString, Notebook, NotebookCell, NotebookOutput } from './notebook.js';
export { buildSite } from './build.js';
export type { BuildSiteOptions, BuiltSite } from './build.js';
export { escapeHtml, notebookTitle, renderMarkdown, renderNotebook, renderOutput, stripAnsi } from './render.js';
export type { RenderContext } from './render.js';
