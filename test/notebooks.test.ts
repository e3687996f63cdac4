// The notebooks, checked statically (CI also executes them: .ci/run): valid nbformat 4 JSON, no
// outputs, the tslab kernel, imports from 'dgiqa' and 'tslab' only, a first cell that says what the
// notebook teaches, needs and how long it takes, a last cell with a summary and exercises. Also the
// pieces of `dgiqa reproduce` that need no Jupyter: the notebook list and the failure parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COURSE_OUTPUTS, NOTEBOOKS } from '../src/report/index.js';
import { RUNNER_PY, courseNotebooks, parseCellFailure, progressRelay } from '../src/cli/reproduce.js';
import { noteProgress } from '../src/util/progress.js';

// dist/test -> repository root
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIR = join(ROOT, 'notebooks');

interface Cell {
  cell_type: string;
  id?: string;
  metadata: unknown;
  source: string | string[];
  execution_count?: number | null;
  outputs?: unknown[];
}
interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: { name?: string; language?: string; display_name?: string } };
  cells: Cell[];
}

const files = readdirSync(DIR).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort();
const text = (c: Cell): string => (Array.isArray(c.source) ? c.source.join('') : c.source);
const load = (f: string): Notebook => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Notebook;

test('the course has its eleven notebooks, numbered in order', () => {
  assert.deepEqual(files, NOTEBOOKS.map((n) => n.file));
  for (const o of COURSE_OUTPUTS) assert.ok(files.includes(o.notebook), `${o.name}: made by ${o.notebook}, which does not exist`);
});

for (const f of files) {
  test(`${f}: valid nbformat 4, tslab kernel, committed without outputs`, () => {
    const nb = load(f);
    assert.equal(nb.nbformat, 4);
    assert.ok(nb.nbformat_minor >= 4, 'nbformat_minor >= 4');
    assert.equal(nb.metadata.kernelspec?.name, 'tslab');
    assert.equal(nb.metadata.kernelspec?.language, 'typescript');
    assert.ok(Array.isArray(nb.cells) && nb.cells.length >= 3);
    const ids = new Set<string>();
    nb.cells.forEach((c, i) => {
      assert.ok(['markdown', 'code', 'raw'].includes(c.cell_type), `cell ${i + 1}: cell_type ${c.cell_type}`);
      assert.ok(typeof c.source === 'string' || (Array.isArray(c.source) && c.source.every((s) => typeof s === 'string')), `cell ${i + 1}: source`);
      assert.equal(typeof c.metadata, 'object', `cell ${i + 1}: metadata`);
      if (nb.nbformat_minor >= 5) {
        assert.match(c.id ?? '', /^[a-zA-Z0-9_-]{1,64}$/, `cell ${i + 1}: id`);
        assert.ok(!ids.has(c.id!), `cell ${i + 1}: duplicate id ${c.id}`);
        ids.add(c.id!);
      }
      if (c.cell_type === 'code') {
        assert.equal(c.execution_count, null, `cell ${i + 1}: execution_count must be null (commit without outputs)`);
        assert.deepEqual(c.outputs, [], `cell ${i + 1}: outputs must be empty (commit without outputs)`);
      } else {
        assert.equal(c.outputs, undefined, `cell ${i + 1}: a ${c.cell_type} cell has no outputs`);
      }
    });
  });

  test(`${f}: imports only from 'dgiqa' and 'tslab'`, () => {
    const nb = load(f);
    const code = nb.cells.filter((c) => c.cell_type === 'code').map(text).join('\n');
    const specifiers = [
      ...[...code.matchAll(/\bfrom\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!),
      ...[...code.matchAll(/\bimport\s+['"]([^'"]+)['"]/g)].map((m) => m[1]!),
      ...[...code.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
    ];
    assert.ok(specifiers.includes('dgiqa'), 'imports dgiqa');
    for (const s of specifiers) assert.ok(s === 'dgiqa' || s === 'tslab', `imports "${s}": notebooks import only 'dgiqa' and 'tslab' (logic lives in the library)`);
    assert.doesNotMatch(code, /\brequire\s*\(/, 'no require()');
  });

  test(`${f}: opens with what it teaches, needs and how long it takes; closes with a summary and exercises`, () => {
    const nb = load(f);
    const first = nb.cells[0]!;
    assert.equal(first.cell_type, 'markdown');
    const head = text(first);
    assert.match(head, /^# \d\d · /, 'a numbered title');
    for (const part of ['What it teaches', 'What it needs', 'How long']) assert.ok(head.includes(part), `first cell says "${part}"`);
    const howLong = head.slice(head.indexOf('How long'));
    for (const p of ['smoke', 'demo', 'paper']) assert.ok(howLong.includes(p), `"How long" covers the ${p} profile`);
    const last = nb.cells[nb.cells.length - 1]!;
    assert.equal(last.cell_type, 'markdown');
    const tail = text(last);
    assert.match(tail, /^## Summary$/m);
    assert.match(tail, /^## Exercises$/m);
    const exercises = tail.slice(tail.indexOf('## Exercises'));
    assert.ok((exercises.match(/^\d+\. /gm) ?? []).length >= 3, 'at least three exercises');
  });

  test(`${f}: short cells; heavy steps through the library`, () => {
    const nb = load(f);
    nb.cells.filter((c) => c.cell_type === 'code').forEach((c, i) => {
      const lines = text(c).split('\n').length;
      assert.ok(lines <= 25, `code cell ${i + 1} has ${lines} lines (keep cells short; move logic into src/)`);
      assert.doesNotMatch(text(c), /\b(class|function)\s+\w+/, `code cell ${i + 1} defines a class or function: that belongs in the library`);
    });
  });
}

test('courseNotebooks: in order, --only by number or name, unknown names refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-nb-'));
  try {
    for (const n of NOTEBOOKS) await writeFile(join(dir, n.file), '{}');
    await writeFile(join(dir, 'scratch.ipynb'), '{}');
    assert.deepEqual(courseNotebooks(dir), NOTEBOOKS.map((n) => n.file));
    assert.deepEqual(courseNotebooks(dir, ['3', '05-benchmarks', '10-full-reference.ipynb']), ['03-model.ipynb', '05-benchmarks.ipynb', '10-full-reference.ipynb']);
    assert.throws(() => courseNotebooks(dir, ['42']), /--only: no notebook 42/);
    await rm(join(dir, '06-cross.ipynb'));
    assert.throws(() => courseNotebooks(dir), /missing notebooks 06-cross\.ipynb/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('progress: the library\'s notes go to DGIQA_PROGRESS, the relay shows whole new lines once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dgiqa-progress-'));
  const file = join(dir, 'progress.log');
  const shown: string[] = [];
  const relay = progressRelay(file, () => 'nb running', (l) => shown.push(l));
  relay();
  assert.deepEqual(shown, []);
  const saved = process.env.DGIQA_PROGRESS;
  process.env.DGIQA_PROGRESS = file;
  try {
    noteProgress('synth-A split 1/10: train 960, test 240');
    noteProgress('two\nlines');
  } finally {
    if (saved === undefined) delete process.env.DGIQA_PROGRESS;
    else process.env.DGIQA_PROGRESS = saved;
  }
  appendFileSync(file, 'half a li');
  relay();
  assert.deepEqual(shown, ['    synth-A split 1/10: train 960, test 240', '    two lines']);
  appendFileSync(file, 'ne\n');
  relay();
  relay();
  assert.deepEqual(shown.slice(2), ['    half a line']);
  noteProgress('not written: DGIQA_PROGRESS is unset');
  assert.ok(!readFileSync(file, 'utf8').includes('not written'));
  await rm(dir, { recursive: true, force: true });
});

test('parseCellFailure reads the runner\'s failure line and keeps the error, not tslab\'s frames', () => {
  const info = {
    cell: 4,
    source: 'const bad = await experiments.openBenchmark("nope", profile);',
    error: [
      '\x1b[31mError: /x/data/datasets/nope: dataset "nope" not found (see data/README.md)\x1b[0m',
      '    at Module.openBenchmark (file:///x/dist/src/experiments/datasets.js:43:15)',
      '    at evalmachine.<anonymous>:3:39',
      '    at sigintHandlersWrap (node:vm:280:12)',
      '    at Object.execute (/x/node_modules/tslab/dist/executor.js:160:38)',
      '',
    ].join('\n'),
    partial: '/x/notebooks/executed/smoke/06-cross.failed.ipynb',
  };
  const stderr = ['[NbConvertApp] Executing notebook with kernel: tslab', `DGIQA-CELL-FAILURE ${JSON.stringify(info)}`, ''].join('\n');
  const f = parseCellFailure(stderr);
  assert.ok(f);
  assert.equal(f.cell, 4);
  assert.equal(f.source, info.source);
  assert.equal(f.partial, info.partial);
  assert.deepEqual(f.error.split('\n'), [
    'Error: /x/data/datasets/nope: dataset "nope" not found (see data/README.md)',
    '    at Module.openBenchmark (file:///x/dist/src/experiments/datasets.js:43:15)',
    '    at evalmachine.<anonymous>:3:39',
  ]);
  assert.equal(parseCellFailure('Traceback (most recent call last):\nRuntimeError: Kernel died'), undefined);
});

test('the runner is nbconvert\'s ExecutePreprocessor without a timeout, writing to the output folder', () => {
  assert.match(RUNNER_PY, /from nbconvert\.preprocessors import CellExecutionError, ExecutePreprocessor/);
  assert.match(RUNNER_PY, /ExecutePreprocessor\(timeout=None/);
  assert.match(RUNNER_PY, /nbformat\.write\(nb, os\.path\.join\(out_dir, name\)\)/);
});
