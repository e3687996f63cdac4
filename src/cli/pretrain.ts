// `dgiqa pretrain`: depth pretraining of the demo model's Swin backbone on rendered scenes disjoint from
// the benchmark's; writes the backbone in timm's layout (what DGIQA_PRETRAINED / loadPretrainedBackbones read).
import { resolve } from 'node:path';
import { initBackend } from '../backend/index.js';
import { PRETRAIN_DEFAULTS, PRETRAIN_TASKS, pretrain, resolvePretrainConfig } from '../pretrain/index.js';
import type { PretrainTask } from '../pretrain/index.js';
import type { EpochRecord } from '../pretrain/index.js';
import { PRESETS, resolveConfig } from '../model/index.js';
import type { DgiqaConfig } from '../model/index.js';
import { jsonObject } from './args.js';

/** where each task's backbone goes by default (the demo course reads the change one) */
const DEFAULT_OUT: Record<PretrainTask, string> = {
  depth: 'data/pretrained/demo-swin-depth.safetensors', appearance: 'data/pretrained/demo-swin-appearance.safetensors', change: 'data/pretrained/demo-swin-change.safetensors',
  structure: 'data/pretrained/demo-swin-structure.safetensors',
};
const DEFAULT_RUN_DIR = 'runs/pretrain';

const USAGE = `usage: dgiqa pretrain [--task T] [--out FILE] [--scenes N] [--epochs E] [--seed S] [--run-dir DIR] [--resume]

Self-supervised pretraining of the ${PRETRAIN_DEFAULTS.model} model's Swin backbone on renders of both synthetic
families, on seeds disjoint from the benchmark's, with no quality label. Prints per-epoch loss and
held-out correlation, the file's SHA-256.
  --task     change (default): a clean or randomly distorted crop; predict per cell its depth, the
             band energies, brightness, contrast and colour of the input and of the clean crop, and
             how far each moved (input minus clean).
             structure: the change task with two statistics of local structure more per cell
             (share of flat neighbours: blocks; gradient anisotropy: directional blur).
             appearance: the same without the changes as targets of their own.
             depth: a clean crop; predict its depth (standardised log depth on the stage-3 grid)
  --out      backbone weights in timm's Swin layout (default ${DEFAULT_OUT.change}; --task structure:
             ${DEFAULT_OUT.structure}; --task appearance: ${DEFAULT_OUT.appearance};
             --task depth: ${DEFAULT_OUT.depth})
  --scenes   scenes rendered, ${Math.round(PRETRAIN_DEFAULTS.heldOutFraction * 100)} % held out (default ${PRETRAIN_DEFAULTS.scenes})
  --epochs   passes over the training scenes (default ${PRETRAIN_DEFAULTS.numEpochs})
  --seed     seed of scenes, crops and initialisation (default ${PRETRAIN_DEFAULTS.seed})
  --model    overrides on the ${PRETRAIN_DEFAULTS.model} preset's backbone, e.g. '{"embedDim":24}' (a wider
             backbone; the quality model that loads it needs the same overrides)
  --run-dir  checkpoint folder, one per run (default ${DEFAULT_RUN_DIR})
  --resume   continue the checkpoint in --run-dir (a killed run ends as an uninterrupted one would)`;

interface PretrainArgs {
  out: string;
  runDir: string;
  resume: boolean;
  help: boolean;
  overrides: Record<string, number | string>;
  /** --model: overrides on the preset's architecture (undefined: the preset as it is) */
  model?: Record<string, unknown>;
}

/** Flags to options; anything unknown or malformed is a one-line error naming the flag. */
export function parsePretrainArgs(args: string[]): PretrainArgs {
  let outGiven = false;
  const out: PretrainArgs = { out: DEFAULT_OUT[PRETRAIN_DEFAULTS.task], runDir: DEFAULT_RUN_DIR, resume: false, help: false, overrides: {} };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value (see dgiqa pretrain --help)`);
      return v;
    };
    const integer = (min: number): number => {
      const v = value();
      const n = Number(v);
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got "${v}"`);
      return n;
    };
    switch (flag) {
      case '--out': out.out = value(); outGiven = true; break;
      case '--task': {
        const t = value();
        if (!(PRETRAIN_TASKS as readonly string[]).includes(t)) throw new Error(`--task must be one of ${PRETRAIN_TASKS.join(', ')}, got "${t}"`);
        out.overrides.task = t;
        break;
      }
      case '--run-dir': out.runDir = value(); break;
      case '--scenes': out.overrides.scenes = integer(2); break;
      case '--epochs': out.overrides.numEpochs = integer(1); break;
      case '--seed': out.overrides.seed = integer(0); break;
      case '--model': out.model = jsonObject(value(), 'model'); break;
      case '--resume': out.resume = true; break;
      case '--help': case '-h': out.help = true; break;
      default: throw new Error(`unknown option "${flag}" (known: --task, --out, --scenes, --epochs, --seed, --model, --run-dir, --resume, --help)`);
    }
  }
  if (!outGiven) out.out = DEFAULT_OUT[(out.overrides.task as PretrainTask | undefined) ?? PRETRAIN_DEFAULTS.task];
  return out;
}

const epochLine = (r: EpochRecord, of: number): string =>
  `epoch ${r.epoch}/${of}: train loss ${r.trainLoss.toFixed(4)}, held-out loss ${r.heldOutLoss.toFixed(4)}, held-out correlation ${r.heldOutPearson.toFixed(4)}${r.heldOutChannels.length > 1 ? ` (per channel ${r.heldOutChannels.map((v) => v.toFixed(2)).join(" ")})` : ""} (lr ${r.lr.toExponential(2)}, step ${r.step}, ${r.seconds.toFixed(1)} s)`;

/** The preset's architecture with --model's overrides; an unknown key or a bad value fails, naming the flag. */
export function pretrainModel(preset: string, overrides: Record<string, unknown>): DgiqaConfig {
  const base = PRESETS[preset];
  if (!base) throw new Error(`unknown model preset "${preset}"`);
  return resolveConfig({ ...base, ...overrides }, 'dgiqa pretrain --model');
}

export async function pretrainCommand(args: string[]): Promise<number> {
  const opts = parsePretrainArgs(args);
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const config = resolvePretrainConfig(opts.overrides, 'dgiqa pretrain');
  const modelConfig = opts.model === undefined ? undefined : pretrainModel(config.model, opts.model);
  const t0 = Date.now();
  const backend = await initBackend();
  process.stderr.write(`${backend.message}\n`);
  const result = await pretrain({
    config, runDir: resolve(opts.runDir), out: resolve(opts.out), resume: opts.resume, ...(modelConfig ? { modelConfig } : {}),
    onLog: (line) => process.stderr.write(line + '\n'),
    onEpoch: (r) => process.stdout.write(epochLine(r, config.numEpochs) + '\n'),
  });
  process.stdout.write(`held-out correlation per epoch: ${result.history.map((r) => r.heldOutPearson.toFixed(4)).join(', ')} (image-blind baseline ${result.prior.pearson.toFixed(4)})\n`);
  const seconds = (Date.now() - t0) / 1000;
  const file = result.out as NonNullable<typeof result.out>;
  process.stdout.write(`wrote ${opts.out} (${file.bytes} bytes)\nsha256 ${file.sha256}\nwall time ${seconds.toFixed(1)} s\n`);
  return 0;
}
