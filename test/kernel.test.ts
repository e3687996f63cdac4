// Set-up without typing: the tslab kernelspec `npm ci` writes (absolute paths, so the kernel starts
// from a shell whose PATH has no node_modules/.bin), executing the course's first notebook with it
// from PATH=/usr/bin:/bin, and the set-up plan of `dgiqa reproduce` (install with apt-get as root or
// with passwordless sudo, else stop with the command), decided on fakes: no apt-get runs here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  KERNEL_NAME, ensurePackageLink, installKernel, jupyterDataDir, kernelSpec, nodeLoadsEsmByRequire, tslabEntry,
} from '../src/cli/kernel.js';
import { APT_PACKAGES, REQUIREMENTS, aptLine, ensureSetup, planSetup, probeSetup } from '../src/cli/setup.js';
import type { SetupProbe } from '../src/cli/setup.js';

// dist/test -> repository root
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'bin', 'dgiqa.js');
const ALL = new Set(REQUIREMENTS.map((r) => r.id));

const without = (...ids: string[]): Set<string> => new Set([...ALL].filter((id) => !ids.includes(id)));

/** The absolute path of a command on this process's PATH, or undefined. */
function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(dir, cmd);
    if (dir && existsSync(file)) return file;
  }
  return undefined;
}

test('the kernelspec starts this Node and this kit\'s tslab by absolute path', () => {
  const spec = kernelSpec(ROOT);
  const [node, entry, ...rest] = spec.argv;
  assert.equal(node, process.execPath);
  assert.ok(isAbsolute(node!) && existsSync(node!), `${node}: not an existing absolute path`);
  assert.ok(isAbsolute(entry!) && existsSync(entry!), `${entry}: not an existing absolute path`);
  assert.equal(entry, tslabEntry(ROOT));
  assert.ok(realpathSync(entry!).startsWith(realpathSync(join(ROOT, 'node_modules'))), `${entry}: not inside the kit's node_modules`);
  assert.deepEqual(rest, ['kernel', '--config-path', '{connection_file}']);
  assert.equal(spec.language, 'typescript');
});

test('the kernel name is the one every notebook\'s metadata asks for', () => {
  const files = readdirSync(join(ROOT, 'notebooks')).filter((f) => /^\d\d-.*\.ipynb$/.test(f));
  assert.ok(files.length > 0);
  for (const f of files) {
    const nb = JSON.parse(readFileSync(join(ROOT, 'notebooks', f), 'utf8')) as { metadata: { kernelspec?: { name?: string } } };
    assert.equal(nb.metadata.kernelspec?.name, KERNEL_NAME, `${f}: metadata.kernelspec.name`);
  }
});

test('installKernel writes kernel.json to <data dir>/kernels/tslab, and again over an old one', async () => {
  const data = await mkdtemp(join(tmpdir(), 'dgiqa-kernel-'));
  try {
    const first = installKernel(ROOT, data);
    assert.equal(first.dir, join(data, 'kernels', KERNEL_NAME));
    const written = JSON.parse(readFileSync(join(first.dir, 'kernel.json'), 'utf8')) as unknown;
    assert.deepEqual(written, kernelSpec(ROOT));
    assert.equal(installKernel(ROOT, data).link, 'present');
  } finally {
    await rm(data, { recursive: true, force: true });
  }
});

test('jupyterDataDir: JUPYTER_DATA_DIR first, then the platform\'s user folder', () => {
  assert.equal(jupyterDataDir({ JUPYTER_DATA_DIR: '/x/y' }, 'linux', '/home/u'), '/x/y');
  assert.equal(jupyterDataDir({}, 'linux', '/home/u'), join('/home/u', '.local', 'share', 'jupyter'));
  assert.equal(jupyterDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/u'), join('/xdg', 'jupyter'));
  assert.equal(jupyterDataDir({}, 'darwin', '/Users/u'), join('/Users/u', 'Library', 'Jupyter'));
  assert.equal(jupyterDataDir({ APPDATA: 'C:/Users/u/AppData/Roaming' }, 'win32', 'C:/Users/u'), join('C:/Users/u/AppData/Roaming', 'jupyter'));
});

test('nodeLoadsEsmByRequire: the Node versions whose require() loads an ES module unflagged', () => {
  for (const v of ['v20.19.0', 'v20.20.2', '22.12.0', 'v23.0.0', 'v24.1.0']) assert.equal(nodeLoadsEsmByRequire(v), true, v);
  for (const v of ['v20.18.3', 'v20.0.0', 'v21.7.3', 'v22.11.0', 'v18.20.0', 'nonsense']) assert.equal(nodeLoadsEsmByRequire(v), false, v);
  assert.equal(nodeLoadsEsmByRequire(process.version), true, `this Node (${process.version}) cannot run the notebooks`);
});

test('ensurePackageLink: creates node_modules/dgiqa -> the kit, accepts it, refuses a link elsewhere', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-link-'));
  try {
    const kit = join(dir, 'kit');
    mkdirSync(join(kit, 'node_modules'), { recursive: true });
    assert.equal(ensurePackageLink(kit), 'created');
    assert.equal(realpathSync(join(kit, 'node_modules', 'dgiqa')), realpathSync(kit));
    assert.equal(ensurePackageLink(kit), 'present');
    const other = join(dir, 'other');
    mkdirSync(join(other, 'node_modules'), { recursive: true });
    symlinkSync(dir, join(other, 'node_modules', 'dgiqa'), 'dir');
    assert.throws(() => ensurePackageLink(other), /node_modules[\\/]dgiqa: points to .*not to this kit/);
    assert.throws(() => ensurePackageLink(join(dir, 'nothing')), /node_modules: missing; run `npm ci` first/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('dgiqa kernel: exits non-zero with the reason; with --prepare (npm ci) one warning line and exit 0', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-nokit-'));
  try {
    // a "kit" with node_modules but no tslab in it
    mkdirSync(join(dir, 'node_modules'));
    const env = { ...process.env, DGIQA_HOME: dir, JUPYTER_DATA_DIR: join(dir, 'jupyter') };
    const plain = spawnSync(process.execPath, [CLI, 'kernel'], { env, encoding: 'utf8' });
    assert.equal(plain.status, 1, plain.stderr);
    assert.match(plain.stderr, /tslab[\\/]bin[\\/]tslab: missing; run `npm ci`/);
    const prepare = spawnSync(process.execPath, [CLI, 'kernel', '--prepare'], { env, encoding: 'utf8' });
    assert.equal(prepare.status, 0, prepare.stderr);
    const lines = prepare.stderr.trim().split('\n');
    assert.equal(lines.length, 1, prepare.stderr);
    assert.match(lines[0]!, /^dgiqa kernel: WARNING: .*npx dgiqa kernel/);
    assert.equal(existsSync(join(dir, 'jupyter', 'kernels', KERNEL_NAME, 'kernel.json')), false);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('with the kit\'s kernelspec, nbconvert executes notebook 01 from PATH=/usr/bin:/bin (smoke profile)', async (t) => {
  const nbconvert = onPath('jupyter-nbconvert');
  if (!nbconvert) {
    t.skip('jupyter-nbconvert is not installed (Debian/Ubuntu: apt-get install jupyter-nbconvert python3-nbclient jupyter-client python3-ipykernel)');
    return;
  }
  const notebooks = join(ROOT, 'notebooks');
  const first = readdirSync(notebooks).filter((f) => /^01-.*\.ipynb$/.test(f)).sort()[0];
  assert.ok(first, `${notebooks}: no notebook 01-*.ipynb`);
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-nb01-'));
  try {
    const data = join(dir, 'jupyter');
    const made = spawnSync(process.execPath, [CLI, 'kernel'], { env: { ...process.env, JUPYTER_DATA_DIR: data }, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const env: NodeJS.ProcessEnv = {
      HOME: process.env.HOME ?? dir,
      PATH: '/usr/bin:/bin',
      JUPYTER_DATA_DIR: data,
      JUPYTER_PREFER_ENV_PATH: '0',
      PYDEVD_DISABLE_FILE_VALIDATION: '1',
      DGIQA_PROFILE: 'smoke',
      DGIQA_RESULTS: join(dir, 'results'),
      DGIQA_FIGURES: join(dir, 'figures'),
      DGIQA_SYNTH: join(dir, 'synth'),
    };
    const out = join(dir, 'out');
    const r = spawnSync(nbconvert, ['--to', 'notebook', '--execute', first, `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`, '--ExecutePreprocessor.timeout=600', '--output-dir', out], {
      cwd: notebooks, env, encoding: 'utf8',
    });
    assert.equal(r.status, 0, `nbconvert failed:\n${r.stderr.split('\n').slice(-20).join('\n')}`);
    const nb = JSON.parse(readFileSync(join(out, first), 'utf8')) as { cells: { cell_type: string; outputs?: { output_type: string }[] }[] };
    const outputs = nb.cells.filter((c) => c.cell_type === 'code').flatMap((c) => c.outputs ?? []);
    assert.ok(outputs.length > 0, `${first}: executed, but no cell has an output`);
    assert.deepEqual(outputs.filter((o) => o.output_type === 'error'), [], `${first}: error outputs`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('planSetup: nothing missing, nothing to do', () => {
  for (const privilege of ['root', 'sudo', 'none'] as const) assert.deepEqual(planSetup({ present: ALL, privilege, apt: true }), { action: 'none' });
});

test('planSetup: as root, apt-get installs exactly what is missing, without sudo', () => {
  const plan = planSetup({ present: without('chromium', 'fonts'), privilege: 'root', apt: true });
  assert.equal(plan.action, 'install');
  if (plan.action !== 'install') return;
  assert.deepEqual(plan.commands, [
    ['apt-get', 'update'],
    ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium', 'fonts-liberation'],
  ]);
  assert.match(plan.say, /\(as root\): chromium \(renders .*\); fonts-liberation \(/);
});

test('planSetup: with passwordless sudo, the same through `sudo -n`', () => {
  const plan = planSetup({ present: without('nbconvert', 'nbclient', 'jupyter_client', 'ipykernel'), privilege: 'sudo', apt: true });
  assert.equal(plan.action, 'install');
  if (plan.action !== 'install') return;
  assert.deepEqual(plan.commands[1], ['sudo', '-n', 'apt-get', 'install', '-y', '--no-install-recommends', 'jupyter-nbconvert', 'python3-nbclient', 'jupyter-client', 'python3-ipykernel']);
  assert.deepEqual(plan.commands[0], ['sudo', '-n', 'apt-get', 'update']);
});

test('planSetup: without the right to install, a stop with the one command to run', () => {
  const plan = planSetup({ present: without('ipykernel'), privilege: 'none', apt: true });
  assert.equal(plan.action, 'stop');
  if (plan.action !== 'stop') return;
  assert.match(plan.message, /missing: python3-ipykernel \(.*\)\. Run this once, then rerun: sudo apt-get update && sudo apt-get install -y --no-install-recommends python3-ipykernel$/);
  const noApt = planSetup({ present: without('chromium'), privilege: 'root', apt: false });
  assert.equal(noApt.action, 'stop');
  if (noApt.action === 'stop') assert.match(noApt.message, /No apt-get here: .*pip install nbconvert.*CHROMIUM_PATH/);
});

test('aptLine: every package the course needs, sudo unless root', () => {
  assert.equal(aptLine(APT_PACKAGES, true), `apt-get update && apt-get install -y --no-install-recommends ${APT_PACKAGES.join(' ')}`);
  assert.ok(aptLine().startsWith('sudo apt-get update && sudo apt-get install'));
  assert.deepEqual(APT_PACKAGES, ['jupyter-nbconvert', 'python3-nbclient', 'jupyter-client', 'python3-ipykernel', 'chromium', 'fonts-liberation']);
});

/** A machine that gets what apt-get installed (when `installs`), with a log of the commands run. */
function fakeMachine(first: SetupProbe, installs = true): { probe: () => Promise<SetupProbe>; run: (argv: string[]) => number; ran: string[][] } {
  let state = first;
  const ran: string[][] = [];
  return {
    ran,
    probe: () => Promise.resolve(state),
    run: (argv) => {
      ran.push(argv);
      if (installs && argv.includes('install')) state = { ...state, present: ALL };
      return 0;
    },
  };
}

test('ensureSetup: installs, says what and why, checks again', async () => {
  const m = fakeMachine({ present: without('chromium'), privilege: 'root', apt: true });
  const said: string[] = [];
  await ensureSetup({}, (l) => void said.push(l), m.run, m.probe);
  assert.deepEqual(m.ran.map((a) => a.slice(0, 2)), [['apt-get', 'update'], ['apt-get', 'install']]);
  assert.match(said[0]!, /^setup: installing .*chromium \(renders the Plotly figures/);
  assert.equal(said.at(-1), 'setup: done');
});

test('ensureSetup: a stop runs nothing; a failed or ineffective apt-get is an error', async () => {
  const stop = fakeMachine({ present: without('fonts'), privilege: 'none', apt: true });
  await assert.rejects(ensureSetup({}, () => undefined, stop.run, stop.probe), /fonts-liberation.*sudo apt-get install -y --no-install-recommends fonts-liberation/);
  assert.deepEqual(stop.ran, []);
  const fails = fakeMachine({ present: without('fonts'), privilege: 'root', apt: true });
  await assert.rejects(ensureSetup({}, () => undefined, () => 100, fails.probe), /`apt-get update` failed \(exit 100\)/);
  const noop = fakeMachine({ present: without('fonts'), privilege: 'root', apt: true }, false);
  await assert.rejects(ensureSetup({}, () => undefined, noop.run, noop.probe), /still missing after apt-get: fonts-liberation/);
  const ready = fakeMachine({ present: ALL, privilege: 'none', apt: false });
  await ensureSetup({}, () => assert.fail('nothing to say'), ready.run, ready.probe);
  assert.deepEqual(ready.ran, []);
});

test('probeSetup on this machine: ids the plan knows; Jupyter found where jupyter-nbconvert is', async () => {
  const probe = await probeSetup();
  for (const id of probe.present) assert.ok(ALL.has(id), id);
  assert.ok(['root', 'sudo', 'none'].includes(probe.privilege));
  if (onPath('jupyter-nbconvert') && spawnSync('python3', ['-c', 'import nbconvert, nbclient, jupyter_client, ipykernel']).status === 0) {
    for (const id of ['nbconvert', 'nbclient', 'jupyter_client', 'ipykernel']) assert.ok(probe.present.has(id), id);
  }
});
