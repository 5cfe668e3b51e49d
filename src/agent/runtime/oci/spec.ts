/**
 * The OCI runtime spec (config.json) of one container, as containerd's CRI plugin writes it for a pod
 * container: the pod's network namespace joined by path, new mount, UTS, IPC and PID namespaces
 * (hostNetwork / hostPID pods share the node's), the CRI mounts as bind mounts, Docker's default
 * capabilities, and the cgroup skiff made for it.
 */
import type { Mount, PodSandbox } from '../cri.js';
import type { ResolvedUser } from './user.js';

/** Docker's / containerd's default capability set. */
export const DEFAULT_CAPABILITIES = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];

export interface SpecInput {
  sandbox: PodSandbox;
  rootfs: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  user: ResolvedUser;
  mounts: Mount[];
  /** linux.cgroupsPath; undefined without cgroups. */
  cgroupsPath?: string;
  annotations: Record<string, string>;
  /** A cgroup (v1) the container's init is moved into before it runs (cgroups.ts: OOM kills are counted there). */
  moveInitTo?: string;
}

/** A createRuntime hook that moves the container's init (pid from the state on stdin) into `dir`. */
function moveInitHook(dir: string): { path: string; args: string[] } {
  const script = 'pid=$(sed -n \'s/.*"pid": *\\([0-9][0-9]*\\).*/\\1/p\'); [ -n "$pid" ] && echo "$pid" > "$1/cgroup.procs"';
  return { path: '/bin/sh', args: ['sh', '-c', script, 'skiff-cgroup-hook', dir] };
}

export function ociSpec(i: SpecInput): Record<string, unknown> {
  const { sandbox } = i;
  const hostNetwork = sandbox.config.hostNetwork || !sandbox.netnsPath;
  const namespaces: { type: string; path?: string }[] = [{ type: 'mount' }, { type: 'ipc' }];
  if (!sandbox.config.hostPID) namespaces.push({ type: 'pid' });
  if (!sandbox.config.hostNetwork) namespaces.push({ type: 'uts' });
  if (!hostNetwork) namespaces.push({ type: 'network', path: sandbox.netnsPath! });
  const env = Object.entries(i.env)
    .filter(([k]) => k !== '' && !k.includes('='))
    .map(([k, v]) => `${k}=${v}`);
  if (!('HOME' in i.env)) env.push(`HOME=${i.user.home}`);
  const caps = i.user.uid === 0 ? DEFAULT_CAPABILITIES : [];
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: i.user.uid, gid: i.user.gid, ...(i.user.additionalGids.length ? { additionalGids: i.user.additionalGids } : {}) },
      args: i.argv,
      env,
      cwd: i.cwd,
      capabilities: { bounding: DEFAULT_CAPABILITIES, effective: caps, permitted: caps },
      noNewPrivileges: false,
    },
    root: { path: i.rootfs, readonly: false },
    ...(sandbox.config.hostNetwork ? {} : { hostname: sandbox.config.hostname }),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      // a container in the node's network namespace may not mount a new sysfs: bind the node's (ro)
      hostNetwork
        ? { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] }
        : { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...i.mounts.map((m) => ({ destination: m.containerPath, type: 'bind', source: m.hostPath, options: ['rbind', 'rprivate', m.readOnly ? 'ro' : 'rw'] })),
    ],
    annotations: i.annotations,
    ...(i.moveInitTo ? { hooks: { createRuntime: [moveInitHook(i.moveInitTo)] } } : {}),
    linux: {
      namespaces,
      ...(i.cgroupsPath ? { cgroupsPath: i.cgroupsPath } : {}),
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'],
      readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
