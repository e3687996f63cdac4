// Bad data: the check of a dataset's files before a run, the report of what was left out, and the
// switch (`--skip-bad`, DGIQA_SKIP_BAD) between leaving bad inputs out and stopping at the first.
export { CHECK_DEFAULTS, checkFiles, depthAligned } from './files.js';
export type { CheckItem, CheckOptions, CheckResult } from './files.js';
export { BAD_REPORT_FILE, appendBadInputs, badSummary, writeBadReport } from './report.js';
export type { BadEntry, BadReport, BadStage } from './report.js';
export { SKIP_BAD_ENV, epochSkipOptions, setSkipBad, skipBadDefault } from './policy.js';
export { VerdictCache, forgetVerdicts } from './cache.js';
export { badMessage } from '../records.js';
export type { BadInput } from '../records.js';
