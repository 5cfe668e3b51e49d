// Finding a real pod's processes on this host, for tests that kill them or check that none remain.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Proc {
  pid: number;
  ppid: number;
  sid: number;
  zombie: boolean;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid pgrp session ... — comm may hold spaces and parens, so split after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(rest[1]), sid: Number(rest[3]), zombie: rest[0] === 'Z' || rest[0] === 'X' };
  } catch {
    return undefined;
  }
}

function pids(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

/**
 * Live processes of one pod: every process of the sessions (a container is a session of its own) whose
 * members carry `POD_IP=<ip>` in their environment or the pod's kubelet dir (`<ns>_<name>_<uid>`) in
 * their command line. nginx overwrites its environment with its process title, hence the second rule.
 */
export function podProcesses(pod: { ip: string; uid: string }): number[] {
  const env = `\0POD_IP=${pod.ip}\0`;
  const sessions = new Set<number>();
  const all = pids().map(readProc).filter((p): p is Proc => !!p && !p.zombie);
  for (const p of all) {
    try {
      const cmdline = readFileSync(`/proc/${p.pid}/cmdline`, 'latin1');
      if (cmdline.includes(`_${pod.uid}/`) || `\0${readFileSync(`/proc/${p.pid}/environ`, 'latin1')}`.includes(env)) sessions.add(p.sid);
    } catch {
      // gone, or not ours to read
    }
  }
  return all.filter((p) => sessions.has(p.sid)).map((p) => p.pid);
}

/** The container's main process: the leader of the session (the process skiff spawned, exec'd into nginx). */
export function mainProcess(pod: { ip: string; uid: string }): number | undefined {
  const procs = podProcesses(pod);
  const leader = procs.find((pid) => readProc(pid)?.sid === pid);
  // netns mode's PID namespace per pod: the leader is `[busybox] unshare --pid --fork`, the container its child (PID 1 inside)
  if (leader && /^[^\0]*(?:unshare|busybox\0unshare)\0(?:.*\0)?--pid\0/.test(cmdline(leader))) return procs.find((pid) => readProc(pid)?.ppid === leader) ?? leader;
  return leader;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}

/** Those of `list` that still run (a zombie counts as gone: it has exited and only waits to be reaped). */
export function stillRunning(list: number[]): number[] {
  return list.filter((pid) => {
    const p = readProc(pid);
    return !!p && !p.zombie;
  });
}

/**
 * Live processes whose environment holds `NAME=value` (a marker the test put in the pod's env): found
 * whatever session, process group or PID namespace they are in, and whoever their parent is now.
 */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = `\0${name}=${value}\0`;
  return pids().filter((pid) => {
    const p = readProc(pid);
    if (!p || p.zombie || pid === process.pid) return false;
    try {
      return `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(needle);
    } catch {
      return false;
    }
  });
}

/**
 * The node-side PIDs the kubelet recorded for a pod's containers (`process.json`: the process it spawned —
 * the container's command, the namespace launcher or the OCI shim), by container name, from every node
 * dir under the server's data dir.
 */
export function recordedContainerPids(dataDir: string, podUID: string): Map<string, number> {
  const out = new Map<string, number>();
  const ls = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  const agents = join(dataDir, 'agent');
  for (const node of ls(agents)) {
    for (const pod of ls(join(agents, node, 'pods')).filter((d) => d.endsWith(`_${podUID}`))) {
      const containers = join(agents, node, 'pods', pod, 'containers');
      for (const c of ls(containers)) {
        try {
          out.set(c, (JSON.parse(readFileSync(join(containers, c, 'process.json'), 'utf8')) as { pid: number }).pid);
        } catch {
          // not started (yet)
        }
      }
    }
  }
  return out;
}

/** The children of `pid` (e.g. a namespace launcher's: the container's PID 1). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
