// The `dgiqa` command line: one sub-command per file in this folder, dispatched here.
import { forwardCommand } from './forward.js';
import { browserCommand } from './browser.js';
import { settingOn } from '../settings/index.js';
import { reproduceCommand } from './reproduce.js';
import { siteCommand } from './site.js';
import { kernelCommand } from './kernel.js';
import { metricsCommand } from './metrics.js';
import { densityCommand } from './density.js';
import { niqeCommand } from './niqe.js';
import { benchCommand } from './bench.js';
import { dataCommand } from './data.js';
import { synthCommand } from './synth.js';
import { depthCommand } from './depth.js';
import { scoreCommand } from './score.js';
import { exportCommand } from './export.js';
import { pretrainCommand } from './pretrain.js';
import { planCommand } from './plan.js';
import { jobCommand } from './job.js';
import { statusCommand } from './status.js';
import { crossCommand, evalCommand, probeCommand, protocolCommand, recipeCommand, trainCommand } from './experiments.js';

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  reproduce: { run: reproduceCommand, help: 'execute every notebook under a profile; regenerate figures/ and figures/REPORT.md' },
  kernel: { run: kernelCommand, help: 'make the notebooks openable: the node_modules/dgiqa link and the tslab kernelspec (absolute paths); npm ci runs it' },
  site: { run: siteCommand, help: 'the course as a static HTML site from the executed notebooks (notebooks/executed/<profile>/site/)' },
  score: { run: scoreCommand, help: 'quality of any image: the official multi-crop inference with a checkpoint' },
  export: { run: exportCommand, help: 'a checkpoint as an ONNX file (inputs rgb, depth NHWC; outputs scores, pooled)' },
  train: { run: trainCommand, help: 'train on one split of a dataset, test on its test part (resumable)' },
  eval: { run: evalCommand, help: 'multi-crop metrics of a checkpoint on a dataset' },
  protocol: { run: protocolCommand, help: 'the 10-split protocol (Table 2): mean, median, std of SROCC and PLCC' },
  plan: { run: planCommand, help: 'every training and evaluation of a profile\'s course, from its settings alone (no data), with a compute estimate' },
  job: { run: jobCommand, help: 'one entry of a cluster plan (dgiqa plan --slurm|--k8s), as a Slurm array task or Kubernetes index runs it' },
  status: { run: statusCommand, help: 'a cluster plan\'s entries: done, running, failed (with their last lines), pending' },
  cross: { run: crossCommand, help: 'cross-dataset tests (Table 3): train on all of one set, test on another' },
  pretrain: { run: pretrainCommand, help: 'self-supervised pretraining (appearance or depth) of the demo Swin backbone on renders disjoint from the benchmark (resumable)' },
  probe: { run: probeCommand, help: 'what a Swin backbone\'s features say about quality: a ridge probe on a split, per distortion (pretrainings compared)' },
  recipe: { run: recipeCommand, help: 'a training recipe against the profile\'s, on splits outside Table 2\'s: paired test and validation SROCC (choosing a recipe without its test parts)' },
  synth: { run: synthCommand, help: 'generate the embedded synthetic benchmark (with true depth)' },
  depth: { run: depthCommand, help: 'precompute depth maps for a dataset (resumable)' },
  forward: { run: forwardCommand, help: 'run a checkpoint on a safetensors input batch (parity check of a port)' },
  browser: { run: browserCommand, help: 'the static scoring page (WebGPU, WebGL or wasm); with --weights and --inputs, its scores from headless Chromium' },
  metrics: { run: metricsCommand, help: 'SROCC, PLCC, KROCC, RMSE and logistic PLCC of a CSV with pred, mos columns' },
  data: { run: dataCommand, help: 'dataset tools: `data summary <dataset> <root>` reads a dataset in its official layout' },
  bench: { run: benchCommand, help: 'steady-state images/s of a forward pass and a training step, peak memory, FLOPs (last line: JSON)' },
  density: { run: densityCommand, help: 'Gaussian overlap of clean vs distorted scores (CSV with score, group columns)' },
  niqe: { run: niqeCommand, help: 'NIQE of images (the classic no-reference score, lower is better), as its MATLAB release computes it' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.help}`);
  return ['usage: dgiqa <command> [options]', '', 'commands:', ...lines].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`dgiqa: unknown command "${name}"\n${usage()}\n`);
    return 1;
  }
  try {
    const code = await command.run(rest);
    if (settingOn('DGIQA_REPORT_RESOURCES')) {
      // peak memory of this whole process, for whoever measures the CLI from outside
      process.stderr.write(`resources: ${JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
    }
    return code;
  } catch (err) {
    // One line, naming the file and the problem: the error messages of the library are written so.
    process.stderr.write(`dgiqa ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    // 130: the shell's code for a run ended by Ctrl-C (here, after saving)
    return err instanceof Error && err.name === 'StoppedError' ? 130 : 1;
  }
}
