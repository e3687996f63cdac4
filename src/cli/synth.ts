// `dgiqa synth`: generate the embedded benchmark (both families) for the current profile.
import { resolve } from 'node:path';
import { setting } from '../settings/index.js';
import { defaultSynthWorkers, generateBenchmark, SYNTH_DEFAULT_SEED, SYNTH_FAMILIES, SYNTH_PROFILES, type SynthFamily, type SynthProfileName, type SynthProgress } from '../data/synth/index.js';

const USAGE = `usage: dgiqa synth [--out DIR] [--seed N] [--profile smoke|demo] [--families A,B] [--workers N] [--force]

Renders the embedded benchmark: scenes with exact depth, 12 distortion types per family at 5
levels, full-reference labels. Finished scenes are kept, so a stopped run resumes.
  --out       output folder (default data/synth, or data/synth/smoke for the smoke profile)
  --seed      seed of the whole set (default ${SYNTH_DEFAULT_SEED}); the same seed gives the same bytes
  --profile   smoke | demo (default: DGIQA_PROFILE, else demo; paper uses demo)
  --families  which families to make (default A,B)
  --workers   worker threads in all (default: 2, or 1 on a one-core machine; 0: this thread);
              with two or more, the families are made side by side
  --force     replace a folder made with other settings`;

interface SynthArgs { out: string | null; seed: number; profile: SynthProfileName; families: SynthFamily[]; workers: number | undefined; force: boolean; help: boolean }

function profileFromEnv(): SynthProfileName {
  // the benchmark has no paper size: paper uses demo's
  return setting('DGIQA_PROFILE') === 'smoke' ? 'smoke' : 'demo';
}

function parseArgs(args: string[]): SynthArgs {
  const out: SynthArgs = { out: null, seed: SYNTH_DEFAULT_SEED, profile: profileFromEnv(), families: [...SYNTH_FAMILIES], workers: undefined, force: false, help: false };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] as string;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    const integer = (v: string, min: number): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer >= ${min}, got "${v}"`);
      return n;
    };
    switch (flag) {
      case '--out': out.out = value(); break;
      case '--seed': out.seed = integer(value(), 0); break;
      case '--workers': out.workers = integer(value(), 0); break;
      case '--force': out.force = true; break;
      case '--help': case '-h': out.help = true; break;
      case '--profile': {
        const p = value();
        if (p !== 'smoke' && p !== 'demo') throw new Error(`--profile must be smoke or demo, got "${p}"`);
        out.profile = p;
        break;
      }
      case '--families': {
        const fams = value().split(',').map((f) => f.trim().toUpperCase());
        for (const f of fams) if (f !== 'A' && f !== 'B') throw new Error(`--families takes A, B or A,B; got "${f}"`);
        out.families = [...new Set(fams)] as SynthFamily[];
        break;
      }
      default: throw new Error(`unknown option "${flag}"\n${USAGE}`);
    }
  }
  return out;
}

function progressLine(all: SynthProgress[], t0: number): string {
  const width = 24;
  const done = all.reduce((a, p) => a + p.scenesDone, 0);
  const total = all.reduce((a, p) => a + p.scenes, 0);
  const filled = Math.round((width * done) / Math.max(1, total));
  const fams = all.map((p) => `${p.family} ${p.scenesDone}/${p.scenes}${p.scenesReused > 0 ? ` (${p.scenesReused} already done)` : ''}`).join(', ');
  const images = `${all.reduce((a, p) => a + p.imagesDone, 0)}/${all.reduce((a, p) => a + p.images, 0)} images`;
  return `synth [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] scenes ${fams}; ${images}; ${((Date.now() - t0) / 1000).toFixed(1)} s`;
}

export async function synthCommand(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  if (opts.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const profile = SYNTH_PROFILES[opts.profile];
  const outDir = resolve(opts.out ?? (opts.profile === 'smoke' ? 'data/synth/smoke' : 'data/synth'));
  const tty = process.stderr.isTTY === true;
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nsynth: stopping after the scenes in progress (Ctrl-C again to quit at once; finished scenes are kept)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const t0 = Date.now();
  const summary: Record<string, { references: number; distorted: number; pairs: number; rawViolations: number }> = {};
  const state = new Map<SynthFamily, SynthProgress>();
  let lastLine = 0;
  const report = (p: SynthProgress): void => {
    const before = state.get(p.family);
    state.set(p.family, p);
    const line = progressLine([...state.values()], t0);
    if (tty) process.stderr.write(`\r${line}`);
    else if (before === undefined || p.scenesDone > before.scenesDone) {
      // Logs: a line per finished scene, but not more than one a second unless a family completes.
      if (p.scenesDone === p.scenes || Date.now() - lastLine > 1000) { lastLine = Date.now(); process.stderr.write(`${line}\n`); }
    }
  };
  // Families side by side, each on its share of the workers: no idle core while one finishes.
  const total = opts.workers ?? defaultSynthWorkers();
  const together = opts.families.length > 1 && total >= opts.families.length;
  const make = async (family: SynthFamily, workers: number): Promise<void> => {
    const manifest = await generateBenchmark({
      outDir, seed: opts.seed, family, scenes: profile.scenes, size: profile.size, levels: profile.levels,
      profile: opts.profile, note: profile.note, force: opts.force, signal: controller.signal, workers, onProgress: report,
    });
    summary[family] = { ...manifest.counts, rawViolations: manifest.label.rawViolations };
  };
  try {
    if (profile.note) process.stderr.write(`synth: ${profile.note}\n`);
    if (together) {
      const share = Math.floor(total / opts.families.length);
      const results = await Promise.allSettled(opts.families.map((f) => make(f, share)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
    } else {
      for (const family of opts.families) await make(family, total);
    }
    if (tty) process.stderr.write('\n');
  } catch (err) {
    if (controller.signal.aborted) {
      process.stderr.write(`\n${err instanceof Error ? err.message : String(err)}\n`);
      return 130;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
  const seconds = (Date.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ out: outDir, profile: opts.profile, seed: opts.seed, families: summary, seconds }) + '\n');
  return 0;
}
