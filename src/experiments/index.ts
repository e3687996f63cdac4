// The paper's experiments as library calls: what the notebooks and `dgiqa protocol|cross|reproduce` run.
export { PROFILES, PROFILE_NAMES, profileFrom } from './profiles.js';
export type { Profile, ProfileName } from './profiles.js';
export { paths, KIT_ROOT } from './paths.js';
export { openBenchmark, openPairs, ensureSynth } from './datasets.js';
export type { BenchItem, Benchmark, PairItem } from './datasets.js';
export { readResult, writeResult, resultPath } from './results.js';
export type { ResultHeader } from './results.js';
export { trainAndTest, testModel, loadRunModel, runModelConfig, pretrainedFor, bestEpoch } from './run.js';
export type { RunSpec, RunResult } from './run.js';
export { trainAndTestAll, trainingParallelism } from './parallel.js';
export { runProtocol, runScratch, scratchSpecs, runCross, runCrossAll, runAblations, runLambdaSweep, splitsFor, paperParams, VARIANTS, FULL_CFG, protocolSpecs, ablationSpecs, lambdaSpecs, crossSpecs } from './protocol.js';
export type { ProtocolSummary, AblationRow, AblationRun, LambdaRow } from './protocol.js';
export { runCropsSweep, runDensity, runTsne, gradCam, gradCamFor, referenceModel } from './analysis.js';
export type { CropsRow, DensityPanel } from './analysis.js';
export { runFullReference } from './fullReference.js';
export { coursePlan, trainCourse } from './course.js';
export type { CoursePlan, CourseTrainings } from './course.js';
export type { FrRow } from './fullReference.js';
