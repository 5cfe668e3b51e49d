/**
 * A lock file for the image store, shared by the node's agents and `skiff image` (other processes):
 * created O_EXCL with the holder's pid; a lock whose holder is gone is taken over. Within one process
 * a promise chain orders the holders, so the file is only contended between processes.
 */
import fs from 'node:fs';

const chains = new Map<string, Promise<unknown>>();

export async function withStoreLock<T>(file: string, fn: () => Promise<T>, opts: { timeoutMs?: number } = {}): Promise<T> {
  const prev = chains.get(file) ?? Promise.resolve();
  const run = prev.catch(() => undefined).then(async () => {
    await acquire(file, opts.timeoutMs ?? 15 * 60_000);
    try {
      return await fn();
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
  chains.set(file, run);
  try {
    return await run;
  } finally {
    if (chains.get(file) === run) chains.delete(file);
  }
}

async function acquire(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readOr(file).trim());
    // an empty file is a holder between open and write, unless it stayed empty
    const unreadable = !Number.isInteger(holder) || holder <= 0;
    if ((unreadable && ageMs(file) > 5000) || (!unreadable && !alive(holder))) {
      // a crashed holder (or a half-written file): take it over, unless another waiter just did
      const stale = `${file}.stale-${process.pid}`;
      try {
        fs.renameSync(file, stale);
        fs.rmSync(stale, { force: true });
      } catch {
        /* someone else removed it first */
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`the image store is locked by process ${holder} (${file})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
