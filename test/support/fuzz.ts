// The property every reader fuzz case must hold: the input parses, or the reader throws a clean
// error (its own error class, one line, starting with the file's label). Anything else (a
// RangeError or TypeError escaping, a message that leaks an internal JavaScript failure, a case
// that takes seconds, memory that grows far beyond the input, a polluted Object.prototype) is a
// finding, reported with the case's index and mutations so it can be replayed.

/** Messages of JavaScript engine failures: wrapped into a clean class they still mean a reader bug. */
const ENGINE_FAILURE =
  /Cannot read propert|Cannot set propert|is not a function|is not iterable|is not defined|undefined is not|Maximum call stack|Invalid array length|Invalid typed array length|Array buffer allocation failed|out of memory|Offset is outside|outside the bounds of the DataView|Invalid code point|RangeError|TypeError/;

export type ErrorClass = abstract new (...args: never[]) => Error;

export interface FuzzInput {
  /** The label the reader gets; errors must start with it. */
  label: string;
  bytes: Uint8Array;
  /** What was done to the valid input (for failure reports). */
  ops: string;
}

export interface FuzzOptions {
  /** Error classes the reader may throw: subclasses count, except that `Error` means plain Error only. */
  errors: readonly ErrorClass[];
  /** Extra bytes a case may allocate (array buffers + JS heap), given the input's size. */
  budget: (inputBytes: number) => number;
  /** A single case slower than this is a finding: a hang detector, far above any honest case (tens of ms), not a speed test. */
  maxCaseMs?: number;
  /** Extra check of a refusal (e.g. that it names the refused pickle global); returns a problem or undefined. */
  checkError?: (err: Error, input: FuzzInput) => string | undefined;
}

export interface FuzzReport {
  reader: string;
  cases: number;
  parsed: number;
  refused: number;
  slowestMs: number;
  /** Up to 8 findings, each with the case index and mutations. */
  findings: string[];
  /** Total number of findings. */
  failures: number;
}

/** The problem with an error thrown for `label`, or undefined when it is a clean refusal. */
export function cleanErrorProblem(err: unknown, label: string, errors: readonly ErrorClass[]): string | undefined {
  if (!(err instanceof Error)) return `threw a non-Error ${typeof err}: ${String(err).slice(0, 120)}`;
  // Plain Error is what some readers throw; its subclasses RangeError and TypeError are engine failures.
  if (!errors.some((cls) => (cls === Error ? err.constructor === Error : err instanceof cls))) return `threw ${err.name} (${err.constructor.name}): ${err.message.slice(0, 200)}`;
  const msg = err.message;
  if (/[\r\n]/.test(msg)) return `message is not one line: ${JSON.stringify(msg.slice(0, 200))}`;
  // `<file>: problem`, or `<file> [sheet]: problem` for a spreadsheet's sheet.
  if (!msg.startsWith(`${label}: `) && !msg.startsWith(`${label} [`)) return `message does not start with the file: ${msg.slice(0, 200)}`;
  if (msg.length > 2000) return `message is ${msg.length} characters long`;
  if (ENGINE_FAILURE.test(msg)) return `message leaks an engine failure: ${msg.slice(0, 200)}`;
  return undefined;
}

const MB = 1 << 20;

function allocated(): number {
  const m = process.memoryUsage();
  return m.arrayBuffers + m.heapUsed;
}

/**
 * Runs `count` cases through `parse`. Synchronous readers are timed exactly; async ones (sharp)
 * include the event-loop hop. Returns the counts; the caller asserts on `failures`.
 */
export async function fuzz(
  reader: string,
  count: number,
  makeInput: (i: number) => FuzzInput,
  parse: (bytes: Uint8Array, label: string) => unknown,
  options: FuzzOptions,
): Promise<FuzzReport> {
  const report: FuzzReport = { reader, cases: 0, parsed: 0, refused: 0, slowestMs: 0, findings: [], failures: 0 };
  const maxMs = options.maxCaseMs ?? 10_000;
  const protoKeys = Object.getOwnPropertyNames(Object.prototype).join(',');
  const note = (i: number, input: FuzzInput, problem: string): void => {
    report.failures += 1;
    if (report.findings.length < 8) report.findings.push(`#${i} [${input.ops}] (${input.bytes.byteLength} bytes): ${problem}`);
  };
  // DGIQA_FUZZ_TRACE=1 names each case before it runs, to find the one that hangs or crashes the process.
  const trace = process.env.DGIQA_FUZZ_TRACE === '1';
  for (let i = 0; i < count; i++) {
    const input = makeInput(i);
    if (trace) process.stderr.write(`${reader} #${i} [${input.ops}]\n`);
    const before = allocated();
    const rssBefore = process.memoryUsage.rss();
    const t0 = performance.now();
    try {
      await parse(input.bytes, input.label);
      report.parsed += 1;
    } catch (err) {
      const problem = cleanErrorProblem(err, input.label, options.errors) ?? options.checkError?.(err as Error, input);
      if (problem === undefined) report.refused += 1;
      else note(i, input, problem);
    }
    const ms = performance.now() - t0;
    report.slowestMs = Math.max(report.slowestMs, ms);
    if (ms > maxMs) note(i, input, `took ${ms.toFixed(0)} ms`);
    const grew = allocated() - before;
    const budget = options.budget(input.bytes.byteLength);
    if (grew > budget) note(i, input, `memory grew by ${grew} bytes (budget ${budget})`);
    // Native allocations (libvips rasters) show only in the resident set; it is noisy, so the bar is higher.
    const rssGrew = process.memoryUsage.rss() - rssBefore;
    if (rssGrew > Math.max(256 * MB, budget)) note(i, input, `resident set grew by ${rssGrew} bytes`);
    report.cases += 1;
  }
  if (Object.getOwnPropertyNames(Object.prototype).join(',') !== protoKeys) {
    report.failures += 1;
    report.findings.push('Object.prototype gained properties (prototype pollution)');
  }
  return report;
}

/** One line for the test log, quoted by the README. */
export function describeReport(r: FuzzReport): string {
  return `fuzz ${r.reader}: ${r.cases} cases, ${r.parsed} parsed, ${r.refused} refused cleanly, ${r.failures} findings, slowest ${r.slowestMs.toFixed(1)} ms`;
}
