/** Which namespaces a loopback pod can have on this machine (tried once with util-linux `unshare`). */
import { spawnSync } from 'node:child_process';
import type { IsolationMode } from './containers.js';

let detected: { mode: IsolationMode; why: string } | undefined;

/** root: mount+UTS; else unprivileged user namespaces if the kernel allows them; else none. */
export function detectLoopbackIsolation(): { mode: IsolationMode; why: string } {
  if (detected) return detected;
  const ok = (args: string[]) => spawnSync('unshare', [...args, '--', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  const root = process.getuid?.() === 0;
  if (process.platform !== 'linux') detected = { mode: 'none', why: 'not Linux' };
  else if (root && ok(['--mount', '--uts'])) detected = { mode: 'root', why: 'root' };
  else if (ok(['--user', '--map-root-user', '--mount', '--uts'])) detected = { mode: 'userns', why: 'unprivileged user namespaces' };
  else detected = { mode: 'none', why: root ? '`unshare --mount --uts` failed' : 'unprivileged user namespaces are not allowed by the kernel' };
  return detected;
}
