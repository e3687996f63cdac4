// Every DGIQA_* environment variable the kit reads, declared once: what it means, what it accepts,
// its default and who reads it. The readers below are the only way src/ reads one, so a value is
// checked the same way everywhere and the README's table (renderSettingsTable) cannot drift.
// A leaf module: it imports nothing from the kit, so any module may use it.

/** What a variable accepts. */
export type SettingKind =
  | { readonly kind: 'path' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'positive-integer' }
  | { readonly kind: 'positive-number' }
  | { readonly kind: 'text'; readonly format?: string };

export interface SettingDeclaration {
  /** one line, for the README */
  readonly meaning: string;
  readonly accepts: SettingKind;
  /** the default as a reader of the README needs it, or 'none' */
  readonly default: string;
  /** the modules (or 'tests') that read it */
  readonly readBy: readonly string[];
}

const PATH = { kind: 'path' } as const;
const BOOLEAN = { kind: 'boolean' } as const;

export const SETTINGS = {
  DGIQA_PROFILE: {
    meaning: 'the run profile every command and notebook uses',
    accepts: { kind: 'enum', values: ['smoke', 'demo', 'paper'] },
    default: 'demo',
    readBy: ['experiments/profiles', 'cli/synth', 'cli/site', 'cli/reproduce'],
  },
  DGIQA_HOME: {
    meaning: 'the kit\'s root, under which the default folders below lie',
    accepts: PATH,
    default: 'the folder above dist/',
    readBy: ['experiments/paths'],
  },
  DGIQA_SYNTH: {
    meaning: 'the embedded benchmark (generated)',
    accepts: PATH,
    default: 'data/synth',
    readBy: ['experiments/paths', 'cluster/planFile'],
  },
  DGIQA_DATA: {
    meaning: 'the paper\'s datasets, one folder per dataset',
    accepts: PATH,
    default: 'data/datasets',
    readBy: ['experiments/paths', 'cluster/planFile'],
  },
  DGIQA_DEPTH: {
    meaning: 'precomputed depth maps, one folder per dataset',
    accepts: PATH,
    default: 'data/depth',
    readBy: ['experiments/paths', 'cluster/planFile'],
  },
  DGIQA_MODELS: {
    meaning: 'Depth Anything downloads from the hub',
    accepts: PATH,
    default: 'data/cache/models',
    readBy: ['experiments/paths'],
  },
  DGIQA_DEPTH_CACHE: {
    meaning: 'depth maps made for single images (`dgiqa score`)',
    accepts: PATH,
    default: 'data/cache/depth-anything',
    readBy: ['experiments/paths'],
  },
  DGIQA_CACHE: {
    meaning: 'the cache whose checks/ holds the file-check verdicts',
    accepts: PATH,
    default: 'data/cache',
    readBy: ['experiments/datasets', 'cluster/planFile'],
  },
  DGIQA_RESULTS: {
    meaning: 'results: JSON summaries and checkpoints',
    accepts: PATH,
    default: 'results',
    readBy: ['experiments/paths', 'cluster/planFile'],
  },
  DGIQA_FIGURES: {
    meaning: 'figures, tables and REPORT.md',
    accepts: PATH,
    default: 'figures',
    readBy: ['experiments/paths'],
  },
  DGIQA_PRETRAINED: {
    meaning: 'ImageNet Swin-T backbone weights (timm layout, safetensors or .pth) replacing the profile\'s own',
    accepts: PATH,
    default: 'none (the profile\'s own backbones)',
    readBy: ['experiments/paths', 'cluster/planFile'],
  },
  DGIQA_FROM_SCRATCH: {
    meaning: 'start the backbones from random weights instead of pretrained ones',
    accepts: BOOLEAN,
    default: 'off',
    readBy: ['experiments/run', 'cluster/planFile'],
  },
  DGIQA_TRAIN_PARALLEL: {
    meaning: 'how many trainings run at once: in child processes where their steps run on ONNX Runtime, in worker threads on TensorFlow.js',
    accepts: { kind: 'positive-integer' },
    default: '1 on the GPU; else one per core as memory allows',
    readBy: ['experiments/parallel'],
  },
  DGIQA_SKIP_BAD: {
    meaning: 'leave bad inputs out and list them, as `--skip-bad` does (which sets it for worker threads)',
    accepts: BOOLEAN,
    default: 'off',
    readBy: ['data/check/policy', 'cluster/planFile'],
  },
  DGIQA_BACKEND: {
    meaning: 'force a TensorFlow.js backend instead of the first that works',
    accepts: { kind: 'enum', values: ['tensorflow', 'webgpu', 'wasm', 'cpu'] },
    default: 'none (tensorflow, else webgpu on a GPU adapter, else wasm, else cpu)',
    readBy: ['backend/select', 'cluster/planFile'],
  },
  DGIQA_ENGINE: {
    meaning: 'what `--engine auto` means for evaluation',
    accepts: { kind: 'enum', values: ['auto', 'onnx', 'tfjs'] },
    default: 'auto',
    readBy: ['eval/predict', 'cluster/planFile'],
  },
  DGIQA_TRAIN_ENGINE: {
    meaning: 'what runs a training step: ONNX Runtime (the step traced from TensorFlow.js, all cores in one training) or TensorFlow.js itself',
    accepts: { kind: 'enum', values: ['auto', 'onnx', 'tfjs'] },
    default: 'auto: onnx on the CPU backends for models without dropout, on the main thread; tfjs otherwise',
    readBy: ['train/engine', 'cluster/planFile'],
  },
  DGIQA_TRAIN_THREADS: {
    meaning: 'ONNX Runtime threads of a training step; a run gives the same bits again with the same count (other counts sum in other orders)',
    accepts: { kind: 'positive-integer' },
    default: 'every core, shared out among trainings that run side by side',
    readBy: ['train/engine', 'experiments/parallel'],
  },
  DGIQA_DEPTH_MODEL: {
    meaning: 'the Depth Anything model when `--model` is not given',
    accepts: { kind: 'text', format: 'an encoder (vits, vitb, vitl), a hub id (owner/name) or a folder' },
    default: 'vitl',
    readBy: ['depth/depthAnything'],
  },
  DGIQA_OFFLINE: {
    meaning: 'no download: the depth model must already be in DGIQA_MODELS (as HF_HUB_OFFLINE=1)',
    accepts: BOOLEAN,
    default: 'off',
    readBy: ['depth/depthAnything'],
  },
  DGIQA_PYTHON: {
    meaning: 'the Python with Jupyter that `reproduce` and `setup` use',
    accepts: PATH,
    default: 'none (the `jupyter` on PATH, else python3)',
    readBy: ['cli/setup'],
  },
  DGIQA_PROGRESS: {
    meaning: 'the file long library calls append progress notes to (`reproduce` sets it)',
    accepts: PATH,
    default: 'none (no notes)',
    readBy: ['util/progress', 'cli/reproduce'],
  },
  DGIQA_REPORT_RESOURCES: {
    meaning: 'after a command the CLI prints its peak memory on stderr (`resources: {"maxRssMb": n}`), to measure one from outside',
    accepts: BOOLEAN,
    default: 'off',
    readBy: ['cli/main'],
  },
  DGIQA_FAULT: {
    meaning: 'test hook: kill the process with SIGKILL the n-th time it passes a point (step, evaluate, write, checkpoint, log)',
    accepts: { kind: 'text', format: '<point>:<n>' },
    default: 'none',
    readBy: ['util/faults'],
  },
  DGIQA_FUZZ_SCALE: {
    meaning: 'test hook: multiplies the fuzz tests\' case counts',
    accepts: { kind: 'positive-number' },
    default: '1',
    readBy: ['tests'],
  },
  DGIQA_FUZZ_TRACE: {
    meaning: 'test hook: the fuzz tests name each case before it runs',
    accepts: BOOLEAN,
    default: 'off',
    readBy: ['tests'],
  },
} as const satisfies Record<`DGIQA_${string}`, SettingDeclaration>;

/** A declared name; reading any other is a compile error. */
export type SettingName = keyof typeof SETTINGS;

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** Each name as a constant, for the places that write one (worker threads, child processes). */
export const ENV: { readonly [N in SettingName]: N } = Object.fromEntries(SETTING_NAMES.map((n) => [n, n])) as { [N in SettingName]: N };

type KindOf<N extends SettingName> = (typeof SETTINGS)[N]['accepts'];

/** What the reader of N returns when the variable is set. */
export type SettingValue<N extends SettingName> =
  KindOf<N> extends { kind: 'enum'; values: readonly (infer V)[] } ? V
  : KindOf<N> extends { kind: 'boolean' } ? boolean
  : KindOf<N> extends { kind: 'positive-integer' | 'positive-number' } ? number
  : string;

/** What a kind allows, in words, for errors and the README. */
export function allowedValues(accepts: SettingKind): string {
  switch (accepts.kind) {
    case 'path': return 'a path';
    case 'enum': return accepts.values.length > 1 ? `${accepts.values.slice(0, -1).join(', ')} or ${accepts.values[accepts.values.length - 1]}` : `${accepts.values[0]}`;
    case 'boolean': return '1 or true (0 or false: off)';
    case 'positive-integer': return 'a positive integer';
    case 'positive-number': return 'a positive number';
    case 'text': return accepts.format ?? 'text';
  }
}

function parse(name: SettingName, raw: string): string | number | boolean {
  const accepts: SettingKind = SETTINGS[name].accepts;
  const refuse = (): Error => new Error(`${name} must be ${allowedValues(accepts)}, got "${raw.replace(/\s+/g, ' ')}"`);
  switch (accepts.kind) {
    case 'path':
    case 'text':
      return raw;
    case 'enum':
      if (accepts.values.includes(raw)) return raw;
      throw refuse();
    case 'boolean':
      if (raw === '1' || raw === 'true') return true;
      if (raw === '0' || raw === 'false') return false;
      throw refuse();
    case 'positive-integer': {
      const n = Number(raw);
      if (Number.isInteger(n) && n >= 1) return n;
      throw refuse();
    }
    case 'positive-number': {
      const n = Number(raw);
      if (Number.isFinite(n) && n > 0) return n;
      throw refuse();
    }
  }
}

/**
 * The variable's value, checked against its declaration; undefined when unset or empty (so an empty
 * assignment before a command turns one off). Throws one line naming the variable, the value and
 * what is allowed. `env` is for callers that build a child's environment.
 */
export function setting<N extends SettingName>(name: N, env: NodeJS.ProcessEnv = process.env): SettingValue<N> | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  return parse(name, raw) as SettingValue<N>;
}

/** A boolean setting: off when unset. */
export function settingOn(name: { [N in SettingName]: KindOf<N> extends { kind: 'boolean' } ? N : never }[SettingName], env: NodeJS.ProcessEnv = process.env): boolean {
  return setting(name, env) === true;
}

/** The README's table of every variable (the `settings` block). */
export function renderSettingsTable(): string {
  // a table cell: no column breaks, and <point> is text, not an HTML tag
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const rows = SETTING_NAMES.map((n) => {
    const d: SettingDeclaration = SETTINGS[n];
    return `| \`${n}\` | ${cell(d.meaning)} | ${cell(allowedValues(d.accepts))} | ${cell(d.default)} |`;
  });
  return ['| variable | meaning | values | default |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
