// One run per output folder: a lock file names its holder (host, pid, and the process's start time,
// so a pid reused after a crash is not mistaken for the holder). A second run is refused while the
// holder lives; the lock of a process that died (SIGKILL, power cut) is taken over.
import { readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
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

/** Takes `dir`'s lock or throws a one-line error naming the holder; returns the release function. */
export async function lockFolder(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  const me: Holder = { host: hostname(), pid: process.pid, started: startTime(process.pid), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const h = await open(path, 'wx');
      try {
        await h.writeFile(JSON.stringify(me) + '\n');
        await h.sync();
      } finally {
        await h.close();
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await unlink(path).catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`${path}: cannot create the run lock (${(err as Error).message})`);
    }
    const holder = parseHolder(await readFile(path, 'utf8').catch(() => ''));
    if (holder && alive(holder)) {
      throw new Error(`${dir}: in use by another run (pid ${holder.pid} on ${holder.host}, since ${holder.since}); wait for it, or delete ${path} if that process is gone`);
    }
    // the holder died without releasing: take the lock over (unlink, then race for 'wx' again)
    await unlink(path).catch(() => undefined);
  }
  throw new Error(`${path}: could not take the run lock (another run keeps taking it)`);
}
