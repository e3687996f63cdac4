// A one-line progress bar on the terminal (loss, learning rate, images/s, ETA); a plain line now and
// then when stderr is not a terminal (CI logs, notebooks), so logs stay readable.
export class Progress {
  private readonly start = performance.now();
  private lastPrint = 0;
  constructor(private readonly label: string, private readonly total: number, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(done: number, images: number, fields: Record<string, number>): void {
    const now = performance.now();
    const elapsed = (now - this.start) / 1000;
    const rate = images / Math.max(elapsed, 1e-9);
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : NaN;
    const info = Object.entries(fields).map(([k, v]) => `${k} ${formatNumber(v)}`).join('  ');
    const text = `${this.label} ${done}/${this.total}  ${info}  ${rate.toFixed(1)} img/s  ETA ${formatSeconds(eta)}`;
    if (this.stream.isTTY) {
      const width = 24;
      const filled = Math.round((done / Math.max(this.total, 1)) * width);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
      if (done === this.total) this.stream.write('\n');
    } else if (done === this.total || now - this.lastPrint > 10_000) {
      this.lastPrint = now;
      this.stream.write(text + '\n');
    }
  }
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4);
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}
