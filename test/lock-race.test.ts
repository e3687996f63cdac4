// issue 20 (1): the folder lock admits one holder when many processes call lockFolder at the same
// instant, whatever the folder holds: the lock of a dead process (what a kill -9 leaves), an empty
// lock file, or none. Persistent contender processes keep the test fast: each round is a fresh folder.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LOCK_FILE } from '../src/util/lock.js';

const CONTENDERS = 6;
const ROUNDS_PER_KIND = 80;
const CHILD = fileURLToPath(new URL('./support/lockChild.js', import.meta.url));

/** The pid of a process that has exited: a real dead holder, as a kill -9 leaves it. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('lockFolder under a race', () => {
  it(`one holder among ${CONTENDERS} processes, ${3 * ROUNDS_PER_KIND} rounds: stale, empty and no lock file`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'dgiqa-lock-race-'));
    const stale = JSON.stringify({ host: hostname(), pid: deadPid(), started: '1', since: 'then' });
    const children = Array.from({ length: CONTENDERS }, () => spawn(process.execPath, [CHILD], { stdio: ['pipe', 'pipe', 'inherit'] }));
    const answers = new Map<string, string[]>();
    let notify: (() => void) | undefined;
    for (const child of children) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const at = line.indexOf(' ');
        const dir = line.slice(0, at);
        answers.set(dir, [...(answers.get(dir) ?? []), line.slice(at + 1)]);
        notify?.();
      });
    }
    const failures: string[] = [];
    try {
      for (let round = 0; round < 3 * ROUNDS_PER_KIND; round++) {
        const kind = (['stale', 'empty', 'none'] as const)[round % 3];
        const dir = join(root, `r${round}`);
        mkdirSync(dir);
        if (kind === 'stale') writeFileSync(join(dir, LOCK_FILE), stale);
        if (kind === 'empty') writeFileSync(join(dir, LOCK_FILE), '');
        const start = Date.now() + 20;
        for (const child of children) child.stdin.write(`${dir} ${start}\n`);
        while ((answers.get(dir)?.length ?? 0) < CONTENDERS) await new Promise<void>((r) => (notify = r));
        const got = answers.get(dir) ?? [];
        const held = got.filter((a) => a === 'held').length;
        if (held !== 1) failures.push(`round ${round} (${kind}): ${held} holders; ${got.join(' | ')}`);
        for (const a of got) if (a !== 'held' && !/in use by another run/.test(a)) failures.push(`round ${round} (${kind}): ${a}`);
        // nothing left beside the lock: no guard or temporary file
        const left = readdirSync(dir).filter((f) => f !== LOCK_FILE);
        if (left.length > 0) failures.push(`round ${round} (${kind}): left ${left.join(', ')}`);
      }
    } finally {
      for (const child of children) child.stdin.end();
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))));
      rmSync(root, { recursive: true, force: true });
    }
    assert.deepEqual(failures, []);
  });
});
