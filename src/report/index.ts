// The course's report layer: the paper's tables with the kit's rows beside them, the pieces each
// notebook shows (architecture walk, galleries, density panels, examples, Grad-CAM), and
// figures/REPORT.md. Notebooks reach it as `report` from 'dgiqa'; `dgiqa reproduce` uses it too.
export { NOTEBOOKS, COURSE_OUTPUTS, outputFiles } from './course.js';
export type { CourseNotebook, CourseOutput } from './course.js';
export {
  PAPER_DIR, PAPER_FILES, DATASET_LABELS, PAPER_TCB_SAVING_PCT, CI_LEVEL_PCT, datasetLabel, isEmbedded, kitSource, readPaperTable, tcbSavingPct,
  table1, table2, table3, table4, table5, table6,
  withInterval, differenceText, pText, significanceText, intervalOf, ablationSummaryFile, checkAblationRows, isFullModel,
} from './paperTables.js';
export { depthGuidance, depthGuidanceTable, depthGuidanceFindings, ablationFindings, lambdaFindings, distortionNames } from './ablations.js';
export type { DepthGuidanceRow, DistortionGroup } from './ablations.js';
export type { CourseTable, PaperTableNumber, DatasetMetrics, DatasetRow, ProtocolRow, CrossRow, AblationInput } from './paperTables.js';
export {
  tableDocument, tableDisplay, writeCourseTable, missingOutputs, scanOutputs, reportMarkdown, writeReport, usesEmbeddedBenchmark, formatSeconds,
} from './report.js';
export type { NotebookRun, ReportInput, OutputGroup, TrainingsRun } from './report.js';
export { ENVIRONMENT_FILE, writeEnvironment, profilesTable, pathsTable, measureMatmul } from './environment.js';
export { PAPER_PARAMS, architectureWalk, architectureTable, parametersTable, paramsByPart, partOf, tcbSaving, countParams } from './model.js';
export type { BlockRow, TcbSaving } from './model.js';
export { THUMBNAIL, thumbnail, datasetInventory, inventoryTable, datasetRows, distortionsTable, distortionGallery } from './data.js';
export type { InventoryRow, GalleryOptions } from './data.js';
export {
  dataLabel, protocolSplitSpec, trainSplitZero, curveRows, epochTable, configTable, metricsTable,
  selectionRows, selectionFigure, lossTermRows, lossTermsFigure, startFigure, startTable, predictionScatter,
} from './training.js';
export type { EpochRow, StartRun } from './training.js';
export { densityByDataset, densityBySubset, densityTable, runExamples, examplesFigure, exampleRows, EXAMPLE_TITLES } from './natural.js';
export type { ExampleImage } from './natural.js';
export { WITHOUT_DEPTH_VARIANT, GRADCAM_TITLES, cropPng, shrinkHeat, runGradCam, gradCamFigure, gradCamFile } from './explain.js';
export type { GradCamPanel } from './explain.js';
export { COURSE_RUN_FILE, courseRunRecord, writeCourseRun, readmeBlocks, fillBlocks, blocksIn, updateReadme } from './readme.js';
export type { CourseRunRecord } from './readme.js';
export { insideBatch, insideTensors, insideModel, tapsTable, tcbGateFigure, attentionFigure, dilatedFieldFigure } from './inside.js';
export type { InsideBatch } from './inside.js';
