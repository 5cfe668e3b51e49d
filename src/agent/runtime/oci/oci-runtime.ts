/**
 * The `oci` container runtime: OCI images run by crun (or runc) in the pod's network namespace, with
 * their own mount, UTS, IPC and PID namespaces, an overlay root over the image's shared rootfs, and
 * cgroup limits where the machine gives them (cgroups.ts says what it does). One container =
 * oci-container.ts; the state lives under `<dataDir>/oci/` (runtime state root, bundles).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { SkiffError } from '../../../util/errors.js';
import { realClock, type Clock } from '../../../util/clock.js';
import type { ContainerConfig, ContainerExit, ContainerRuntime, ContainerStatus, ExecResult, Isolation, PodSandbox, RuntimeContainer } from '../cri.js';
import { detectCgroups, ensureCgroupMounts, removeContainerCgroups, type CgroupSupport } from './cgroups.js';
import { findOciBinary, OciCli, type OciBinary } from './cli.js';
import { OciContainer } from './oci-container.js';
import { collectExec } from './exec-sync.js';
import { probeOverlay, releaseRootfs, type RootfsMode } from './rootfs.js';

export interface OciSupport {
  binary: OciBinary;
  cgroups: CgroupSupport;
  rootfs: RootfsMode;
  /** Why not overlay, when `rootfs` is `copy`. */
  rootfsWhy?: string;
}

/** What this machine gives the oci runtime; undefined (with why) when it cannot run at all. */
export function detectOciSupport(scratchDir: string): { ok: true; support: OciSupport } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: 'OCI containers need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, why: 'OCI containers need root (namespaces, mounts, cgroups)' };
  const binary = findOciBinary();
  if (!binary) return { ok: false, why: 'neither crun nor runc is installed' };
  fs.mkdirSync(scratchDir, { recursive: true });
  const overlay = probeOverlay(scratchDir);
  try {
    ensureCgroupMounts();
  } catch {
    // detectCgroups says what is missing
  }
  return { ok: true, support: { binary, cgroups: detectCgroups(), rootfs: overlay.ok ? 'overlay' : 'copy', ...(overlay.ok ? {} : { rootfsWhy: overlay.why }) } };
}

export interface OciContainerRuntimeOptions {
  /** The agent's data dir: state under `<dataDir>/oci/`. */
  dataDir: string;
  support: OciSupport;
  clock?: Clock;
}

export class OciContainerRuntime implements ContainerRuntime {
  readonly isolation: Isolation = { mounts: true, uts: true };
  readonly description: string;
  private readonly cli: OciCli;
  private readonly bundles: string;
  private readonly clock: Clock;
  private readonly known = new Set<string>();

  constructor(private readonly opts: OciContainerRuntimeOptions) {
    const s = opts.support;
    const root = path.join(opts.dataDir, 'oci');
    this.cli = new OciCli(s.binary, path.join(root, 'state'), s.cgroups);
    this.bundles = path.join(root, 'bundles');
    this.clock = opts.clock ?? realClock;
    const rootfs = s.rootfs === 'overlay' ? 'an overlay over the shared image rootfs' : `a copy of the image rootfs (${s.rootfsWhy})`;
    this.description = `${s.binary.name} (${s.binary.path}); root = ${rootfs}; ${s.cgroups.summary}`;
  }

  createContainer(sandbox: PodSandbox, config: ContainerConfig): RuntimeContainer {
    const id = `skiff-${randomBytes(8).toString('hex')}`;
    const c = new OciContainer({ id, sandbox, config, bundle: path.join(this.bundles, id), cli: this.cli, cgroups: this.opts.support.cgroups, rootfsMode: this.opts.support.rootfs, clock: this.clock });
    return c;
  }

  adoptContainer(c: RuntimeContainer, p: { pid: number; startTime: number; startedAt: number }): boolean {
    const oc = asOci(c);
    const ok = oc.adopt(p);
    if (ok) this.known.add(oc.id);
    return ok;
  }

  async startContainer(c: RuntimeContainer): Promise<void> {
    const oc = asOci(c);
    this.known.add(oc.id);
    try {
      await oc.start();
    } catch (err) {
      // nothing of a container that never ran may stay (mount, bundle, cgroup)
      await oc.remove().catch(() => undefined);
      this.known.delete(oc.id);
      throw err;
    }
  }

  stopContainer(c: RuntimeContainer, gracePeriodMs: number): Promise<ContainerExit | undefined> {
    return asOci(c).stop(gracePeriodMs);
  }

  async removeContainer(c: RuntimeContainer): Promise<void> {
    const oc = asOci(c);
    await oc.remove();
    this.known.delete(oc.id);
  }

  containerStatus(c: RuntimeContainer): ContainerStatus {
    return { state: c.state, ...(c.pid !== undefined ? { pid: c.pid } : {}), ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}), ...(c.exit ? { exit: c.exit } : {}) };
  }

  execSync(c: RuntimeContainer, argv: string[], opts: { timeoutMs: number }): Promise<ExecResult> {
    return collectExec(() => asOci(c).spawnExec(argv), { timeoutMs: opts.timeoutMs, clock: this.clock, file: argv[0] ?? '' });
  }

  exec(c: RuntimeContainer, argv: string[], opts: { stdin?: boolean; env?: Record<string, string> }): ChildProcess {
    return asOci(c).spawnExec(argv, opts);
  }

  attach(c: RuntimeContainer): { stdin: Writable | undefined; wait(): Promise<number> } {
    return { stdin: c.stdin, wait: () => c.wait().then((e) => e.exitCode) };
  }

  /** The agent runs in the node's network namespace, where pod IPs are routed: dial the pod IP. */
  portForward(sandbox: PodSandbox, port: number): net.Socket {
    return net.connect({ host: sandbox.ip, port, allowHalfOpen: true });
  }

  /**
   * After an agent restart: removes the containers (runtime state, rootfs mount, bundle, cgroups) of
   * pods not in `keep`, stopped ones nobody adopted, and bundles the runtime has no state for.
   */
  async removeOrphanedContainers(keep: ReadonlySet<string>): Promise<string[]> {
    const removed: string[] = [];
    const states = await this.cli.list();
    for (const st of states) {
      const uid = st.annotations?.['io.kubernetes.pod.uid'];
      if (this.known.has(st.id) || (uid && keep.has(uid) && st.status === 'running')) continue;
      await this.cli.delete(st.id);
      removed.push(st.id);
    }
    const withState = new Set(states.map((s) => s.id));
    for (const id of fs.existsSync(this.bundles) ? fs.readdirSync(this.bundles) : []) {
      if (this.known.has(id) || (withState.has(id) && !removed.includes(id))) continue;
      releaseRootfs(path.join(this.bundles, id));
      removeContainerCgroups(this.opts.support.cgroups, id);
      if (!removed.includes(id)) removed.push(id);
    }
    return removed;
  }
}

function asOci(c: RuntimeContainer): OciContainer {
  if (!(c instanceof OciContainer)) throw new SkiffError('InvalidContainer', `container ${c.name} was not created by the oci runtime`);
  return c;
}
