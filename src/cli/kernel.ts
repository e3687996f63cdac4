// `dgiqa kernel`: makes the notebooks openable in JupyterLab, VS Code or nbconvert. It links
// node_modules/dgiqa to the kit (the notebooks `import ... from 'dgiqa'`; tslab cannot import
// ../src) and writes a tslab kernelspec whose command is absolute: the Node binary running this and
// tslab's JS entry inside this kit's node_modules, so the kernel starts from a shell whose PATH has
// no node_modules/.bin (a kernelspec from `tslab install` starts `tslab` by name). npm's `prepare`
// runs it after `npm ci`; `dgiqa reproduce` runs the same code before executing the notebooks.
import { existsSync, lstatSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KIT_ROOT } from '../experiments/paths.js';

/** The kernel name the notebooks' metadata (`kernelspec.name`) asks for. */
export const KERNEL_NAME = 'tslab';
export const KERNEL_DISPLAY_NAME = 'TypeScript (tslab, dgiqa kit)';

/**
 * Node versions whose `require` loads an ES module without a flag: tslab compiles a cell to
 * CommonJS, so `import ... from 'dgiqa'` becomes `require('dgiqa')` of this ESM package
 * (Node 20.19+ on the 20 line, 22.12+ on the 22 line, every release from 23 on).
 */
export const NODE_RANGE = '^20.19.0 || >=22.12.0';

/** Whether a Node version (`v20.19.0` or `20.19.0`) lies in NODE_RANGE. */
export function nodeLoadsEsmByRequire(version: string): boolean {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major === 20) return minor >= 19;
  if (major === 22) return minor >= 12;
  return major >= 23;
}

/**
 * The user's Jupyter data folder, as jupyter_core finds it: JUPYTER_DATA_DIR, else per platform
 * (Linux: $XDG_DATA_HOME/jupyter or ~/.local/share/jupyter; macOS: ~/Library/Jupyter; Windows:
 * %APPDATA%\jupyter). User kernelspecs there take precedence over the system's.
 */
export function jupyterDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home = homedir()): string {
  if (env.JUPYTER_DATA_DIR) return resolve(env.JUPYTER_DATA_DIR);
  if (platform === 'darwin') return join(home, 'Library', 'Jupyter');
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'jupyter');
  return join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'jupyter');
}

/** The content of kernel.json (Jupyter's kernelspec format). */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  metadata: Record<string, string>;
}

/** tslab's command-line entry (a JS file, started with `node <file>`) inside the kit. */
export function tslabEntry(root = KIT_ROOT): string {
  return join(root, 'node_modules', 'tslab', 'bin', 'tslab');
}

/** The kernelspec for this kit: absolute paths only; throws when tslab is not installed. */
export function kernelSpec(root = KIT_ROOT, node = process.execPath): KernelSpec {
  const entry = tslabEntry(root);
  if (!existsSync(entry)) throw new Error(`${entry}: missing; run \`npm ci\` in ${root} first (tslab is a dependency of the kit)`);
  if (!existsSync(node)) throw new Error(`${node}: the Node binary does not exist`);
  return {
    argv: [node, entry, 'kernel', '--config-path', '{connection_file}'],
    display_name: KERNEL_DISPLAY_NAME,
    language: 'typescript',
    metadata: { 'dgiqa-kit': root, 'node-range': NODE_RANGE },
  };
}

/** node_modules/dgiqa -> the kit's root, so notebooks `import ... from 'dgiqa'` (tslab cannot import ../src). */
export function ensurePackageLink(root = KIT_ROOT): 'present' | 'created' {
  const nodeModules = join(root, 'node_modules');
  if (!existsSync(nodeModules)) throw new Error(`${nodeModules}: missing; run \`npm ci\` first`);
  const link = join(nodeModules, 'dgiqa');
  let present = false;
  try {
    lstatSync(link);
    present = true;
  } catch {
    // not there yet
  }
  if (present) {
    let target = '';
    try {
      target = realpathSync(link);
    } catch {
      throw new Error(`${link}: a broken link; remove it and rerun`);
    }
    if (target !== realpathSync(root)) throw new Error(`${link}: points to ${target}, not to this kit (${root}); remove it and rerun`);
    return 'present';
  }
  // 'junction' is what Windows allows without admin rights; elsewhere it is ignored
  symlinkSync(process.platform === 'win32' ? resolve(root) : '..', link, 'junction');
  return 'created';
}

export interface KernelInstall {
  /** the kernelspec folder written */
  dir: string;
  spec: KernelSpec;
  link: 'present' | 'created';
}

/** The package link and the kernelspec, written (again) to `dataDir`/kernels/KERNEL_NAME. */
export function installKernel(root = KIT_ROOT, dataDir = jupyterDataDir(), node = process.execPath): KernelInstall {
  const link = ensurePackageLink(root);
  const spec = kernelSpec(root, node);
  const dir = join(dataDir, 'kernels', KERNEL_NAME);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'kernel.json'), JSON.stringify(spec, null, 1) + '\n');
  } catch (err) {
    throw new Error(`${dir}: cannot write the kernelspec (${err instanceof Error ? err.message : String(err)}); set JUPYTER_DATA_DIR to a writable folder`);
  }
  return { dir, spec, link };
}

const USAGE = `usage: dgiqa kernel [--prepare]

Makes the notebooks openable: links node_modules/dgiqa to this kit and writes the Jupyter kernelspec
"${KERNEL_NAME}" ("${KERNEL_DISPLAY_NAME}") to the user's Jupyter data folder (JUPYTER_DATA_DIR, else
~/.local/share/jupyter, ~/Library/Jupyter on macOS, %APPDATA%\\jupyter on Windows). Its command is
this Node binary and this kit's tslab, by absolute path. Run it again after moving the kit or
changing Node. Jupyter itself need not be installed to write it.
  --prepare  as npm's prepare script runs it: a failure is one warning line, not an error
`;

export async function kernelCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { prepare: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } }, strict: true });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const say = (line: string): void => void process.stderr.write(line + '\n');
  try {
    const { dir, link } = installKernel();
    say(`dgiqa kernel: kernelspec "${KERNEL_NAME}" -> ${dir}${link === 'created' ? '; linked node_modules/dgiqa -> the kit' : ''}`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (!values.prepare) throw err;
    say(`dgiqa kernel: WARNING: the notebooks' kernel was not set up: ${message}; run \`npx dgiqa kernel\` after fixing it`);
    return 0;
  }
  if (!nodeLoadsEsmByRequire(process.version)) {
    say(`dgiqa kernel: WARNING: Node ${process.version} cannot require() this ES module package without a flag; the notebooks need Node ${NODE_RANGE}`);
  }
  return 0;
}
