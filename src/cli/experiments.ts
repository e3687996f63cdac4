// `dgiqa train | eval | protocol | cross`: the paper's protocol from the command line, each with
// --profile smoke|demo|paper (default DGIQA_PROFILE, else demo), writing results under results/.
// A dataset is checked before any training (see experiments/datasets.ts): the first bad input stops
// the command with one line naming the file; with --skip-bad, bad inputs are left out and listed in
// bad-inputs.json in the command's output folder, with a one-line summary on stderr.
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { initBackend } from '../backend/index.js';
import { applySplit } from '../data/splits.js';
import { computeMetrics, predictRecords } from '../eval/index.js';
import type { Engine } from '../eval/index.js';
import { Dgiqa, configFrom, resolveConfig } from '../model/index.js';
import { ENGINE_USAGE, chooseEngine, engineLine } from './engine.js';
import { jsonObject } from './args.js';
import { loadModel, loadPretrainedBackbones } from '../weights/index.js';
import { backboneFeatures, probeReport } from '../pretrain/index.js';
import type { ProbeRow } from '../pretrain/index.js';
import { compareRecipes, defaultRecipeSplits, openBenchmark, pretrainedFor, profileFrom, resultPath, runCross, runModelConfig, runProtocol, splitsFor, trainAndTest } from '../experiments/index.js';
import type { Interval, PairedComparison } from '../eval/index.js';
import type { Benchmark, Profile } from '../experiments/index.js';
import { badSummary, setSkipBad, skipBadDefault, writeBadReport } from '../data/check/index.js';
import { ENV } from '../settings/index.js';

const common = { profile: { type: 'string' }, help: { type: 'boolean', default: false }, 'skip-bad': { type: 'boolean', default: false } } as const;
/** for the commands that train: the paper profile refuses random backbones without it (experiments/run.ts) */
const scratchOption = { 'from-scratch': { type: 'boolean', default: false } } as const;

/** --from-scratch: through the environment, so trainings in worker threads and notebook kernels start alike. */
function applyFromScratch(on: boolean | undefined): void {
  if (on) process.env[ENV.DGIQA_FROM_SCRATCH] = '1';
}

const SKIP_BAD_USAGE = '[--skip-bad]  (--skip-bad: leave out bad images, depth maps and label rows; list them in bad-inputs.json)';

async function start(profileName: string | undefined, skipBad: boolean, engineFlag?: string): Promise<{ profile: Profile; engine: Engine }> {
  // through the environment, so that trainings in worker threads skip alike (DGIQA_SKIP_BAD=1 works too)
  if (skipBad) setSkipBad(true);
  const profile = profileFrom(profileName);
  const info = await initBackend();
  const engine = engineFlag === undefined ? 'tfjs' : await chooseEngine(engineFlag, (l) => process.stderr.write(l + '\n'));
  process.stderr.write(`${engineFlag === undefined ? info.message : engineLine(engine, info)}\nprofile: ${profile.name}\n`);
  return { profile, engine };
}

function intArg(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

// the probe's defaults: 2 crops keep a 720-image set near half a minute on the demo model; alpha 10
// ranked best of 1, 10 and 100 for the change backbone on synth-A split 2 (a first probe on half of
// its training images)
const PROBE_CROPS = 2;
const PROBE_ALPHA = 10;

const print = (v: unknown): void => void process.stdout.write(JSON.stringify(v) + '\n');

/** With skipping on: writes what the benchmarks left out to `dir`/bad-inputs.json, and one line on stderr. */
function reportBad(dir: string, label: string, benchmarks: Benchmark[]): void {
  if (!skipBadDefault()) return;
  const inputs = benchmarks.flatMap((b) => b.bad);
  const path = writeBadReport(dir, label, inputs);
  process.stderr.write(`${badSummary(label, inputs, path)}\n`);
}

/** dgiqa train --dataset D [--split K] [--resume]: train on split K's train part, test on its test part. */
export async function trainCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...common, ...scratchOption, dataset: { type: 'string' }, split: { type: 'string' }, resume: { type: 'boolean', default: false }, lambda: { type: 'string' } }, strict: true });
  if (values.help || !values.dataset) {
    process.stdout.write(`usage: dgiqa train --dataset ID [--split K] [--lambda L] [--resume] [--profile smoke|demo|paper] [--from-scratch] ${SKIP_BAD_USAGE}\n`);
    return values.help ? 0 : 1;
  }
  applyFromScratch(values['from-scratch']);
  const { profile } = await start(values.profile, values['skip-bad']);
  pretrainedFor(profile); // refuses now, before any dataset is read, what the first training would
  const b = await openBenchmark(values.dataset, profile);
  const k = intArg(values.split, 'split', 0);
  const splits = await splitsFor(profile, b, Math.max(profile.splits, k + 1));
  const parts = applySplit(b.items, splits[k]);
  const lambda = values.lambda === undefined ? undefined : Number(values.lambda);
  if (lambda !== undefined && !(lambda >= 0)) throw new Error(`--lambda must be a number >= 0, got "${values.lambda}"`);
  const dir = resultPath(profile, 'train', values.dataset, `split-${String(k).padStart(2, '0')}${lambda === undefined ? '' : `-lambda-${lambda}`}`);
  reportBad(dir, b.id, [b]);
  const r = await trainAndTest({ profile, dir, train: [...parts.train, ...parts.val], test: parts.test, label: `${values.dataset} split ${k}`, data: b.id, seed: k, resume: values.resume, ...(lambda === undefined ? {} : { trainOverrides: { lambda } }) });
  print({ dir, split: k, ...r.metrics, params: r.params, trainSeconds: r.trainSeconds });
  return 0;
}

/** dgiqa eval --weights W --dataset D [--split K | --all] [--crops N] [--seed S]: multi-crop metrics of a checkpoint. */
export async function evalCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...common, weights: { type: 'string' }, dataset: { type: 'string' }, split: { type: 'string' }, all: { type: 'boolean', default: false }, crops: { type: 'string' }, seed: { type: 'string' }, config: { type: 'string' }, engine: { type: 'string', default: 'auto' } }, strict: true });
  if (values.help || !values.weights || !values.dataset) {
    process.stdout.write(`usage: dgiqa eval --weights W --dataset ID [--split K | --all] [--crops N] [--seed S] [--config PRESET] [--engine auto|onnx|tfjs] [--profile P] ${SKIP_BAD_USAGE}\n  ${ENGINE_USAGE}\n`);
    return values.help ? 0 : 1;
  }
  const { profile, engine } = await start(values.profile, values['skip-bad'], values.engine);
  const { model } = await loadModel(values.weights, values.config ? configFrom(values.config) : undefined);
  const b = await openBenchmark(values.dataset, profile);
  reportBad(resultPath(profile, 'eval', values.dataset), b.id, [b]);
  const items = values.all ? b.items : applySplit(b.items, (await splitsFor(profile, b, Math.max(profile.splits, intArg(values.split, 'split', 0) + 1)))[intArg(values.split, 'split', 0)]).test;
  const crops = intArg(values.crops, 'crops', profile.evalCrops);
  const seed = intArg(values.seed, 'seed', 0);
  const p = await predictRecords(model, items, { crops, seed, evalShortSide: Math.round((profile.evalShortSide * model.config.imgSize) / profile.cropSize), engine, threads: availableParallelism() });
  model.dispose();
  print({ dataset: b.id, images: items.length, crops, seed, engine, ...computeMetrics(p.scores, items.map((i) => i.score01)), seconds: p.seconds });
  return 0;
}

/** dgiqa protocol --dataset D: the 10-split protocol; mean, median, std of SROCC and PLCC. */
export async function protocolCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...common, ...scratchOption, dataset: { type: 'string', multiple: true } }, strict: true });
  if (values.help) {
    process.stdout.write(`usage: dgiqa protocol [--dataset ID ...] [--profile smoke|demo|paper] [--from-scratch] ${SKIP_BAD_USAGE}  (default: the profile's datasets)\n`);
    return 0;
  }
  applyFromScratch(values['from-scratch']);
  const { profile } = await start(values.profile, values['skip-bad']);
  pretrainedFor(profile); // refuses now, before any dataset is read, what the first training would
  for (const dataset of values.dataset ?? profile.protocol) {
    // opened here as well to write the report (runProtocol opens it again: the check's verdicts are cached)
    if (skipBadDefault()) reportBad(resultPath(profile, 'protocol', dataset), dataset, [await openBenchmark(dataset, profile)]);
    const s = await runProtocol(profile, dataset);
    print({ dataset, splits: s.splits, srocc: s.srocc, plcc: s.plcc, seconds: s.seconds });
  }
  return 0;
}

/** dgiqa cross --train A --test B: train on all of A, test on all of B (Table 3). */
export async function crossCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...common, ...scratchOption, train: { type: 'string' }, test: { type: 'string' } }, strict: true });
  if (values.help) {
    process.stdout.write(`usage: dgiqa cross [--train A --test B] [--profile smoke|demo|paper] [--from-scratch] ${SKIP_BAD_USAGE}  (default: the profile's pairs)\n`);
    return 0;
  }
  applyFromScratch(values['from-scratch']);
  const { profile } = await start(values.profile, values['skip-bad']);
  pretrainedFor(profile); // refuses now, before any dataset is read, what the first training would
  const pairs: [string, string][] = values.train && values.test ? [[values.train, values.test]] : profile.cross;
  for (const [a, b] of pairs) {
    if (skipBadDefault()) reportBad(resultPath(profile, 'cross', `${a}__full`), `${a} -> ${b}`, [await openBenchmark(a, profile), await openBenchmark(b, profile)]);
    const r = await runCross(profile, a, b);
    print({ train: a, test: b, ...r.metrics });
  }
  return 0;
}

/** dgiqa probe --backbone FILE|random --dataset D [--split K]: a ridge probe of a backbone's pooled features (src/pretrain/probe.ts). */
export async function probeCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...common, backbone: { type: 'string' }, dataset: { type: 'string' }, split: { type: 'string' }, crops: { type: 'string' }, alpha: { type: 'string' }, seed: { type: 'string' } }, strict: true });
  if (values.help || !values.backbone || !values.dataset) {
    process.stdout.write(`usage: dgiqa probe --backbone FILE|random --dataset ID [--split K] [--crops N] [--alpha A] [--seed S] [--profile P] ${SKIP_BAD_USAGE}
  How much a Swin backbone's features say about quality: the mean and standard deviation over space
  of its four stage maps (the profile's model preset; ${PROBE_CROPS} crops per image by default), a ridge
  regression (alpha ${PROBE_ALPHA} by default, on standardised features) fitted on split K's training part
  and scored on its test part: SROCC over all and per distortion, across scenes and within one scene.
  --backbone  Swin weights in timm's layout (what dgiqa pretrain writes), or "random": the seeded
              initialisation (--seed), the baseline a pretraining must beat. Last line: JSON.\n`);
    return values.help ? 0 : 1;
  }
  const alpha = values.alpha === undefined ? PROBE_ALPHA : Number(values.alpha);
  if (!(alpha > 0)) throw new Error(`--alpha must be a number > 0, got "${values.alpha}"`);
  const crops = intArg(values.crops, 'crops', PROBE_CROPS);
  if (crops < 1) throw new Error('--crops must be at least 1');
  const seed = intArg(values.seed, 'seed', 0);
  const { profile } = await start(values.profile, values['skip-bad']);
  // the RGB backbone alone: depth and the layers after the backbones play no part in the probe
  const model = new Dgiqa(resolveConfig({ ...runModelConfig(profile), useDepth: false, depthCar: false }), seed);
  try {
    if (values.backbone !== 'random') await loadPretrainedBackbones(model, values.backbone);
    const b = await openBenchmark(values.dataset, profile);
    reportBad(resultPath(profile, 'probe', values.dataset), b.id, [b]);
    const k = intArg(values.split, 'split', 0);
    const parts = applySplit(b.items, (await splitsFor(profile, b, Math.max(profile.splits, k + 1)))[k]);
    const evalShortSide = Math.round((profile.evalShortSide * model.config.imgSize) / profile.cropSize);
    const rows: ProbeRow[] = [];
    const t0 = performance.now();
    for (const [items, test] of [[[...parts.train, ...parts.val], false], [parts.test, true]] as const) {
      for (const item of items) {
        rows.push({ features: await backboneFeatures(model, item.image, { crops, evalShortSide, seed }), label: item.score01, test, ...(item.distortion === undefined ? {} : { distortion: item.distortion }), ...(item.refId === undefined ? {} : { scene: item.refId }) });
      }
    }
    const report = probeReport(rows, alpha);
    for (const [name, d] of Object.entries(report.perDistortion)) {
      process.stderr.write(`${name.padEnd(16)} ${String(d.images).padStart(4)} images  SROCC ${d.srocc.toFixed(3)}  within one scene ${d.withinScene === null ? '-' : d.withinScene.toFixed(3)}\n`);
    }
    print({ backbone: values.backbone, dataset: b.id, split: k, crops, ...report, seconds: (performance.now() - t0) / 1000 });
  } finally {
    model.dispose();
  }
  return 0;
}

const intervalText = (i: Interval): string => `${i.mean.toFixed(3)} [${i.lo.toFixed(3)}, ${i.hi.toFixed(3)}]`;
const diffText = (d: PairedComparison): string => `${d.meanDiff >= 0 ? '+' : ''}${d.meanDiff.toFixed(3)} [${d.lo.toFixed(3)}, ${d.hi.toFixed(3)}], p ${Number.isFinite(d.p) ? d.p.toFixed(3) : '-'}${d.significant ? ', significant' : ', not significant'}`;

/** dgiqa recipe --train JSON [--pretrained FILE] [--model JSON] [--dataset D] [--splits K,...]: a candidate recipe against the profile's (src/experiments/recipe.ts). */
export async function recipeCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...common, train: { type: 'string' }, pretrained: { type: 'string' }, model: { type: 'string' }, dataset: { type: 'string' }, splits: { type: 'string' }, 'allow-protocol-splits': { type: 'boolean', default: false } }, strict: true });
  if (values.help || values.train === undefined) {
    process.stdout.write(`usage: dgiqa recipe --train JSON [--pretrained FILE] [--model JSON] [--dataset ID] [--splits K,...] [--allow-protocol-splits] [--profile P] ${SKIP_BAD_USAGE}
  Trains the profile's recipe and a candidate on the same splits and compares them split by split:
  test and validation SROCC, each recipe's mean with its 95% interval, and the candidate minus the
  baseline (paired t interval, p). Runs are saved (results/<profile>/recipe/<dataset>/<key>/, with
  recipe.json) and a rerun reuses them.
  --train      training overrides on the profile's, e.g. '{"numEpochs":6,"backboneLrScale":0}'
  --pretrained the candidate's backbone weights (timm layout); the baseline keeps the profile's
  --model      model overrides on the profile's preset, e.g. '{"depthCar":false}'
  --dataset    default: the profile's first protocol dataset
  --splits     default: the three after the protocol's (Table 2's test parts play no part in the
               choice); a protocol split is refused unless --allow-protocol-splits. Last line: JSON.\n`);
    return values.help ? 0 : 1;
  }
  const recipe = { train: jsonObject(values.train, 'train'), ...(values.pretrained === undefined ? {} : { pretrained: values.pretrained }), ...(values.model === undefined ? {} : { model: jsonObject(values.model, 'model') }) };
  const splits = values.splits === undefined ? undefined : values.splits.split(',').map((k) => intArg(k.trim(), 'splits', 0));
  const { profile } = await start(values.profile, values['skip-bad']);
  const dataset = values.dataset ?? profile.protocol[0];
  if (dataset === undefined) throw new Error(`profile ${profile.name} has no protocol dataset; pass --dataset`);
  const r = await compareRecipes(profile, dataset, recipe, splits ?? defaultRecipeSplits(profile), { allowProtocolSplits: values['allow-protocol-splits'] });
  r.splits.forEach((k, i) => {
    const arm = (a: typeof r.baseline): string => `test ${a.test[i]!.toFixed(3)} (val ${a.val[i]!.toFixed(3)}, epoch ${a.epochs[i]}, ${Math.round(a.trainSeconds[i]!)} s)`;
    process.stderr.write(`split ${k}: baseline ${arm(r.baseline)}; candidate ${arm(r.candidate)}\n`);
  });
  process.stderr.write(`test SROCC: baseline ${intervalText(r.baseline.testMean)}, candidate ${intervalText(r.candidate.testMean)}; candidate - baseline ${diffText(r.testDiff)}\n`);
  process.stderr.write(`validation SROCC: baseline ${intervalText(r.baseline.valMean)}, candidate ${intervalText(r.candidate.valMean)}; candidate - baseline ${diffText(r.valDiff)}\n`);
  print(r);
  return 0;
}
