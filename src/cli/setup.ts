// What `dgiqa reproduce` needs outside npm, checked before any work: Jupyter (nbconvert, nbclient,
// jupyter_client, ipykernel in one Python), Chromium (PNG/SVG of the figures) and the Liberation
// fonts (the figures' text in headless Chromium on Linux). On Debian/Ubuntu, as root or with sudo
// that needs no password, the missing packages are installed (apt-get); otherwise the run stops
// with the one command to type. `planSetup` decides from what was probed (tested with fakes);
// `probeSetup` and `ensureSetup` touch the machine.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setting } from '../settings/index.js';
import { findChromium } from '../plots/index.js';

/** One thing the course needs, the Debian package that provides it, and why. */
export interface Requirement {
  /** what is probed: a Python module, or `chromium` / `fonts` */
  id: string;
  pkg: string;
  why: string;
}

export const REQUIREMENTS: readonly Requirement[] = [
  { id: 'nbconvert', pkg: 'jupyter-nbconvert', why: 'executes the notebooks headless (jupyter nbconvert)' },
  { id: 'nbclient', pkg: 'python3-nbclient', why: 'runs the cells of a notebook for nbconvert' },
  { id: 'jupyter_client', pkg: 'jupyter-client', why: 'talks to the tslab kernel' },
  { id: 'ipykernel', pkg: 'python3-ipykernel', why: 'Jupyter\'s kernel machinery that nbconvert expects' },
  { id: 'chromium', pkg: 'chromium', why: 'renders the Plotly figures to PNG and SVG' },
  { id: 'fonts', pkg: 'fonts-liberation', why: 'the figures\' text in headless Chromium' },
];

/** What a fresh Debian or Ubuntu machine needs for the notebooks and the PNG/SVG export. */
export const APT_PACKAGES = REQUIREMENTS.map((r) => r.pkg);

/** The apt-get line for `packages`, with sudo unless `root`. */
export function aptLine(packages: readonly string[] = APT_PACKAGES, root = false): string {
  const sudo = root ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}
export const APT_LINE = aptLine();

/** What was found on the machine. */
export interface SetupProbe {
  /** ids of REQUIREMENTS that are present */
  present: ReadonlySet<string>;
  /** root, or sudo without a password, or neither */
  privilege: 'root' | 'sudo' | 'none';
  /** apt-get exists (Debian, Ubuntu and their derivatives) */
  apt: boolean;
}

export type SetupPlan =
  | { action: 'none' }
  | { action: 'install'; missing: Requirement[]; commands: string[][]; say: string }
  | { action: 'stop'; missing: Requirement[]; message: string };

/** The decision: nothing to do, install with apt-get, or stop with the command to run. */
export function planSetup(probe: SetupProbe): SetupPlan {
  const missing = REQUIREMENTS.filter((r) => !probe.present.has(r.id));
  if (missing.length === 0) return { action: 'none' };
  const pkgs = missing.map((r) => r.pkg);
  const what = missing.map((r) => `${r.pkg} (${r.why})`).join('; ');
  if (!probe.apt) {
    return {
      action: 'stop',
      missing,
      message:
        `missing: ${what}. No apt-get here: install Jupyter with \`python3 -m pip install nbconvert nbclient jupyter_client ipykernel\` ` +
        '(set DGIQA_PYTHON to that Python if it is not the `jupyter` on PATH), and Chromium or Chrome (set CHROMIUM_PATH to its binary), then rerun',
    };
  }
  if (probe.privilege === 'none') {
    return { action: 'stop', missing, message: `missing: ${what}. Run this once, then rerun: ${aptLine(pkgs)}` };
  }
  const sudo = probe.privilege === 'sudo' ? ['sudo', '-n'] : [];
  return {
    action: 'install',
    missing,
    commands: [
      [...sudo, 'apt-get', 'update'],
      [...sudo, 'apt-get', 'install', '-y', '--no-install-recommends', ...pkgs],
    ],
    say: `installing what the course needs and this machine lacks (${probe.privilege === 'root' ? 'as root' : 'with sudo'}): ${what}`,
  };
}

function works(cmd: string, args: string[], env: NodeJS.ProcessEnv): boolean {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  return !r.error && r.status === 0;
}

/** The interpreter of the `jupyter` script on PATH (its #! line), which has jupyter_client. */
export function jupyterPython(env: NodeJS.ProcessEnv): string[] {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const file = join(dir, 'jupyter');
    if (!existsSync(file)) continue;
    const first = readFileSync(file, 'utf8').split('\n')[0] ?? '';
    const m = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
    return m ? [m[1]!.endsWith('/env') && m[2] ? m[2] : m[1]!] : [];
  }
  return [];
}

/** The Pythons worth asking for Jupyter's modules, in order. */
export function pythonCandidates(env: NodeJS.ProcessEnv): string[] {
  return [...new Set([setting('DGIQA_PYTHON', env), ...jupyterPython(env), 'python3'].filter((p): p is string => !!p))];
}

const JUPYTER_MODULES = ['nbconvert', 'nbclient', 'jupyter_client', 'ipykernel'];

/** The Jupyter modules one Python lacks (all of them when it does not start). */
function missingModules(python: string, env: NodeJS.ProcessEnv): string[] {
  const code = `import importlib.util as u\nfor m in ${JSON.stringify(JUPYTER_MODULES)}:\n    print(m, u.find_spec(m) is not None)`;
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) return [...JUPYTER_MODULES];
  return r.stdout.split('\n').filter((l) => l.endsWith(' False')).map((l) => l.split(' ')[0]!);
}

/** Looks at this machine: Jupyter's modules (in the best Python and as the `jupyter` command), Chromium, fonts, privilege, apt-get. */
export async function probeSetup(env: NodeJS.ProcessEnv = process.env): Promise<SetupProbe> {
  const present = new Set<string>();
  const lacks = pythonCandidates(env).map((p) => missingModules(p, env)).sort((a, b) => a.length - b.length)[0] ?? JUPYTER_MODULES;
  for (const m of JUPYTER_MODULES) if (!lacks.includes(m)) present.add(m);
  if (!works('jupyter', ['nbconvert', '--version'], env)) present.delete('nbconvert');
  if (await findChromium()) present.add('chromium');
  // Liberation (or its metric twin Liberation 2): only Linux's headless Chromium lacks a default font
  if (process.platform !== 'linux' || ['liberation', 'liberation2'].some((d) => existsSync(join('/usr/share/fonts/truetype', d)))) present.add('fonts');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const privilege = root ? 'root' : works('sudo', ['-n', 'true'], env) ? 'sudo' : 'none';
  return { present, privilege, apt: works('apt-get', ['--version'], env) };
}

/**
 * Probes, then installs what is missing or throws the one-line reason with the command to run.
 * `run` executes one command (inherits the terminal); replaced in tests.
 */
export async function ensureSetup(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (l) => void process.stderr.write(l + '\n'),
  run: (argv: string[]) => number = (argv) => spawnSync(argv[0]!, argv.slice(1), { stdio: 'inherit', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } }).status ?? 1,
  probe: (env: NodeJS.ProcessEnv) => Promise<SetupProbe> = probeSetup,
): Promise<void> {
  const plan = planSetup(await probe(env));
  if (plan.action === 'none') return;
  if (plan.action === 'stop') throw new Error(plan.message);
  log(`setup: ${plan.say}`);
  for (const argv of plan.commands) {
    log(`setup: ${argv.join(' ')}`);
    const code = run(argv);
    if (code !== 0) throw new Error(`\`${argv.join(' ')}\` failed (exit ${code}); run it by hand, then rerun`);
  }
  const after = planSetup(await probe(env));
  if (after.action !== 'none') throw new Error(`still missing after apt-get: ${after.missing.map((r) => r.pkg).join(', ')}`);
  log('setup: done');
}
