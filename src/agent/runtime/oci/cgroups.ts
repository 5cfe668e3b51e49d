/**
 * cgroups for OCI containers, as this machine has them. Each container gets a parent cgroup of its own,
 * `<agent's cgroup>/skiff-oci/<id>`, that skiff makes and puts the limits on (memory, cpu); the runtime
 * (crun/runc) puts the container in `<id>/ctr` below it. The parent outlives `crun run`'s own cleanup of
 * `ctr`, so the OOM-kill counter of the limit can still be read after the container died (OOMKilled).
 * Nested under the agent's own cgroup, containers stay accounted where the agent is.
 *
 * Modes: `v2` (unified: /sys/fs/cgroup is cgroup2), `v1` (legacy, or hybrid where crun is run with the
 * cgroup2 mount hidden: crun 1.8 refuses a hybrid hierarchy whose cgroup2 has controllers), `none`.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export type CgroupMode = 'v1' | 'v2' | 'none';

export interface CgroupSupport {
  mode: CgroupMode;
  /** The agent's cgroup (v1: of the memory controller), under which container cgroups go. */
  base: string;
  /** Whether memory/cpu limits can be applied. */
  limits: boolean;
  /**
   * Hybrid hierarchy: a cgroup2 mount the runtime must not see (crun is run in a mount namespace where
   * it is unmounted, so it uses the v1 controllers).
   */
  hideUnified?: string;
  /** What this machine gives, for the runtime's description (and why not, where it does not). */
  summary: string;
  /** v1: hierarchies without the agent's cgroup path at start (the runtime mkdirs it there; removed when empty). */
  mirroredBase?: string[];
}

const ROOT = '/sys/fs/cgroup';
export const CGROUP_DIR = 'skiff-oci';

function fsType(p: string): string | undefined {
  try {
    const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '));
    return mounts.filter((m) => m[1] === p).at(-1)?.[2];
  } catch {
    return undefined;
  }
}

function selfCgroup(controller: string | undefined): string | undefined {
  try {
    for (const line of fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
      const [, ctrls, p] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
      if (p === undefined) continue;
      if (controller === undefined ? ctrls === '' : ctrls!.split(',').includes(controller)) return p;
    }
  } catch {
    // no /proc
  }
  return undefined;
}

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * An agent started with `ip netns exec` runs in a mount namespace of its own with a fresh /sys, where the
 * cgroup hierarchies are not mounted (and crun refuses to run). Mounts them there as the machine's init
 * has them (the same hierarchies: a v1 controller set or cgroup2 mounted again is the same tree). Only
 * when init has them and this mount namespace does not (so it is not init's): the machine's own mounts are
 * never touched. Returns what it did.
 */
export function ensureCgroupMounts(): string | undefined {
  if (fsType(ROOT) !== undefined) return undefined;
  let initMounts: string[][];
  try {
    initMounts = fs.readFileSync('/proc/1/mounts', 'utf8').split('\n').map((l) => l.split(' '));
  } catch {
    return undefined;
  }
  // init has them and we do not: we are in another mount namespace (its ns link may not be readable)
  const wanted = initMounts.filter((m) => m[1] === ROOT || m[1]?.startsWith(`${ROOT}/`));
  for (const [source, target, type, options] of wanted) {
    fs.mkdirSync(target!, { recursive: true });
    execFileSync('mount', ['-t', type!, '-o', options!, source!, target!], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  return wanted.length ? `mounted the machine's ${wanted.length} cgroup hierarchies in the agent's own mount namespace` : undefined;
}

/** What cgroups this machine gives skiff's containers. */
export function detectCgroups(): CgroupSupport {
  const top = fsType(ROOT);
  if (top === 'cgroup2') {
    const base = selfCgroup(undefined) ?? '/';
    const dir = path.join(ROOT, base);
    const controllers = readWords(path.join(dir, 'cgroup.controllers'));
    const missing = ['memory', 'cpu'].filter((c) => !controllers.includes(c));
    if (!writable(dir)) return { mode: 'v2', base, limits: false, summary: `cgroup v2: ${dir} is not writable (no delegation): no resource limits` };
    if (missing.length > 0) return { mode: 'v2', base, limits: false, summary: `cgroup v2: the ${missing.join(' and ')} controller is not delegated to ${dir}: no resource limits` };
    return { mode: 'v2', base, limits: true, summary: `cgroup v2 (under ${base}): memory.max and cpu.max applied` };
  }
  if (top === 'tmpfs' && fsType(path.join(ROOT, 'memory')) === 'cgroup') {
    const base = selfCgroup('memory') ?? '/';
    const unified = path.join(ROOT, 'unified');
    const hybrid = fsType(unified) === 'cgroup2';
    const cpu = fsType(path.join(ROOT, 'cpu')) === 'cgroup' || fsType(path.join(ROOT, 'cpu,cpuacct')) === 'cgroup';
    const ok = writable(path.join(ROOT, 'memory', base));
    const mirroredBase = listV1Roots().filter((r) => !fs.existsSync(path.join(r, base)));
    const what = `cgroup v1${hybrid ? ' (hybrid: the runtime is run with the cgroup2 mount hidden)' : ''}`;
    if (!ok) return { mode: 'v1', base, limits: false, ...(hybrid ? { hideUnified: unified } : {}), summary: `${what}: ${path.join(ROOT, 'memory', base)} is not writable: no resource limits` };
    return { mode: 'v1', base, limits: true, mirroredBase, ...(hybrid ? { hideUnified: unified } : {}), summary: `${what}, under ${base}: memory limit${cpu ? ' and cpu quota' : ` (no cpu controller: no cpu quota)`} applied` };
  }
  return { mode: 'none', base: '/', limits: false, summary: 'no cgroup hierarchy mounted: no resource limits' };
}

function readWords(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').trim().split(/\s+/);
  } catch {
    return [];
  }
}

function v1Dir(controller: string, cg: string): string | undefined {
  for (const name of [controller, `${controller},cpuacct`, `cpuacct,${controller}`]) {
    const d = path.join(ROOT, name);
    if (fs.existsSync(d)) return path.join(d, cg);
  }
  return undefined;
}

export interface ContainerCgroup {
  /** The OCI spec's linux.cgroupsPath (the container itself, below the parent). */
  cgroupsPath: string;
  /** Reads the parent's OOM-kill count (0 when unknown). */
  oomKills(): number;
  /** Removes what skiff made (after the runtime removed the container's own cgroup). */
  remove(): void;
  /**
   * v1: the parent's memory cgroup, where the container's init must be moved (a createRuntime hook):
   * v1 counts OOM kills only in the task's own cgroup, and the runtime removes `ctr` when the container ends.
   */
  v1MemoryDir?: string;
}

/** Makes the container's parent cgroup and applies `limits` to it. */
export function containerCgroup(support: CgroupSupport, id: string, limits: { memoryBytes?: number; cpuMilli?: number } = {}): ContainerCgroup | undefined {
  if (support.mode === 'none') return undefined;
  const parent = path.posix.join(support.base, CGROUP_DIR, id);
  const dirs: string[] = [];
  const mk = (d: string | undefined): string | undefined => {
    if (!d || !support.limits) return undefined;
    fs.mkdirSync(d, { recursive: true });
    dirs.push(d);
    return d;
  };
  let oomFile: string | undefined;
  if (support.mode === 'v2') {
    const dir = path.join(ROOT, parent);
    if (support.limits) {
      enableV2Controllers(path.join(ROOT, support.base, CGROUP_DIR));
      mk(dir);
      enableV2Controllers(dir);
      if (limits.memoryBytes) fs.writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryBytes));
      if (limits.cpuMilli) fs.writeFileSync(path.join(dir, 'cpu.max'), `${Math.max(1000, limits.cpuMilli * 100)} 100000`);
      oomFile = path.join(dir, 'memory.events');
    }
  } else {
    const mem = mk(v1Dir('memory', parent));
    if (mem && limits.memoryBytes) fs.writeFileSync(path.join(mem, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    const cpu = mk(v1Dir('cpu', parent));
    if (cpu && limits.cpuMilli) {
      fs.writeFileSync(path.join(cpu, 'cpu.cfs_period_us'), '100000');
      fs.writeFileSync(path.join(cpu, 'cpu.cfs_quota_us'), String(Math.max(1000, limits.cpuMilli * 100)));
    }
    if (mem) oomFile = path.join(mem, 'memory.oom_control');
  }
  return {
    cgroupsPath: path.posix.join(parent, 'ctr'),
    oomKills: () => {
      if (!oomFile) return 0;
      try {
        const m = /^oom_kill (\d+)$/m.exec(fs.readFileSync(oomFile, 'utf8'));
        return m ? Number(m[1]) : 0;
      } catch {
        return 0;
      }
    },
    remove: () => removeContainerCgroups(support, id),
    ...(support.mode === 'v1' && oomFile ? { v1MemoryDir: path.dirname(oomFile) } : {}),
  };
}

function enableV2Controllers(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const have = readWords(path.join(dir, 'cgroup.subtree_control'));
  for (const c of ['memory', 'cpu']) {
    if (have.includes(c)) continue;
    try {
      fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), `+${c}`);
    } catch {
      // not delegated here: the limit file will be missing and its write fails with the reason
    }
  }
}

/**
 * Removes `<base>/skiff-oci/<id>` (and its `ctr`, if the runtime left it) in every hierarchy, and
 * `skiff-oci` when it is empty. rmdir only: a cgroup that still has processes stays (EBUSY).
 */
export function removeContainerCgroups(support: CgroupSupport, id: string): void {
  if (support.mode === 'none') return;
  const roots = support.mode === 'v2' ? [ROOT] : listV1Roots();
  for (const r of roots) {
    const parent = path.join(r, support.base, CGROUP_DIR);
    for (const d of [path.join(parent, id, 'ctr'), path.join(parent, id), parent]) {
      try {
        fs.rmdirSync(d);
      } catch {
        // absent, busy or not empty
      }
    }
  }
  for (const r of support.mirroredBase ?? []) {
    for (let d = path.join(r, support.base); d.length > r.length; d = path.dirname(d)) {
      try {
        fs.rmdirSync(d);
      } catch {
        break;
      }
    }
  }
}

function listV1Roots(): string[] {
  try {
    return fs.readdirSync(ROOT).map((n) => path.join(ROOT, n)).filter((d) => fsType(d) === 'cgroup');
  } catch {
    return [];
  }
}
