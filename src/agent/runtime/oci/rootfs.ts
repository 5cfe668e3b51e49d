/**
 * A container's root filesystem: an overlay whose lower layer is the image's unpacked rootfs (shared,
 * never written) and whose upper/work dirs are the container's own, mounted at `<bundle>/rootfs`.
 * Where overlayfs is not available, a private copy of the image rootfs instead (slower, said once in the
 * runtime's description). Paths inside it are resolved as the container would (absolute symlinks point
 * into the rootfs, not the host).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type RootfsMode = 'overlay' | 'copy';

/** Tries an overlay mount in `scratch` (then removes it); returns why not when it fails. */
export function probeOverlay(scratch: string): { ok: true } | { ok: false; why: string } {
  const dir = fs.mkdtempSync(path.join(scratch, 'overlay-probe-'));
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((n) => path.join(dir, n));
  try {
    for (const d of [lower!, upper!, work!, merged!]) fs.mkdirSync(d);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, merged!], { stdio: ['ignore', 'ignore', 'pipe'] });
    execFileSync('umount', [merged!]);
    return { ok: true };
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    return { ok: false, why: `overlay mount failed (${stderr || (err as Error).message})` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Mounts (or copies) `imageRootfs` as the container's root at `<bundle>/rootfs`; returns that path. */
export function prepareRootfs(mode: RootfsMode, imageRootfs: string, bundle: string): string {
  const root = path.join(bundle, 'rootfs');
  if (isMountPoint(root)) return root; // adopted: still mounted
  fs.mkdirSync(root, { recursive: true });
  if (mode === 'copy') {
    execFileSync('cp', ['-a', `${imageRootfs}/.`, root]);
    return root;
  }
  const upper = path.join(bundle, 'upper');
  const work = path.join(bundle, 'work');
  fs.mkdirSync(upper, { recursive: true });
  fs.mkdirSync(work, { recursive: true });
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${imageRootfs},upperdir=${upper},workdir=${work}`, root]);
  return root;
}

/** Unmounts the container's root (if mounted) and removes its bundle. */
export function releaseRootfs(bundle: string): void {
  const root = path.join(bundle, 'rootfs');
  if (isMountPoint(root)) {
    try {
      execFileSync('umount', [root], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', root], { stdio: 'ignore' });
    }
  }
  fs.rmSync(bundle, { recursive: true, force: true });
}

export function isMountPoint(p: string): boolean {
  try {
    return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);
  } catch {
    return false;
  }
}

/** `p` (absolute, in the container) as a host path, following symlinks inside `rootfs`. */
export function resolveInRootfs(rootfs: string, p: string, depth = 0): string | undefined {
  if (depth > 40) return undefined;
  let cur = rootfs;
  const parts = p.split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const next = path.join(cur, parts[i]!);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(next);
    } catch {
      return undefined;
    }
    if (!st.isSymbolicLink()) {
      cur = next;
      continue;
    }
    const target = fs.readlinkSync(next);
    const inContainer = target.startsWith('/') ? target : path.posix.join('/', path.relative(rootfs, cur), target);
    const rest = parts.slice(i + 1).join('/');
    return resolveInRootfs(rootfs, rest ? `${inContainer}/${rest}` : inContainer, depth + 1);
  }
  return cur;
}

/**
 * exec.LookPath in the container's filesystem: undefined when `file` can be run, else the StartError
 * message containerd gives for it.
 */
export function lookPathInRootfs(o: { rootfs: string; file: string; pathEnv: string | undefined; cwd: string; mounts: { containerPath: string; hostPath: string }[] }): string | undefined {
  const { file } = o;
  const candidates = file.includes('/') ? [path.posix.resolve(o.cwd, file)] : (o.pathEnv ?? '').split(':').filter(Boolean).map((d) => path.posix.join(d, file));
  let denied = false;
  for (const c of candidates) {
    // a volume mounted over the path provides it, not the image
    const m = o.mounts.find((x) => c === x.containerPath || c.startsWith(`${x.containerPath.replace(/\/$/, '')}/`));
    const host = m ? path.join(m.hostPath, c.slice(m.containerPath.length)) : resolveInRootfs(o.rootfs, c);
    if (!host) continue;
    try {
      if (!fs.statSync(host).isFile()) continue;
      if ((fs.statSync(host).mode & 0o111) === 0) {
        denied = true;
        continue;
      }
      return undefined;
    } catch {
      // next
    }
  }
  return denied ? `exec: "${file}": permission denied` : `exec: "${file}": executable file not found in $PATH`;
}
