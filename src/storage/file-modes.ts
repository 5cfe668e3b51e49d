import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Directories holding cluster state are the owner's only (0700), like k3s' data dir. */
export function secureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Files holding cluster state (the database, its WAL, logs) are 0600: created so, and fixed if older. */
export function secureFile(path: string, create = false): void {
  if (create && !existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  if (existsSync(path)) chmodSync(path, 0o600);
}

/** Container images and root filesystems are not state: their modes belong to the image. */
const skipped = new Set(['images', 'rootfs', 'bundle', 'blobs']);

/**
 * Start-up repair of a data dir written by an older skiff: the dir itself 0700, and every file under a
 * `logs` directory (pod logs) 0600. Bounded in depth; image trees are not walked.
 */
export function secureDataDir(dir: string): void {
  secureDir(dir);
  const walk = (d: string, depth: number, inLogs: boolean): void => {
    if (depth > 8) return;
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const name of entries) {
      const p = join(d, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (!skipped.has(name)) walk(p, depth + 1, inLogs || name === 'logs');
      } else if (inLogs && st.isFile() && (st.mode & 0o077) !== 0) chmodSync(p, 0o600);
    }
  };
  walk(dir, 0, false);
}
