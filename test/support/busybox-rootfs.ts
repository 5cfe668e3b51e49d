/**
 * A tiny image root filesystem made offline: Debian's static busybox with its applets as symlinks in
 * /bin, /etc/passwd and /etc/group (root, nobody, an `app` user), /etc/os-release naming it, plus any
 * extra files. For tests of the oci runtime (and for packing into an OCI archive with umoci).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { OciImage, OciImageConfig } from '../../src/agent/runtime/cri.js';

export const BUSYBOX_OS_RELEASE = 'NAME="skiff busybox test image"\nID=skiff-busybox\nVERSION_ID=1\n';

export function busyboxPath(): string | undefined {
  return ['/usr/bin/busybox', '/bin/busybox'].find((p) => fs.existsSync(p) && /statically linked|static-pie/.test(execFileSync('file', ['-L', p], { encoding: 'utf8' })));
}

export interface BusyboxRootfsOptions {
  /** Extra files: container path → content (a string, or { content, mode }). */
  files?: Record<string, string | { content: string; mode: number }>;
  osRelease?: string;
}

/** Makes the rootfs in `dir` (created); throws if no static busybox is installed. */
export function makeBusyboxRootfs(dir: string, opts: BusyboxRootfsOptions = {}): string {
  const bb = busyboxPath();
  if (!bb) throw new Error('no static busybox (apt-get install busybox-static)');
  for (const d of ['bin', 'etc', 'tmp', 'root', 'home/app', 'proc', 'sys', 'dev', 'usr']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
  fs.copyFileSync(bb, path.join(dir, 'bin', 'busybox'));
  fs.chmodSync(path.join(dir, 'bin', 'busybox'), 0o755);
  for (const applet of execFileSync(bb, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox')) {
    const link = path.join(dir, 'bin', applet);
    if (!fs.existsSync(link)) fs.symlinkSync('/bin/busybox', link);
  }
  fs.symlinkSync('../bin', path.join(dir, 'usr', 'bin'));
  fs.writeFileSync(path.join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  fs.writeFileSync(path.join(dir, 'etc', 'group'), 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nnogroup:x:65534:\n');
  fs.writeFileSync(path.join(dir, 'etc', 'os-release'), opts.osRelease ?? BUSYBOX_OS_RELEASE);
  for (const [p, f] of Object.entries(opts.files ?? {})) {
    const file = path.join(dir, p);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof f === 'string' ? f : f.content, { mode: typeof f === 'string' ? 0o644 : f.mode });
  }
  return dir;
}

/** An OciImage for a rootfs made here (as the ImageService would describe an unpacked image). */
export function localImage(rootfs: string, ref: string, config: OciImageConfig = {}): OciImage {
  const id = `sha256:${createHash('sha256').update(JSON.stringify({ ref, config, rootfs })).digest('hex')}`;
  return { ref, id, digest: id, rootfs, config: { Env: ['PATH=/bin:/usr/bin:/sbin:/usr/sbin'], Cmd: ['sh'], ...config }, sizeBytes: 0 };
}
