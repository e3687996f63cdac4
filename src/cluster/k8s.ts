// The plan as Kubernetes Indexed Jobs (batch/v1): one Job per stage, its completion index plus the
// stage's first index being the entry's index in plan.json; the plan itself in a ConfigMap; results,
// data and the generated benchmark on one shared volume (a PersistentVolumeClaim that every node can
// mount, ReadWriteMany). Kubernetes has no afterok between Jobs, so apply.sh waits for the training
// Job to complete before it applies the evaluations. The manifests are JSON (kubectl reads it as it
// reads YAML); test/cluster.test.ts validates them against the pinned schema subset in
// test/fixtures/k8s/.
import { join } from 'node:path';
import { ENV } from '../settings/index.js';
import type { SettingName } from '../settings/index.js';
import { PLAN_FILE, stageEntries } from './planFile.js';
import type { ClusterPlan, Stage } from './planFile.js';
import { shellQuote } from './slurm.js';

export interface K8sOptions {
  /** the container image with the kit built in (its launcher on PATH, or see `launcher`) */
  image: string;
  /** the PersistentVolumeClaim of the shared volume */
  claim: string;
  /** where the volume is mounted in the containers */
  mount: string;
  /** the command that starts the kit in the container (default `dgiqa`) */
  launcher: string;
  namespace?: string;
  /** at most this many pods of a stage at once (the Job's parallelism) */
  maxParallel?: number;
  /** retries of one index before it counts as failed (backoffLimitPerIndex) */
  retries?: number;
}

/** Where the ConfigMap with plan.json is mounted. */
const PLAN_MOUNT = '/etc/dgiqa';
const GPU_RESOURCE = 'nvidia.com/gpu';
/** a finished Job is kept a week for `kubectl logs`, then removed */
const KEEP_FINISHED_S = 7 * 24 * 3600;

/** The settings of the tasks: the shared folders under the volume's mount, the other choices as given. */
export function k8sEnv(o: Pick<K8sOptions, 'mount'>, given: Partial<Record<SettingName, string>>): Partial<Record<SettingName, string>> {
  return {
    ...given,
    [ENV.DGIQA_RESULTS]: join(o.mount, 'results'),
    [ENV.DGIQA_SYNTH]: join(o.mount, 'synth'),
    [ENV.DGIQA_DATA]: join(o.mount, 'datasets'),
    [ENV.DGIQA_DEPTH]: join(o.mount, 'depth'),
    [ENV.DGIQA_CACHE]: join(o.mount, 'cache'),
  };
}

/** A DNS-1123 name (lower case, digits, '-', at most 63). */
const name = (...parts: string[]): string => parts.join('-').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');

const labels = (plan: ClusterPlan, stage?: Stage): Record<string, string> => ({
  'app.kubernetes.io/name': 'dgiqa',
  'app.kubernetes.io/component': stage ?? 'plan',
  'dgiqa/profile': plan.profile,
});

const meta = (plan: ClusterPlan, n: string, o: K8sOptions, stage?: Stage): Record<string, unknown> => ({ name: n, ...(o.namespace ? { namespace: o.namespace } : {}), labels: labels(plan, stage) });

function job(plan: ClusterPlan, stage: Stage, o: K8sOptions): Record<string, unknown> {
  const entries = stageEntries(plan, stage);
  const first = entries[0]!.index;
  const gpus = Math.max(...entries.map((e) => e.resources.gpus));
  const cpus = Math.max(...entries.map((e) => e.resources.cpus));
  const memGb = Math.max(...entries.map((e) => e.resources.memGb));
  const minutes = Math.max(...entries.map((e) => e.resources.minutes));
  const command = `exec ${o.launcher} job ${shellQuote(join(PLAN_MOUNT, PLAN_FILE))} --index $((${first} + JOB_COMPLETION_INDEX))`;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta(plan, name('dgiqa', plan.profile, stage), o, stage),
    spec: {
      completionMode: 'Indexed',
      completions: entries.length,
      parallelism: Math.min(entries.length, o.maxParallel ?? entries.length),
      backoffLimitPerIndex: o.retries ?? 1,
      ttlSecondsAfterFinished: KEEP_FINISHED_S,
      template: {
        metadata: { labels: labels(plan, stage) },
        spec: {
          restartPolicy: 'Never',
          activeDeadlineSeconds: minutes * 60,
          // SIGTERM asks the training to save; this is the time it gets before SIGKILL
          terminationGracePeriodSeconds: 300,
          containers: [{
            name: 'dgiqa',
            image: o.image,
            command: ['sh', '-c', command],
            env: Object.entries(plan.env).map(([k, v]) => ({ name: k, value: v })),
            resources: {
              requests: { cpu: String(cpus), memory: `${memGb}Gi` },
              // an extended resource (the GPU) is requested through its limit
              limits: { memory: `${memGb}Gi`, ...(gpus > 0 ? { [GPU_RESOURCE]: String(gpus) } : {}) },
            },
            volumeMounts: [
              { name: 'shared', mountPath: o.mount },
              { name: 'plan', mountPath: PLAN_MOUNT, readOnly: true },
            ],
          }],
          volumes: [
            { name: 'shared', persistentVolumeClaim: { claimName: o.claim } },
            { name: 'plan', configMap: { name: name('dgiqa', plan.profile, 'plan') } },
          ],
        },
      },
    },
  };
}

const STAGE_FILE: Record<Stage, string> = { train: '1-train-job.json', evaluate: '2-evaluate-job.json' };
const CONFIGMAP_FILE = '0-plan-configmap.json';

/** The files of the Kubernetes form of a plan, by name: plan.json, the ConfigMap, a Job per stage, apply.sh. */
export function k8sFiles(plan: ClusterPlan, o: K8sOptions): Record<string, string> {
  const text = JSON.stringify(plan, null, 1) + '\n';
  const json = (v: unknown): string => JSON.stringify(v, null, 1) + '\n';
  const stages = (['train', 'evaluate'] as const).filter((s) => stageEntries(plan, s).length > 0);
  const files: Record<string, string> = {
    [PLAN_FILE]: text,
    [CONFIGMAP_FILE]: json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(plan, name('dgiqa', plan.profile, 'plan'), o), data: { [PLAN_FILE]: text } }),
  };
  for (const s of stages) files[STAGE_FILE[s]] = json(job(plan, s, o));
  const ns = o.namespace ? ` -n ${shellQuote(o.namespace)}` : '';
  const apply = [
    '#!/usr/bin/env bash',
    `# Applies the ${plan.profile} plan: the ConfigMap and the training Job, then, once every training`,
    '# has succeeded, the evaluation Job (Kubernetes has no afterok between Jobs). Progress: kubectl get',
    `# jobs${ns}; dgiqa status on a machine that mounts the volume (${o.mount}).`,
    'set -euo pipefail',
    'cd "$(dirname "$0")"',
    `kubectl apply${ns} -f ${CONFIGMAP_FILE}`,
  ];
  if (stages.includes('train')) {
    apply.push(`kubectl apply${ns} -f ${STAGE_FILE.train}`);
    if (stages.includes('evaluate')) apply.push(`kubectl wait${ns} --for=condition=complete --timeout=-1s job/${name('dgiqa', plan.profile, 'train')}`);
  }
  if (stages.includes('evaluate')) apply.push(`kubectl apply${ns} -f ${STAGE_FILE.evaluate}`);
  apply.push('');
  files['apply.sh'] = apply.join('\n');
  return files;
}
