import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What a process that claims a data folder is. A `service` (the server) and `tests` (the test
 * suite) hold the folder for their whole life and let scripts and tests use their MariaDB; a
 * second service is refused. A `script` holds it only while it runs (others wait for it), and
 * uses a service's or the tests' MariaDB when one runs.
 */
export type FolderRole = 'service' | 'tests' | 'script';

/** Holders whose MariaDB others may use: they run it for as long as they live. */
export function isLongLived(role: FolderRole): boolean {
  return role !== 'script';
}

/** What the lock file says about its holder. */
export interface FolderHolder {
  pid: number;
  /** The process's start time (/proc/<pid>/stat), so a recycled pid is not taken for the holder. */
  started: string | null;
  role: FolderRole;
  command: string;
  token: string;
}

export type FolderClaim = { owned: true; release(): void } | { owned: false; holder: FolderHolder };

export const LOCK_FILE = 'mariadb.lock';
/** Breaking a stale lock takes microseconds: a breaker lock this old was left by a crash. */
const BREAKER_STALE_MS = 10_000;

/** Locks this process holds, by path: a second claim from the same process shares the first. */
const held = new Map<string, { count: number; text: string }>();
process.once('exit', () => {
  for (const [path, lock] of held) removeIfContains(path, lock.text);
});

/**
 * Claims a data folder with a lock file holding the owner's pid, created whole and exclusively
 * (link(2) of a finished draft fails if the name exists). A lock whose process is gone is stale and
 * broken: under a second exclusive "breaker" lock, and only if it still holds what was read, so two
 * processes breaking the same stale lock cannot remove each other's fresh one.
 */
export async function claimFolder(dataDir: string, role: FolderRole): Promise<FolderClaim> {
  const path = join(dataDir, LOCK_FILE);
  const mine = held.get(path);
  if (mine) {
    mine.count += 1;
    return { owned: true, release: releaser(path) };
  }
  const me: FolderHolder = {
    pid: process.pid,
    started: processStartTime(process.pid),
    role,
    command: [basename(process.argv[0] ?? 'node'), ...process.argv.slice(1)].join(' '),
    token: randomBytes(8).toString('hex'),
  };
  const text = JSON.stringify(me);
  const draft = `${path}.${me.pid}.${me.token}`;
  writeFileSync(draft, text);
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        linkSync(draft, path);
        held.set(path, { count: 1, text });
        return { owned: true, release: releaser(path) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = readIfExists(path);
      if (current === undefined) continue; // released meanwhile: claim again
      const holder = parseHolder(current);
      if (holder && isRunning(holder)) return { owned: false, holder };
      if (!breakStaleLock(path, current)) await sleep(20);
    }
  } finally {
    rmSync(draft, { force: true });
  }
  throw new Error(`could not take the lock ${path}: it keeps changing hands`);
}

function releaser(path: string): () => void {
  let released = false;
  return () => {
    const lock = held.get(path);
    if (released || !lock) return;
    released = true;
    lock.count -= 1;
    if (lock.count > 0) return;
    held.delete(path);
    removeIfContains(path, lock.text);
  };
}

/** Only breakers remove another's lock, one at a time, and only a dead holder's: what was read is what is removed. */
function breakStaleLock(path: string, staleText: string): boolean {
  const breaker = `${path}.break`;
  try {
    writeFileSync(breaker, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (ageMs(breaker) > BREAKER_STALE_MS) rmSync(breaker, { force: true });
    return false;
  }
  try {
    removeIfContains(path, staleText);
    return true;
  } finally {
    rmSync(breaker, { force: true });
  }
}

function removeIfContains(path: string, text: string): void {
  if (readIfExists(path) === text) rmSync(path, { force: true });
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function parseHolder(text: string): FolderHolder | undefined {
  try {
    const value = JSON.parse(text) as FolderHolder;
    return Number.isInteger(value.pid) && value.pid > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

function isRunning(holder: FolderHolder): boolean {
  if (!isAlive(holder.pid)) return false;
  const started = processStartTime(holder.pid);
  return holder.started === null || started === null || started === holder.started;
}

/** Whether a process with this pid exists (EPERM: it does, as another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat (start time since boot); null where there is no /proc. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
