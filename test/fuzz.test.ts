// Files from strangers: every reader of checkpoints (.pth, safetensors), label files (MAT, CSV,
// XLSX) and images (BMP, PNG, JPEG) is fed thousands of seeded, deterministic mutations of valid
// inputs and hostile pickles. Each case must parse or fail with the reader's own one-line error
// naming the file: no RangeError or TypeError, no slow case, no memory the file cannot justify,
// no code run. The counts print as `fuzz <reader>: N cases ...` lines (quoted by the README);
// DGIQA_FUZZ_SCALE=10 runs ten times as many cases for a deeper local search.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { decodeImageBytes } from '../src/data/image.js';
import { sheetTable } from '../src/data/loaders/csiq.js';
import { DataError } from '../src/data/loaders/files.js';
import { csvTable, parseNumber, readWorkbook, requireColumn } from '../src/data/loaders/table.js';
import { matNumbers, matStrings, parseMat } from '../src/data/mat.js';
import { Rng, deriveSeed } from '../src/util/rng.js';
import { CheckpointFormatError, type TensorFile, numelOf, parseCheckpoint, parsePth } from '../src/weights/formats.js';
import { type FuzzInput, type FuzzOptions, type FuzzReport, describeReport, fuzz } from './support/fuzz.js';
import {
  bigPthCase,
  bigSafetensorsHot,
  hostileCase,
  type HostileCase,
  pthCase,
  safetensorsCase,
  smallPths,
  smallSafetensors,
  zipHotSpots,
} from './support/fuzzCheckpoints.js';
import { bmpCase, csvBase, csvCase, imageBases, jpegCase, matBases, matCase, pngCase, xlsxBase, xlsxCase } from './support/fuzzData.js';
import { Mutator } from './support/mutate.js';

const SEED = 20250530;
const SCALE = Math.max(0.01, Number(process.env.DGIQA_FUZZ_SCALE ?? 1));
const n = (count: number): number => Math.max(1, Math.round(count * SCALE));

/** Cases per reader (before DGIQA_FUZZ_SCALE). */
const CASES = {
  pth: n(8000),
  pthFixture: n(300),
  pickleHostile: n(5000),
  safetensors: n(8000),
  safetensorsFixture: n(300),
  mat: n(6000),
  csv: n(3000),
  xlsx: n(1500),
  bmp: n(4000),
  png: n(1500),
  jpeg: n(1500),
};

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/parity-tiny/', import.meta.url));
const MB = 1 << 20;
/** Checkpoints: decoded tensors are views of the file or copies of parts of it. */
const checkpointBudget = (bytes: number): number => 64 * MB + 4 * bytes;
/** Label files and images: small inputs; inflating and decoding may multiply them a thousandfold. */
const dataBudget = (bytes: number): number => 64 * MB + 1100 * bytes;

const reports: FuzzReport[] = [];

function mutator(reader: string): Mutator {
  return new Mutator(new Rng(deriveSeed(SEED, reader)));
}

async function run(
  reader: string,
  count: number,
  make: (i: number) => FuzzInput,
  parse: (bytes: Uint8Array, label: string) => unknown,
  options: FuzzOptions,
): Promise<FuzzReport> {
  const report = await fuzz(reader, count, make, parse, options);
  reports.push(report);
  console.log(describeReport(report));
  assert.equal(report.failures, 0, `${reader}: ${report.failures} findings:\n${report.findings.join('\n')}`);
  assert.equal(report.cases, count);
  assert.equal(report.parsed + report.refused, count);
  return report;
}

/** A successful parse must be self-consistent: every tensor's data has as many values as its shape. */
function checkTensors(file: TensorFile): void {
  for (const [name, t] of file.tensors) {
    if (t.data.length !== numelOf(t.shape)) throw new Error(`parsed tensor ${name} has ${t.data.length} values for shape [${t.shape}]`);
  }
}

const checkpointOptions: FuzzOptions = { errors: [CheckpointFormatError], budget: checkpointBudget };

describe('fuzz: checkpoint readers', () => {
  it(`pth: ${CASES.pth} mutated small checkpoints and ${CASES.pthFixture} of the parity fixture`, async () => {
    const bases = smallPths();
    const m = mutator('pth');
    const small = await run('pth', CASES.pth, (i) => pthCase(bases, m, i), (b, l) => checkTensors(parseCheckpoint(b, l)), checkpointOptions);
    // The mutations must reach past the first check: some parse, most are refused at many places.
    assert.ok(small.parsed > 0 && small.refused > CASES.pth / 2, describeReport(small));
    const fixture = new Uint8Array(readFileSync(join(FIXTURES, 'weights.pth')));
    const hot = zipHotSpots(fixture).filter((k) => k < 4096 || k > fixture.byteLength - 200_000);
    const mf = mutator('pth-fixture');
    await run('pth fixture', CASES.pthFixture, (i) => bigPthCase(fixture, hot, mf, i), (b, l) => checkTensors(parsePth(b, l)), checkpointOptions);
  });

  it(`pickle: ${CASES.pickleHostile} hostile pickles are refused by name and run nothing`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dgiqa-fuzz-'));
    const sentinel = join(dir, 'pwned');
    try {
      const m = mutator('pickle');
      const expected = new Map<string, string>();
      const make = (i: number): HostileCase => {
        const c = hostileCase(m, i, sentinel);
        expected.set(c.label, c.expect);
        return c;
      };
      const report = await run('pickle hostile', CASES.pickleHostile, make, (b, l) => parsePth(b, l), {
        ...checkpointOptions,
        checkError: (err, input) => {
          const want = expected.get(input.label)!;
          return err.message.includes(want) ? undefined : `refusal does not say ${JSON.stringify(want)}: ${err.message}`;
        },
      });
      assert.equal(report.parsed, 0, 'a hostile pickle loaded');
      assert.equal(existsSync(sentinel), false, 'a hostile pickle created the sentinel file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`safetensors: ${CASES.safetensors} mutated small files and ${CASES.safetensorsFixture} of the parity fixture`, async () => {
    const bases = [smallSafetensors()];
    const m = mutator('safetensors');
    const small = await run('safetensors', CASES.safetensors, (i) => safetensorsCase(bases, m, i), (b, l) => checkTensors(parseCheckpoint(b, l)), checkpointOptions);
    assert.ok(small.parsed > 0 && small.refused > CASES.safetensors / 2, describeReport(small));
    const fixture = new Uint8Array(readFileSync(join(FIXTURES, 'weights.safetensors')));
    const hot = bigSafetensorsHot(fixture);
    const mf = mutator('safetensors-fixture');
    await run(
      'safetensors fixture',
      CASES.safetensorsFixture,
      (i) => ({ label: `fixture-${i}.safetensors`, ...mf.mutate(fixture, hot, 2) }),
      (b, l) => checkTensors(parseCheckpoint(b, l)),
      checkpointOptions,
    );
  });
});

const dataOptions: FuzzOptions = { errors: [Error, DataError], budget: dataBudget };

describe('fuzz: label-file and image readers', () => {
  it(`MAT: ${CASES.mat} mutated label files`, async () => {
    const b = matBases();
    const m = mutator('mat');
    const report = await run('mat', CASES.mat, (i) => matCase(b, m, i), (bytes, label) => {
      const mat = parseMat(bytes, label);
      // What the loaders ask of a label file: numbers and strings by variable name.
      for (const [name, v] of mat.variables) {
        if (v.kind === 'numeric') matNumbers(mat, name);
        else if (v.kind === 'cell' || v.kind === 'char') matStrings(mat, name);
      }
    }, dataOptions);
    assert.ok(report.parsed > 0 && report.refused > 0, describeReport(report));
  });

  it(`CSV: ${CASES.csv} mutated label tables`, async () => {
    const base = csvBase();
    const m = mutator('csv');
    await run('csv', CASES.csv, (i) => csvCase(base, m, i), (bytes, label) => {
      const table = csvTable(label, Buffer.from(bytes).toString('utf8').replace(/^\uFEFF/, ''));
      requireColumn(table, 'image_name');
      const mos = requireColumn(table, 'MOS');
      table.rows.forEach((row, k) => parseNumber(table.file, table.lines[k]!, 'MOS', row[mos]!));
    }, dataOptions);
  });

  it(`XLSX: ${CASES.xlsx} mutated workbooks`, async () => {
    const base = xlsxBase();
    const m = mutator('xlsx');
    await run('xlsx', CASES.xlsx, (i) => xlsxCase(base, m, i), (bytes, label) => {
      // As loadCsiq reads csiq.DMOS.xlsx.
      const book = readWorkbook(label, bytes);
      const name = book.SheetNames.find((s) => s.toLowerCase() === 'all_by_image');
      if (name === undefined) throw new DataError(label, 'sheet "all_by_image" not found');
      const table = sheetTable(`${label} [${name}]`, book.Sheets[name]!);
      const dmos = requireColumn(table, 'dmos');
      requireColumn(table, 'image');
      table.rows.forEach((row, k) => parseNumber(table.file, table.lines[k]!, 'dmos', row[dmos]!));
    }, { ...dataOptions, maxCaseMs: 5000 });
  });

  it(`images: ${CASES.bmp} BMP, ${CASES.png} PNG and ${CASES.jpeg} JPEG mutated images`, async () => {
    const bases = await imageBases();
    const mb = mutator('bmp');
    await run('bmp', CASES.bmp, (i) => bmpCase(bases, mb, i), (b, l) => decodeImageBytes(b, l), dataOptions);
    const mp = mutator('png');
    await run('png', CASES.png, (i) => pngCase(bases, mp, i), (b, l) => decodeImageBytes(b, l), dataOptions);
    const mj = mutator('jpeg');
    await run('jpeg', CASES.jpeg, (i) => jpegCase(bases, mj, i), (b, l) => decodeImageBytes(b, l), dataOptions);
  });
});

after(() => {
  const total = reports.reduce((s, r) => s + r.cases, 0);
  console.log(`fuzz total: ${total} cases over ${reports.length} readers, ${reports.reduce((s, r) => s + r.failures, 0)} findings`);
});
