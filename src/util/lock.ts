// One run per output folder: a lock file names its holder (host, pid, and the process's start time,
// so a pid reused after a crash is not mistaken for the holder). A second run is refused while the
// holder lives; the lock of a process that died (SIGKILL, power cut) is taken over.
//
// Correct under races (issue 20): a lock appears whole (written to a temporary file, then `link`ed to
// its name, which fails if one exists), so a live lock is never empty; and a dead or empty lock is
// removed only by the one process that wins a guard named after its inode (`run.lock.<ino>`, created
// the same way). The inode is pinned by an open descriptor, so the number cannot be reused meanwhile,
// and only the guard's winner removes that inode: never an unconditional unlink of whatever is there.
// A guard left by a taker killed mid-take-over names a dead holder and is taken over the same way.
import { readFileSync } from 'node:fs';
import { link, lstat, open, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'run.lock';

interface Holder {
  host: string;
  pid: number;
  /** start time of the process in clock ticks since boot (Linux), '' elsewhere */
  started: string;
  since: string;
}

/** Field 22 of /proc/<pid>/stat: the start time, which tells a live holder from a reused pid. */
function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count fields after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function alive(h: Holder): boolean {
  if (h.host !== hostname()) return true; // another machine (shared disk): we cannot tell, so assume so
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  return h.started === '' || startTime(h.pid) === '' || startTime(h.pid) === h.started;
}

function parseHolder(text: string): Holder | undefined {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    if (typeof h.host === 'string' && Number.isInteger(h.pid) && typeof h.started === 'string') return h as Holder;
  } catch {
    // torn or foreign content: treated as no holder
  }
  return undefined;
}

/** Creates `path` holding `me`, whole or not at all; false if it exists. */
async function createWhole(path: string, me: Holder): Promise<boolean> {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, JSON.stringify(me) + '\n', { flag: 'wx' });
  try {
    await link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

type Seen = { state: 'gone' } | { state: 'live'; holder: Holder } | { state: 'removed' } | { state: 'busy' };

/**
 * Removes `path` if its holder is dead (or it names none), as the only process allowed to remove that
 * inode; 'busy' when another process is doing so right now. `depth` bounds guards of guards.
 */
async function removeIfDead(path: string, me: Holder, depth: number): Promise<Seen> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'gone' };
    throw err;
  }
  try {
    const ino = (await handle.stat()).ino;
    const holder = parseHolder(await handle.readFile('utf8'));
    if (holder && alive(holder)) return { state: 'live', holder };
    const guard = `${path}.${ino}`;
    if (!(await createWhole(guard, me))) {
      if (depth >= 3) return { state: 'busy' };
      const g = await removeIfDead(guard, me, depth + 1);
      return g.state === 'live' ? { state: 'busy' } : removeIfDead(path, me, depth);
    }
    try {
      // ours to remove only if the name still points at the inode we judged (held open: not reused)
      const now = await lstat(path).catch(() => undefined);
      if (now?.ino === ino) await unlink(path);
      return { state: 'removed' };
    } finally {
      await unlink(guard).catch(() => undefined);
    }
  } finally {
    await handle.close();
  }
}

/** Takes `dir`'s lock or throws a one-line error naming the holder; returns the release function. */
export async function lockFolder(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const me: Holder = { host: hostname(), pid: process.pid, started: startTime(process.pid), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 200; attempt++) {
    let created: boolean;
    try {
      created = await createWhole(path, me);
    } catch (err) {
      throw new Error(`${path}: cannot create the run lock (${(err as Error).message})`);
    }
    if (created) {
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(path).catch(() => undefined);
      };
    }
    const seen = await removeIfDead(path, me, 0).catch((err: Error) => {
      throw new Error(`${path}: cannot check the run lock (${err.message})`);
    });
    if (seen.state === 'live') {
      const holder = seen.holder;
      throw new Error(`${dir}: in use by another run (pid ${holder.pid} on ${holder.host}, since ${holder.since}); wait for it, or delete ${path} if that process is gone`);
    }
    // gone or removed: race for the name again; busy: another process is removing a dead lock
    if (seen.state === 'busy') await new Promise((r) => setTimeout(r, 2 + Math.random() * 8));
  }
  throw new Error(`${path}: could not take the run lock (another run keeps taking it)`);
}
