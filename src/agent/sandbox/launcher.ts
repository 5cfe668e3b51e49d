/**
 * The argv that starts a container in namespaces with util-linux's `nsenter`/`unshare` and a few lines
 * of sh (no native addon): join the pod's network namespace, unshare mount + UTS (+ PID, + user), set the
 * hostname, bind-mount the CRI mounts (read-only where asked), then exec the container's command.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Mount } from '../runtime/cri.js';
import { readProcStat } from '../runtime/proc.js';

export interface NamespaceSpec {
  /** /run/netns/<name> to join (the pod's network namespace); undefined: stay in the agent's. */
  netnsPath?: string;
  /** New PID namespace (the container's command is PID 1 in it). */
  pid: boolean;
  /** New UTS namespace with this hostname; undefined: the node's UTS namespace. */
  hostname?: string;
  /** New user namespace mapping the caller to root (unprivileged loopback mode). */
  user: boolean;
  mounts: Mount[];
}

const tools = new Map<string, string>();

/** Absolute path of a tool on the agent's PATH (the container's PATH may differ). */
export function tool(name: string): string {
  let p = tools.get(name);
  if (p) return p;
  p = name;
  for (const dir of (process.env['PATH'] || '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const c = path.join(dir, name);
    try {
      fs.accessSync(c, fs.constants.X_OK);
      p = c;
      break;
    } catch {
      // next
    }
  }
  tools.set(name, p);
  return p;
}

// $1 hostname ('' keeps it), then triples (src dst ro|rw), then `--`, then the command.
const INIT_SCRIPT = [
  'set -e',
  'h=$1; shift',
  'if [ -n "$h" ]; then if [ -x "$SKIFF_HOSTNAME_BIN" ]; then "$SKIFF_HOSTNAME_BIN" "$h"; else echo "$h" > /proc/sys/kernel/hostname; fi; fi',
  'while [ "$1" != "--" ]; do',
  '  src=$1; dst=$2; mode=$3; shift 3',
  // a dangling symlink (/etc/resolv.conf -> a stub that is not there) is not followed to create a host file
  '  if [ -L "$dst" ] && [ ! -e "$dst" ]; then echo "skiff: cannot mount $src on $dst: dangling symlink" >&2; continue; fi',
  '  if [ ! -e "$dst" ]; then if [ -d "$src" ]; then "$SKIFF_MKDIR_BIN" -p "$dst"; else "$SKIFF_MKDIR_BIN" -p "${dst%/*}"; : >> "$dst"; fi; fi',
  '  "$SKIFF_MOUNT_BIN" --bind "$src" "$dst"',
  '  if [ "$mode" = ro ]; then "$SKIFF_MOUNT_BIN" -o remount,bind,ro "$dst"; fi',
  'done',
  'shift',
  'unset SKIFF_HOSTNAME_BIN SKIFF_MKDIR_BIN SKIFF_MOUNT_BIN',
  // tell the runtime the container is set up (fd 3), and do not leak the pipe into the container
  'if { true >&3; } 2>/dev/null; then echo ready >&3; exec 3>&-; fi',
  'exec "$@"',
].join('\n');

/**
 * The argv prefix; the container's argv follows it. Needs env `launcherEnv()` merged in. The command
 * is started through `env -i` with `env` in its order (sh would reorder it and add PWD).
 */
export function launcherArgv(spec: NamespaceSpec, env: Record<string, string>): string[] {
  const out: string[] = [];
  if (spec.netnsPath) out.push(tool('nsenter'), `--net=${spec.netnsPath}`, '--');
  // util-linux 2.38's `unshare --fork` exits 1 ("sigprocmask unblock failed") when its child dies of
  // SIGKILL, so a killed PID 1 could never report 137; busybox's re-raises the signal. util-linux stays the
  // choice without a PID namespace (and for user namespaces, whose flags busybox spells differently).
  const busybox = spec.pid && !spec.user ? busyboxUnshare() : undefined;
  out.push(...(busybox ?? [tool('unshare')]));
  if (spec.user) out.push('--user', '--map-root-user');
  out.push('--mount', '--propagation', 'private');
  if (spec.hostname !== undefined) out.push('--uts');
  // --kill-child (util-linux): if the launcher dies (even by SIGKILL), so does the container's PID 1 and with
  // it the PID namespace. busybox has no such flag: the forked child sets the same parent-death signal
  // itself with util-linux `setpriv` before it becomes the container (the kernel resets it on fork, so it
  // cannot be set any earlier in the chain), which reaches PID 1 as the signal comes from outside its namespace.
  if (spec.pid) out.push('--pid', ...(busybox ? ['-f', '--mount-proc'] : ['--fork', '--mount-proc', '--kill-child']));
  out.push('--');
  if (busybox) out.push(...parentDeathSignal());
  out.push(tool('sh'), '-c', INIT_SCRIPT, 'skiff-init', spec.hostname ?? '');
  for (const m of spec.mounts) out.push(m.hostPath, m.containerPath, m.readOnly ? 'ro' : 'rw');
  out.push('--', tool('env'), '-i', '--');
  for (const [k, v] of Object.entries(env)) if (!k.includes('=')) out.push(`${k}=${v}`);
  return out;
}

let busyboxCache: string[] | null | undefined;

/** `busybox unshare` where the machine's busybox has the applet (Debian's busybox and busybox-static do). */
function busyboxUnshare(): string[] | undefined {
  if (busyboxCache === undefined) {
    const bin = tool('busybox');
    busyboxCache = path.isAbsolute(bin) && spawnSync(bin, ['unshare', '--help'], { stdio: 'ignore', timeout: 5000 }).status === 0 ? [bin, 'unshare'] : null;
  }
  return busyboxCache ?? undefined;
}

let pdeathsigCache: string[] | undefined;

/** `setpriv --pdeathsig KILL --` where util-linux's setpriv has the flag (2.33+); else nothing. */
function parentDeathSignal(): string[] {
  if (pdeathsigCache === undefined) {
    // an absolute path: busybox, which runs the command, would otherwise pick its own applet (no --pdeathsig)
    const bin = tool('setpriv');
    const help = path.isAbsolute(bin) ? spawnSync(bin, ['--help'], { encoding: 'utf8', timeout: 5000 }).stdout ?? '' : '';
    pdeathsigCache = help.includes('--pdeathsig') ? [bin, '--pdeathsig', 'KILL', '--'] : [];
  }
  return pdeathsigCache;
}

/** The launcher's own environment (removed before the container's command runs). */
export function launcherEnv(): Record<string, string> {
  return { SKIFF_HOSTNAME_BIN: tool('hostname'), SKIFF_MKDIR_BIN: tool('mkdir'), SKIFF_MOUNT_BIN: tool('mount') };
}

/**
 * The host PID of the container's first process inside its namespaces: the launcher itself without a
 * PID namespace, else the child `unshare --fork` made (PID 1 in the new namespace).
 */
export function containerInitPid(launcherPid: number, pid: boolean): number | undefined {
  if (!pid) return launcherPid;
  let children: string;
  try {
    children = fs.readFileSync(`/proc/${launcherPid}/task/${launcherPid}/children`, 'utf8');
  } catch {
    return undefined;
  }
  const child = Number(children.trim().split(/\s+/)[0]);
  return Number.isInteger(child) && child > 0 && readProcStat(child) ? child : undefined;
}

/** The argv prefix that enters a running container's namespaces (kubectl exec, exec probes). */
export function enterArgv(initPid: number, spec: NamespaceSpec): string[] {
  const out = [tool('nsenter'), '-t', String(initPid)];
  if (spec.user) out.push('--user', '--preserve-credentials');
  out.push('--mount');
  if (spec.hostname !== undefined) out.push('--uts');
  if (spec.netnsPath) out.push('--net');
  if (spec.pid) out.push('--pid');
  out.push('--');
  return out;
}
