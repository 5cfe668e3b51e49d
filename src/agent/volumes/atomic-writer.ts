/**
 * The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go): a volume's files live in a timestamped
 * directory `..2006_01_02_15_04_05.NNN`; `..data` is a symlink to it and every user-visible top-level
 * path is a symlink through `..data`. An update writes a new timestamped directory, swaps `..data` with a
 * rename (atomic for readers) and removes the old directory, so a reader never sees half an update.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomInt } from 'node:crypto';

export interface FileProjection {
  data: Buffer;
  /** File mode (0644 = 420 by default). */
  mode: number;
}

export type Payload = Map<string, FileProjection>;

const DATA = '..data';
const DATA_TMP = '..data_tmp';

/** validatePath: relative, no `..` element, not starting with `..`. */
export function validatePayloadPath(p: string): string | undefined {
  if (p === '') return 'invalid path: must not be empty';
  if (path.isAbsolute(p)) return `invalid path: must be relative path: ${p}`;
  if (p.split('/').includes('..')) return `invalid path: must not contain '..': ${p}`;
  if (p.startsWith('..')) return `invalid path: must not start with '..': ${p}`;
  return undefined;
}

function tsDirName(now: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${pad(now.getUTCHours())}_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}`;
  return `..${stamp}.${randomInt(1e9)}`;
}

/** Whether the current `..data` holds exactly `payload` (contents and modes). */
function unchanged(dataDir: string, payload: Payload): boolean {
  let existing: string[];
  try {
    existing = listFiles(dataDir);
  } catch {
    return false;
  }
  if (existing.length !== payload.size) return false;
  for (const [p, f] of payload) {
    try {
      const full = path.join(dataDir, p);
      const st = fs.statSync(full);
      if ((st.mode & 0o7777) !== f.mode) return false;
      if (!fs.readFileSync(full).equals(f.data)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(path.join(dir, e.name), rel));
    else out.push(rel);
  }
  return out;
}

/**
 * Writes `payload` into `targetDir` with the AtomicWriter layout. Returns false when the volume already
 * held exactly this payload (nothing written).
 */
export function writeAtomic(targetDir: string, payload: Payload, now: Date = new Date()): boolean {
  for (const p of payload.keys()) {
    const bad = validatePayloadPath(p);
    if (bad) throw new Error(bad);
  }
  fs.mkdirSync(targetDir, { recursive: true });
  const dataLink = path.join(targetDir, DATA);
  let oldTsName: string | undefined;
  try {
    oldTsName = fs.readlinkSync(dataLink);
  } catch {
    oldTsName = undefined;
  }
  if (oldTsName !== undefined && unchanged(path.join(targetDir, oldTsName), payload)) return false;
  const oldUserVisible = oldTsName !== undefined ? topLevel(listFilesSafe(path.join(targetDir, oldTsName))) : new Set<string>();

  const tsName = tsDirName(now);
  const tsDir = path.join(targetDir, tsName);
  fs.mkdirSync(tsDir, { mode: 0o755 });
  fs.chmodSync(tsDir, 0o755);
  for (const [p, f] of payload) {
    const full = path.join(tsDir, p);
    fs.mkdirSync(path.dirname(full), { recursive: true, mode: 0o755 });
    fs.writeFileSync(full, f.data, { mode: f.mode });
    fs.chmodSync(full, f.mode);
  }
  // the new ..data: a temporary symlink renamed over the old one
  const tmp = path.join(targetDir, DATA_TMP);
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(tsName, tmp);
  fs.renameSync(tmp, dataLink);

  const newUserVisible = topLevel(payload.keys());
  for (const name of newUserVisible) {
    const link = path.join(targetDir, name);
    try {
      if (fs.readlinkSync(link) === path.join(DATA, name)) continue;
    } catch {
      // absent, or not a symlink
    }
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(path.join(DATA, name), link);
  }
  for (const name of oldUserVisible) if (!newUserVisible.has(name)) fs.rmSync(path.join(targetDir, name), { force: true });
  if (oldTsName !== undefined && oldTsName !== tsName && oldTsName.startsWith('..')) fs.rmSync(path.join(targetDir, oldTsName), { recursive: true, force: true });
  return true;
}

function listFilesSafe(dir: string): string[] {
  try {
    return listFiles(dir);
  } catch {
    return [];
  }
}

function topLevel(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) out.add(p.split('/')[0]!);
  return out;
}
