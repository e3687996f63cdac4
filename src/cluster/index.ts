// Running the course's plan on a cluster: the plan as a file (stages, indices, requests, settings),
// Slurm array jobs and Kubernetes Indexed Jobs made from it, one entry run as a task, and the
// status of every entry read from the shared results folder.
export { PLAN_FILE, PLAN_FORMAT, STAGES, applyPlanEnv, clusterPlan, currentEnv, planFileOf, planProfile, readClusterPlan, resultFileOf, resultsRoot, stageEntries, stateFileOf } from './planFile.js';
export type { ClusterEntry, ClusterPlan, PlanOptions, Stage } from './planFile.js';
export { RESOURCE_DEFAULTS, entryResources, slurmTime, usesGpu } from './resources.js';
export type { ResourceOptions, Resources } from './resources.js';
export { arrayRanges, readExtras, shellQuote, slurmFiles } from './slurm.js';
export type { SlurmOptions } from './slurm.js';
export { k8sEnv, k8sFiles } from './k8s.js';
export type { K8sOptions } from './k8s.js';
export { entryUnit } from './resolve.js';
export type { EntryUnit } from './resolve.js';
export { LAST_LINES, runPlanEntry } from './job.js';
export type { JobOutcome, JobState } from './job.js';
export { planStatus, statusCounts } from './status.js';
export type { EntryState, EntryStatus } from './status.js';
