// `dgiqa reproduce`: the whole course, headless. Executes every notebook in order with Jupyter's
// nbconvert and the tslab kernel under one profile (DGIQA_PROFILE or --profile, default demo),
// writes the executed copies to notebooks/executed/<profile>/, then figures/REPORT.md, and fails
// when a cell fails or an expected figure or table is missing. The library saves every result, so a
// rerun only redoes what is not saved yet.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { KIT_ROOT, paths } from '../experiments/paths.js';
import { KERNEL_NAME, installKernel, jupyterDataDir } from './kernel.js';
import { APT_LINE, ensureSetup, pythonCandidates } from './setup.js';
import { profileFrom } from '../experiments/profiles.js';
import type { Profile } from '../experiments/profiles.js';
import { CHROMIUM_HINT, findChromium } from '../plots/index.js';
import { COURSE_OUTPUTS, NOTEBOOKS, courseRunRecord, formatSeconds, missingOutputs, updateReadme, writeCourseRun, writeReport } from '../report/index.js';
import type { NotebookRun } from '../report/index.js';
import { describeEnvironment } from '../util/environment.js';
import { initBackend } from '../backend/index.js';
import { trainCourse } from '../experiments/course.js';
import { pretrainedFor } from '../experiments/run.js';
import { StoppedError } from '../train/index.js';
import type { TrainingsRun } from '../report/index.js';
import { addFigurePngs } from '../site/index.js';
import { buildCourseSite } from './site.js';
import { rmSync } from 'node:fs';
import { ENV, setting } from '../settings/index.js';

export { APT_LINE, APT_PACKAGES } from './setup.js';
export { ensurePackageLink } from './kernel.js';

const NOTEBOOK_FILE = /^\d\d-[A-Za-z0-9._-]+\.ipynb$/;

const USAGE = `usage: dgiqa reproduce [--profile smoke|demo|paper] [--only 03,05,...] [--keep-going] [--no-plan] [--from-scratch]

Executes the notebooks (notebooks/NN-*.ipynb) in order under one profile (default: DGIQA_PROFILE,
else demo), writes the executed copies to notebooks/executed/<profile>/ and figures/REPORT.md, and
fails when a cell fails or an expected figure or table is missing. Saved results are reused.
For the whole course, every training the notebooks need runs first, in one queue (as many at a
time as trainings run in parallel, largest first), so no core waits between notebooks; the
notebooks then read the saved results.
  --only        run these notebooks only (numbers or file names, comma-separated); no queue first
  --keep-going  run the remaining notebooks after one fails
  --no-plan     no queue first: each notebook runs its own trainings
  --from-scratch  train from random backbones (DGIQA_FROM_SCRATCH=1); the paper profile refuses to
                start without ImageNet backbones (DGIQA_PRETRAINED) unless given
Needs Jupyter's nbconvert, Chromium and fonts: checked before any work and, on Debian/Ubuntu as
root or with passwordless sudo, installed when missing (otherwise it stops with the command to run):
  ${APT_LINE}
The tslab kernelspec is (re)written as \`dgiqa kernel\` does.
`;

const log = (line: string): void => void process.stderr.write(line + '\n');

/**
 * The Python with nbconvert, nbclient and jupyter_client (ensureSetup has made sure one exists),
 * and the kit's kernelspec written (again) by `dgiqa kernel`'s code: absolute paths, no PATH needed.
 */
export function ensureJupyter(env: NodeJS.ProcessEnv, root = KIT_ROOT): string {
  const candidates = pythonCandidates(env);
  const python = candidates.find((p) => spawnSync(p, ['-c', 'import nbconvert, nbclient, nbformat, jupyter_client'], { env, stdio: 'ignore' }).status === 0);
  if (!python) throw new Error(`no Python with nbconvert, nbclient and jupyter_client found (tried ${candidates.join(', ')}); set DGIQA_PYTHON, or: ${APT_LINE}`);
  const { dir } = installKernel(root, jupyterDataDir(env));
  log(`kernel: ${KERNEL_NAME} -> ${dir}`);
  return python;
}

/** The course's notebooks on disk, in order; `only` keeps those whose number or name it lists. */
export function courseNotebooks(dir: string, only?: string[]): string[] {
  if (!existsSync(dir)) throw new Error(`${dir}: no notebooks folder`);
  const files = readdirSync(dir).filter((f) => NOTEBOOK_FILE.test(f)).sort();
  const missing = NOTEBOOKS.map((n) => n.file).filter((f) => !files.includes(f));
  if (missing.length > 0) throw new Error(`${dir}: missing notebooks ${missing.join(', ')}`);
  if (!only || only.length === 0) return files;
  const names = (f: string, o: string): boolean => f === o || f.startsWith(`${o.padStart(2, '0')}-`) || f.replace(/\.ipynb$/, '') === o;
  const picked = files.filter((f) => only.some((o) => names(f, o)));
  const unknown = only.filter((o) => !files.some((f) => names(f, o)));
  if (unknown.length > 0) throw new Error(`--only: no notebook ${unknown.join(', ')} in ${dir}`);
  return picked;
}

/**
 * Executes one notebook with nbconvert's ExecutePreprocessor (what `jupyter nbconvert --to notebook
 * --execute --ExecutePreprocessor.timeout=-1 --output-dir DIR` runs), driven from Python so that a
 * failure is reported with the kernel's own error: tslab writes an error to the cell's stderr
 * output, which the nbconvert command neither prints nor saves. On failure the partly executed
 * notebook is kept as <name>.failed.ipynb and one line `DGIQA-CELL-FAILURE {json}` goes to stderr.
 */
export const RUNNER_PY = `
import json, os, sys
import nbformat
from nbconvert.preprocessors import CellExecutionError, ExecutePreprocessor
src, out_dir = sys.argv[1], sys.argv[2]
nb = nbformat.read(src, as_version=4)
name = os.path.basename(src)
os.makedirs(out_dir, exist_ok=True)
failed = os.path.join(out_dir, name[:-len('.ipynb')] + '.failed.ipynb')
ep = ExecutePreprocessor(timeout=None, kernel_name=nb.metadata.get('kernelspec', {}).get('name', 'tslab'))
where = {}
def on_error(cell, cell_index, execute_reply):
    where['cell'] = cell_index
ep.on_cell_error = on_error
try:
    ep.preprocess(nb, {'metadata': {'path': os.path.dirname(os.path.abspath(src))}})
except CellExecutionError as err:
    i = where.get('cell')
    if i is None:  # an nbclient without hooks: the last cell that started
        ran = [k for k, c in enumerate(nb.cells) if c.cell_type == 'code' and c.get('execution_count') is not None]
        i = ran[-1] if ran else None
    cell = nb.cells[i] if i is not None else None
    text = []
    for o in (cell.outputs if cell is not None else []):
        if o.get('output_type') == 'stream' and o.get('name') == 'stderr':
            text.append(o.get('text', ''))
        elif o.get('output_type') == 'error':
            text.append(o.get('ename', '') + ': ' + o.get('evalue', '') + '\\n' + '\\n'.join(o.get('traceback', [])))
    nbformat.write(nb, failed)
    stale = os.path.join(out_dir, name)
    if os.path.exists(stale):
        os.remove(stale)
    info = {'cell': None if i is None else i + 1, 'source': cell.source if cell is not None else '', 'error': ''.join(text) or str(err), 'partial': failed}
    sys.stderr.write('DGIQA-CELL-FAILURE ' + json.dumps(info) + '\\n')
    sys.exit(3)
if os.path.exists(failed):
    os.remove(failed)
nbformat.write(nb, os.path.join(out_dir, name))
`;

export interface CellFailure {
  /** 1-based cell number in the notebook */
  cell: number | undefined;
  source: string;
  /** the kernel's error text (tslab: the cell's stderr output), escape codes and tslab's own frames removed */
  error: string;
  /** the partly executed notebook */
  partial?: string;
}

/** The failure line the runner writes, parsed; undefined when there is none (the kernel died, Python failed). */
export function parseCellFailure(stderr: string): CellFailure | undefined {
  const line = stderr.split('\n').reverse().find((l) => l.startsWith('DGIQA-CELL-FAILURE '));
  if (!line) return undefined;
  const info = JSON.parse(line.slice('DGIQA-CELL-FAILURE '.length)) as { cell: number | null; source: string; error: string; partial?: string };
  const error = info.error
    .split('\n')
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trimEnd())
    .filter((l) => l.trim() !== '' && !/node_modules[\\/]tslab[\\/]|\(node:(vm|internal)|at (sigintHandlersWrap|Script\.runInThisContext|Object\.runInThisContext)/.test(l))
    .slice(0, 12)
    .join('\n');
  return { cell: info.cell ?? undefined, source: info.source, error, ...(info.partial ? { partial: info.partial } : {}) };
}

const NOISE = [/^\[NbConvertApp\]/, /MissingIDFieldWarning/, /^\s*validate\(nb\)/, /Debugger warning/, /frozen modules/, /-Xfrozen_modules/, /PYDEVD_DISABLE_FILE_VALIDATION/, /^0\.\d\ds - /, /^DGIQA-CELL-FAILURE /];

/** Runs one notebook; anything the runner prints besides Jupyter's noise is passed through, indented. */
function executeNotebook(python: string, file: string, notebooksDir: string, outDir: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(python, ['-c', RUNNER_PY, file, outDir], { cwd: notebooksDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let pending = '';
    let quiet = false;
    const pass = (chunk: string, flush = false): void => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = flush ? '' : lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.split('\r').filter((s) => s.trim() !== '').pop() ?? '';
        // a Python traceback is summarised after the run, not passed through
        if (line.startsWith('Traceback (most recent call last)')) quiet = true;
        if (quiet || line.trim() === '' || NOISE.some((re) => re.test(line))) continue;
        log(`    ${line}`);
      }
    };
    child.stdout.on('data', (d: Buffer) => void (stderr += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const s = d.toString();
      stderr += s;
      pass(s);
    });
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
      resolve({ code: 127, stderr });
    });
    child.on('close', (code) => {
      pass('\n', true);
      resolve({ code: code ?? 1, stderr });
    });
  });
}

/**
 * Shows the progress notes a notebook's library calls append to `file` (emptied here), and, after
 * a minute with none, how long the notebook has been running.
 */
export function progressRelay(file: string, running: () => string, show: (line: string) => void = log): () => void {
  writeFileSync(file, '');
  let offset = 0;
  let lastShown = performance.now();
  return () => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return;
    }
    const end = bytes.lastIndexOf(0x0a) + 1; // whole lines only
    if (end > offset) {
      for (const line of bytes.subarray(offset, end).toString('utf8').split('\n')) if (line.trim()) show(`    ${line}`);
      offset = end;
      lastShown = performance.now();
    } else if (performance.now() - lastShown >= 60_000) {
      show(`    ... ${running()}`);
      lastShown = performance.now();
    }
  };
}

/** The course's trainings before the notebooks (src/experiments/course.ts). A failure is logged and left to the notebook that needs the training, which reports it at its cell. */
async function trainFirst(profile: Profile, env: NodeJS.ProcessEnv): Promise<TrainingsRun> {
  const backend = await initBackend();
  log(`[0] trainings: every training of the course first (${backend.message})`);
  // the library's progress notes go where the notebooks' go, relayed the same way
  process.env[ENV.DGIQA_PROGRESS] = env[ENV.DGIQA_PROGRESS];
  const start = performance.now();
  const relay = progressRelay(env[ENV.DGIQA_PROGRESS] as string, () => `trainings running for ${formatSeconds((performance.now() - start) / 1000)}`);
  const ticker = setInterval(relay, 5_000);
  try {
    const t = await trainCourse(profile, undefined, log);
    log(`[0] trainings: ${t.trained} trained (${t.saved} saved before) in ${formatSeconds(t.seconds)}`);
    return { ...t, ok: true };
  } catch (err) {
    if (err instanceof StoppedError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    log(`[0] trainings: FAILED: ${message.split('\n')[0]}; the notebooks run what is left and report where it fails`);
    return { trained: 0, saved: 0, parallel: 0, seconds: (performance.now() - start) / 1000, ok: false, error: message.split('\n')[0] };
  } finally {
    clearInterval(ticker);
    relay();
  }
}

export async function reproduceCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { profile: { type: 'string' }, only: { type: 'string', multiple: true }, 'keep-going': { type: 'boolean', default: false }, 'no-plan': { type: 'boolean', default: false }, 'from-scratch': { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const profile = profileFrom(values.profile ?? setting('DGIQA_PROFILE'));
  // through the environment: the notebooks' kernels and the trainings' workers inherit it
  if (values['from-scratch']) process.env[ENV.DGIQA_FROM_SCRATCH] = '1';
  pretrainedFor(profile); // the paper profile without ImageNet backbones stops here, not after the setup
  const root = KIT_ROOT;
  const notebooksDir = join(root, 'notebooks');
  const outDir = join(notebooksDir, 'executed', profile.name);
  const only = (values.only ?? []).flatMap((o) => o.split(',')).map((o) => o.trim()).filter(Boolean);
  const files = courseNotebooks(notebooksDir, only);

  // Jupyter, Chromium and fonts before any work: installed here (root or passwordless sudo) or a stop with the command to run
  await ensureSetup(process.env, log);
  if (!existsSync(join(root, 'dist', 'src', 'index.js'))) throw new Error(`${join(root, 'dist')}: the kit is not built; run \`npm run build\``);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [ENV.DGIQA_PROFILE]: profile.name,
    // the kit's kernelspec in the user's folder, even inside a virtualenv (jupyter_core prefers the env's there)
    JUPYTER_PREFER_ENV_PATH: '0',
    // the kernel's Python helpers stay quiet
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
    // the library's progress notes (src/util/progress.ts), relayed below while a notebook runs
    [ENV.DGIQA_PROGRESS]: join(outDir, 'progress.log'),
  };
  mkdirSync(outDir, { recursive: true });
  const python = ensureJupyter(env, root);
  const chromium = await findChromium();

  log(`reproduce: profile ${profile.name}, ${files.length} notebooks -> ${relative(root, outDir)}/, figures -> ${paths.figures}`);
  if (profile.name !== 'paper') log('  (the embedded benchmark: results show the method at work and cannot be compared with the paper\'s numbers)');
  if (!chromium) log(`  no Chromium: figures are written as HTML only; ${CHROMIUM_HINT}`);

  const t0 = performance.now();
  const trainings = only.length === 0 && !values['no-plan'] ? await trainFirst(profile, env) : undefined;
  const runs: NotebookRun[] = [];
  let failed = false;
  for (const [i, file] of files.entries()) {
    if (failed && !values['keep-going']) {
      runs.push({ notebook: file, seconds: 0, ok: false, skipped: true });
      continue;
    }
    log(`[${i + 1}/${files.length}] ${file} ...`);
    const start = performance.now();
    const relay = progressRelay(env[ENV.DGIQA_PROGRESS] as string, () => `${file} running for ${formatSeconds((performance.now() - start) / 1000)}`);
    const ticker = setInterval(relay, 5_000);
    const { code, stderr } = await executeNotebook(python, file, notebooksDir, outDir, env);
    clearInterval(ticker);
    relay();
    const seconds = (performance.now() - start) / 1000;
    if (code === 0) {
      log(`[${i + 1}/${files.length}] ${file} ok in ${formatSeconds(seconds)} (total ${formatSeconds((performance.now() - t0) / 1000)})`);
      runs.push({ notebook: file, seconds, ok: true, executed: join(outDir, file) });
      // each figure's PNG goes in now, before a later notebook could rewrite a figure of the same name
      const pngs = addFigurePngs(join(outDir, file), paths.figures, { sourceDir: notebooksDir, root });
      if (pngs.withoutPng.length > 0) log(`    ${pngs.withoutPng.length} figures left without a static PNG (no figures/<name>.png): ${pngs.withoutPng.join(', ')}`);
      continue;
    }
    failed = true;
    const f = parseCellFailure(stderr);
    const where = f ? `cell ${f.cell ?? '?'}${f.source ? ` (${JSON.stringify(f.source.split('\n')[0]!.slice(0, 80))})` : ''}` : 'outside the cells (kernel or Jupyter)';
    const error = f ? f.error : stderr.split('\n').filter((l) => l.trim() && !NOISE.some((re) => re.test(l))).slice(-8).join('\n');
    log(`[${i + 1}/${files.length}] ${file} FAILED at ${where} after ${formatSeconds(seconds)}:`);
    for (const l of error.split('\n')) log(`    ${l}`);
    if (f?.partial) log(`    the notebook as far as it ran: ${relative(root, f.partial)}`);
    runs.push({ notebook: file, seconds, ok: false, error: `${where}: ${error.split('\n').find((l) => l.trim() !== '') ?? 'failed'}` });
  }

  const site = courseSite(profile, outDir, files, only.length === 0);

  const expected = COURSE_OUTPUTS.filter((o) => files.includes(o.notebook));
  const missing = missingOutputs(paths.figures, chromium !== undefined, expected);
  const report = await writeReport({
    ...(site.index ? { site: site.index } : {}),
    profile: profile.name,
    figuresDir: paths.figures,
    notebooks: runs,
    ...(trainings ? { trainings } : {}),
    environment: await describeEnvironment(),
    missing,
    notes: chromium ? [] : [`PNG and SVG were not written (no Chromium): ${CHROMIUM_HINT}`],
    date: new Date().toISOString().slice(0, 10),
  });
  const total = (performance.now() - t0) / 1000;
  log(`report: ${report}`);
  await recordCourse(profile, paths.figures, runs, trainings, root);
  log(`total wall time: ${formatSeconds(total)} (${runs.filter((r) => r.ok).length}/${runs.length} notebooks ok)`);
  if (failed) {
    const bad = runs.filter((r) => !r.ok && !r.skipped).map((r) => r.notebook);
    log(`reproduce: FAILED: ${bad.join(', ')} (partly executed copies: ${relative(root, outDir)}/*.failed.ipynb)`);
    return 1;
  }
  if (missing.length > 0) {
    log(`reproduce: FAILED: ${missing.length} expected files missing from ${paths.figures}:`);
    for (const m of missing) log(`    ${m}`);
    return 1;
  }
  if (site.error) return 1;
  return 0;
}

/**
 * The run's timings beside REPORT.md; after a whole demo course into the kit's own figures/, the
 * README's result blocks are refilled from them (the committed README speaks of the demo course).
 */
async function recordCourse(profile: Profile, figuresDir: string, runs: NotebookRun[], trainings: TrainingsRun | undefined, root: string): Promise<void> {
  const date = new Date().toISOString().slice(0, 10);
  await writeCourseRun(figuresDir, courseRunRecord({ profile: profile.name, date, notebooks: runs, ...(trainings ? { trainings } : {}) }));
  const whole = runs.length === NOTEBOOKS.length && runs.every((r) => r.ok);
  if (profile.name !== 'demo' || !whole || realpathSync(figuresDir) !== realpathSync(join(root, 'figures'))) return;
  if (await updateReadme(join(root, 'README.md'), figuresDir)) log('README.md: its result blocks refilled from this run');
}

/**
 * The executed copies as readers get them: after a whole run, copies of notebooks no longer in the
 * course are removed (a renamed notebook leaves none behind); then the static site is built from
 * them. A failure is logged and returned, and the run fails after writing its report.
 */
function courseSite(profile: Profile, outDir: string, files: string[], whole: boolean): { index?: string; error?: string } {
  if (whole) {
    for (const f of readdirSync(outDir)) {
      if (!NOTEBOOK_FILE.test(f) || f.endsWith('.failed.ipynb') || files.includes(f)) continue;
      rmSync(join(outDir, f));
      log(`removed ${relative(KIT_ROOT, join(outDir, f))}: no such notebook in the course any more`);
    }
  }
  if (!files.some((f) => existsSync(join(outDir, f)))) return {};
  try {
    const built = buildCourseSite(profile.name, outDir);
    log(`site: ${relative(KIT_ROOT, built.index)} (${built.pages.length} pages, ${built.images} images)`);
    return { index: built.index };
  } catch (err) {
    const error = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'failed';
    log(`site: FAILED: ${error}`);
    return { error };
  }
}
