/**
 * The container runtime of both sandboxes: a container is a process session (runtime/process-runtime.ts),
 * started through the namespace launcher when the node can give it namespaces:
 *   netns:  the pod's network namespace + own mount, UTS and PID namespace (PID 1, hostname, mounts);
 *   root:   loopback as root: own mount + UTS namespace, the host's network;
 *   userns: loopback unprivileged: user + mount + UTS namespace;
 *   none:   a plain process (the kubelet sets LOCALDOMAIN/RES_OPTIONS and says why in an event).
 */
import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { SkiffError } from '../../util/errors.js';
import { realClock, type Clock } from '../../util/clock.js';
import { ContainerProcess } from '../runtime/process-runtime.js';
import type { RuntimeContainer, ContainerConfig, ContainerExit, ContainerRuntime, ContainerStatus, ExecResult, Isolation, PodSandbox } from '../runtime/cri.js';
import { containerInitPid, enterArgv, launcherArgv, launcherEnv, type NamespaceSpec } from './launcher.js';

export type IsolationMode = 'none' | 'root' | 'userns' | 'netns';

export interface ProcessContainerRuntimeOptions {
  mode: IsolationMode;
  /** Why `none` (for the pod event). */
  reason?: string;
  clock?: Clock;
}

export class ProcessContainerRuntime implements ContainerRuntime {
  readonly isolation: Isolation;

  constructor(private readonly opts: ProcessContainerRuntimeOptions) {
    const ns = opts.mode !== 'none';
    this.isolation = { mounts: ns, uts: ns, ...(ns ? {} : { reason: opts.reason ?? 'no namespaces' }) };
  }

  createContainer(sandbox: PodSandbox, config: ContainerConfig): RuntimeContainer {
    const base = { name: config.name, argv: config.argv, env: config.env, cwd: config.cwd, logPath: config.logPath, stdin: config.stdin, ...(config.outputDir ? { fifoDir: config.outputDir } : {}), clock: this.opts.clock ?? realClock };
    const mode = this.opts.mode;
    if (mode === 'none') return new ContainerProcess(base);
    const hostNetwork = sandbox.config.hostNetwork;
    const spec: NamespaceSpec = {
      netnsPath: mode === 'netns' ? sandbox.netnsPath : undefined,
      pid: mode === 'netns' && !sandbox.config.hostPID,
      // a hostNetwork pod keeps the node's hostname, as it shares the node's UTS namespace in Kubernetes
      hostname: hostNetwork ? undefined : sandbox.config.hostname,
      user: mode === 'userns',
      mounts: config.mounts,
    };
    const proc: ContainerProcess = new ContainerProcess({
      ...base,
      launcher: launcherArgv(spec, config.env),
      launcherEnv: launcherEnv(),
      launcherWaits: spec.pid,
      enter: () => enterArgv(waitInitPid(proc, spec.pid), spec),
    });
    return proc;
  }

  adoptContainer(c: RuntimeContainer, p: { pid: number; startTime: number; startedAt: number }): boolean {
    return asProcess(c).adopt(p);
  }

  startContainer(c: RuntimeContainer): Promise<void> {
    return asProcess(c).start();
  }

  stopContainer(c: RuntimeContainer, gracePeriodMs: number): Promise<ContainerExit | undefined> {
    return asProcess(c).stop({ gracePeriodMs });
  }

  async removeContainer(c: RuntimeContainer): Promise<void> {
    if (c.state === 'running') await asProcess(c).stop({ gracePeriodMs: 0 });
  }

  containerStatus(c: RuntimeContainer): ContainerStatus {
    return { state: c.state, ...(c.pid !== undefined ? { pid: c.pid } : {}), ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}), ...(c.exit ? { exit: c.exit } : {}) };
  }

  execSync(c: RuntimeContainer, argv: string[], opts: { timeoutMs: number }): Promise<ExecResult> {
    return asProcess(c).exec(argv, opts);
  }

  exec(c: RuntimeContainer, argv: string[], opts: { stdin?: boolean; env?: Record<string, string> }): ChildProcess {
    return asProcess(c).spawnInContainer(argv, opts);
  }

  attach(c: RuntimeContainer): { stdin: import('node:stream').Writable | undefined; wait(): Promise<number> } {
    return { stdin: c.stdin, wait: () => c.wait().then((e) => e.exitCode) };
  }

  /** The agent runs in the node's network namespace and pod IPs are routed there: dial the pod IP. */
  portForward(sandbox: PodSandbox, port: number): net.Socket {
    return net.connect({ host: sandbox.ip, port, allowHalfOpen: true });
  }
}

function asProcess(c: RuntimeContainer): ContainerProcess {
  if (!(c instanceof ContainerProcess)) throw new SkiffError('InvalidContainer', `container ${c.name} was not created by this runtime`);
  return c;
}

/** The container's PID 1 appears a moment after the launcher starts: wait for it briefly. */
function waitInitPid(proc: ContainerProcess, pidNS: boolean): number {
  const leader = proc.pid;
  if (leader === undefined) throw new SkiffError('ContainerNotRunning', `container ${proc.name} is not running`);
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 50; i++) {
    const pid = containerInitPid(leader, pidNS);
    if (pid !== undefined) return pid;
    Atomics.wait(sleeper, 0, 0, 10);
  }
  throw new SkiffError('ContainerNotRunning', `container ${proc.name} has no process in its namespaces`);
}
