/**
 * A pod worker (kubelet's podWorkers + kuberuntime SyncPod, for one pod): sets up the sandbox (pod
 * IP, directory), runs init containers in order, then the containers, restarts them per restartPolicy
 * with back-off, runs their probes, and on deletion stops them gracefully and removes the pod object.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Container, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { TimerHandle } from '../../util/clock.js';
import { rfc3339 } from '../../util/clock.js';
import { containerArgv } from '../images/command.js';
import type { ContainerConfig, ContainerExit, ContainerRuntime, Mount, PodSandbox } from '../runtime/cri.js';
import { ociContainerSettings } from '../images/oci/image-config.js';
import { containerLimits } from './container-limits.js';
import { setUpPodSandbox } from './pod-sandbox.js';
import { backOffEventMessage, backoffKey, doBackOff } from '../runtime/backoff.js';
import { killLeftover, recordContainerProcess } from '../runtime/leftovers.js';
import { restorePreviousRun } from './previous-run.js';
import { ContainerSlot } from './container-slot.js';
import { computePodStatus } from './status.js';
import { containerEnv } from './env.js';
import { startProbes } from './probes.js';
import type { KubeletContext } from './context.js';
import { mountEnv } from '../volumes/volume-manager.js';
import { mountsFor } from '../volumes/pod-hook.js';

const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export class PodWorker {
  pod: Pod;
  readonly uid: string;
  podIP: string | undefined;
  sandbox: PodSandbox | undefined;
  /** /etc/hosts and /etc/resolv.conf of the pod, and env standing in for them without a mount namespace. */
  private podMounts: Mount[] = [];
  private dnsEnv: Record<string, string> = {};
  readonly dir: string;
  readonly initSlots: ContainerSlot[];
  readonly slots: ContainerSlot[];
  private readonly startTime: number;
  private timer: TimerHandle | undefined;
  private syncing = false;
  /** The sync loop in progress (terminate waits for a container it is starting). */
  private syncRun: Promise<void> | undefined;
  private again = false;
  terminating = false;
  /** The termination in progress: its deadline (epoch ms) and whether it ends by deleting the API object. */
  private termination: { deadline: number; deleteObject: boolean; done: Promise<void> } | undefined;
  /** A pod seen terminal at agent start: report, never run. */
  private frozen: boolean;
  lastStatus: PodStatus | undefined;
  /** Some container is adopted from a previous agent run: its sandbox is kept. */
  private adopting = false;

  constructor(
    pod: Pod,
    private readonly ctx: KubeletContext,
  ) {
    this.pod = pod;
    this.uid = pod.metadata!.uid!;
    this.dir = path.join(ctx.podsDir, `${pod.metadata!.namespace}_${pod.metadata!.name}_${this.uid}`);
    const prev = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s.restartCount ?? 0]));
    const hasInit = (pod.spec?.initContainers ?? []).length > 0;
    this.initSlots = (pod.spec?.initContainers ?? []).map((c) => new ContainerSlot(c, true));
    this.slots = (pod.spec?.containers ?? []).map((c) => {
      const s = new ContainerSlot(c, false, prev.get(c.name) ?? 0);
      if (hasInit) s.record.state = { waiting: { reason: 'PodInitializing' } };
      return s;
    });
    this.frozen = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    this.adopting = restorePreviousRun({ pod, slots: [...this.initSlots, ...this.slots], leftovers: ctx.claimLeftovers(this.uid), now: ctx.clock.now(), frozen: this.frozen });
    this.startTime = pod.status?.startTime ? Date.parse(pod.status.startTime) : ctx.clock.now();
  }

  get key(): string {
    return `${this.pod.metadata!.namespace}/${this.pod.metadata!.name}`;
  }

  /** A new version of the pod from the informer. */
  update(pod: Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) void this.terminate({ deleteObject: true });
    else this.requestSync(0);
  }

  requestSync(delayMs: number): void {
    if (this.terminating) return;
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    this.timer = this.ctx.clock.setTimeout(() => {
      this.timer = undefined;
      void this.runSync();
    }, Math.max(0, delayMs));
  }

  private runSync(): Promise<void> {
    if (this.syncing) {
      this.again = true;
      return this.syncRun ?? Promise.resolve();
    }
    this.syncing = true;
    this.syncRun = this.syncLoop();
    return this.syncRun;
  }

  private async syncLoop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.sync();
      } while (this.again && !this.terminating);
    } catch (err) {
      this.ctx.log(`pod ${this.key}: sync failed: ${err instanceof Error ? err.stack : String(err)}`);
      this.requestSync(2000);
    } finally {
      this.syncing = false;
    }
    this.ctx.statusChanged(this);
  }

  private async sync(): Promise<void> {
    if (this.terminating || this.frozen) return;
    await this.ensureSandbox();
    if (this.terminating) return;
    // volumes before any container (kubelet's WaitForAttachAndMount): FailedMount keeps it ContainerCreating
    const vol = await this.ctx.volumes.setUp(this.pod, this.dir, this.podIP!);
    if (!vol.ok) {
      this.event('Warning', 'FailedMount', vol.message);
      this.requestSync(2000);
      return;
    }
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    for (const slot of this.initSlots) {
      const t = slot.record.state.terminated;
      if (t && t.exitCode === 0) continue;
      if (slot.adopt) await this.adoptContainer(slot);
      if (slot.running) return;
      if (slot.everStarted && policy === 'Never') return; // init failed: the pod fails
      await this.startOrBackOff(slot);
      return;
    }
    for (const slot of this.slots) {
      if (slot.adopt) await this.adoptContainer(slot);
      if (slot.running) continue;
      if (slot.everStarted) {
        const exit = slot.lastExit;
        const restart = policy === 'Always' || (policy === 'OnFailure' && (exit?.exitCode ?? 1) !== 0);
        if (!restart) continue;
      }
      await this.startOrBackOff(slot);
    }
  }

  /** RunPodSandbox, then the pod's hosts and resolv.conf files (kubelet's makeMounts / dns configurer). */
  private async ensureSandbox(): Promise<void> {
    if (this.sandbox) return;
    const set = await setUpPodSandbox({ pod: this.pod, dir: this.dir, ctx: this.ctx, adopt: this.adopting, event: (t, r, m) => this.event(t, r, m) });
    if (this.terminating) {
      await this.ctx.runtime.sandboxes.removePodSandbox(set.sandbox.id);
      return;
    }
    this.sandbox = set.sandbox;
    this.podIP = set.sandbox.ip;
    this.podMounts = set.mounts;
    this.dnsEnv = set.dnsEnv;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.recorder.event(this.pod as never, type, reason, message);
  }

  /** Restart back-off for a container that ran before (kubelet's doBackOff), else start it. */
  private async startOrBackOff(slot: ContainerSlot): Promise<void> {
    if (slot.everStarted && slot.lastExit) {
      const d = doBackOff(this.ctx.backoff, { pod: podRef(this.pod), container: slot.name, finishedAt: slot.lastExit.finishedAt });
      if (d.inBackOff) {
        slot.record.state = { waiting: { reason: 'CrashLoopBackOff', message: d.message! } };
        this.event('Warning', 'BackOff', backOffEventMessage({ container: slot.name, pod: podRef(this.pod) }));
        this.requestSync(d.retryAfterMs!);
        return;
      }
    }
    await this.startContainer(slot);
  }

  /**
   * Takes over the running container a previous agent run left (slot.adopt): the same config as it was
   * started with, the same log file (restartCount unchanged). If that fails, the process is killed and
   * the container counts as lost (restarted as usual).
   */
  private async adoptContainer(slot: ContainerSlot): Promise<void> {
    const adopt = slot.adopt!;
    slot.adopt = undefined;
    const record = adopt.leftover.record!;
    const made = await this.containerConfig(slot, slot.record.restartCount, { adopting: true });
    const proc = made && made.runtime.createContainer(this.sandbox!, made.config);
    const sandboxKept = !!this.sandbox!.reused;
    if (!proc || !sandboxKept || !made.runtime.adoptContainer(proc, { pid: record.pid, startTime: record.startTime, startedAt: adopt.startedAt })) {
      killLeftover(adopt.leftover);
      const now = this.ctx.clock.now();
      slot.lastExit = { exitCode: 255, signal: null, reason: 'Error', startedAt: adopt.startedAt, finishedAt: now };
      slot.record.state = { terminated: { exitCode: 255, reason: 'Unknown', startedAt: rfc3339(adopt.startedAt), finishedAt: rfc3339(now), containerID: slot.record.containerID } };
      slot.record.ready = false;
      this.ctx.log(`pod ${this.key}: could not adopt container ${slot.name} (pid ${record.pid}) of a previous run: killed`);
      return;
    }
    const instance = ++slot.instance;
    slot.proc = proc;
    slot.runtime = made.runtime;
    this.leaseImage(slot, made);
    this.ctx.log(`pod ${this.key}: adopted running container ${slot.name} (pid ${record.pid}) of a previous run`);
    proc.once('exit', (e: ContainerExit) => this.onExit(slot, instance, e));
    if (!slot.init) startProbes({ worker: this, slot, instance, ctx: this.ctx, adopted: true });
  }

  /**
   * The CRI config of a container (image, env, mounts) and the runtime that runs it (the OCI runtime for
   * an image of the store); undefined with a waiting state if it cannot be made.
   */
  private async containerConfig(slot: ContainerSlot, restartCount: number, o: { adopting?: boolean } = {}): Promise<MadeContainer | undefined> {
    const c = slot.spec;
    const pull = await this.ctx.images.pull({ container: c, pod: this.pod, key: backoffKey(podRef(this.pod), c.name), emit: (e) => this.event(e.type, e.reason, e.message), ...o });
    if (this.terminating) return undefined;
    if (!pull.ok) {
      slot.record.state = { waiting: { reason: pull.reason, message: pull.message } };
      this.requestSync(pull.retryAfterMs);
      return undefined;
    }
    const resolved = pull.resolved;
    const envResult = containerEnv(this.pod, c, this.ctx.envSources(this.pod, this.podIP!));
    if ('error' in envResult) {
      slot.record.state = { waiting: { reason: envResult.reason, message: envResult.error } };
      this.event('Warning', 'Failed', `Error: ${envResult.error}`);
      this.requestSync(5000);
      return undefined;
    }
    const containerDir = path.join(this.dir, 'containers', c.name);
    fs.mkdirSync(containerDir, { recursive: true });
    const mounts = mountsFor({ ctx: this.ctx, pod: this.pod, container: c, event: (t, r, m) => this.event(t, r, m) });
    if ('error' in mounts) {
      slot.record.state = { waiting: { reason: 'CreateContainerConfigError', message: mounts.error } };
      this.requestSync(5000);
      return undefined;
    }
    const common = {
      name: c.name,
      logPath: ContainerSlot.logFile(this.logDir(c.name), restartCount),
      stdin: c.stdin ?? false,
      outputDir: containerDir,
      mounts: [...this.podMounts, ...mounts.mounts],
    };
    if (resolved.kind === 'oci') {
      const oci = this.ctx.runtime.oci!;
      const baseEnv = { HOSTNAME: this.sandbox?.config.hostname ?? this.pod.metadata!.name! };
      const s = ociContainerSettings({ config: resolved.image.config, container: c, podSecurityContext: this.pod.spec?.securityContext, containerEnv: envResult.env, baseEnv });
      const limits = containerLimits(c);
      const config: ContainerConfig = { ...common, argv: s.argv, env: s.env, cwd: s.cwd, image: resolved.image, ...(s.user ? { user: s.user } : {}), ...(limits ? { limits } : {}) };
      return { config, imageID: resolved.imageID, runtime: oci.containers, imageId: resolved.image.id };
    }
    const image = resolved.spec;
    const env = { PATH: STANDARD_PATH, HOME: containerDir, ...image.env, ...this.dnsEnv, ...this.contractEnv(c, containerDir), ...mountEnv(c, mounts.mounts, this.ctx.mountNamespaces), ...envResult.env };
    const argv = containerArgv({ image, command: c.command, args: c.args, env });
    const config: ContainerConfig = { ...common, argv, env, cwd: c.workingDir || image.workingDir || containerDir };
    return { config, imageID: resolved.imageID, runtime: this.ctx.runtime.containers };
  }

  /** An OCI container holds its image until the pod is gone (`skiff image rm` refuses it meanwhile). */
  private leaseImage(slot: ContainerSlot, made: MadeContainer): void {
    if (!made.imageId) return;
    this.ctx.runtime.oci?.images.useImage?.(`${this.uid}_${slot.name}`, { imageId: made.imageId, container: `${this.key}/${slot.name}` });
  }

  private async startContainer(slot: ContainerSlot): Promise<void> {
    const c = slot.spec;
    const restartCount = slot.everStarted ? slot.record.restartCount + 1 : slot.record.restartCount;
    const made = await this.containerConfig(slot, restartCount);
    if (!made || this.terminating) return;
    const containerDir = path.join(this.dir, 'containers', c.name);
    const prevState = slot.everStarted ? slot.record.state.terminated ?? slot.record.lastState.terminated : undefined;
    const id = randomBytes(32).toString('hex');
    const runtime = made.runtime;
    this.leaseImage(slot, made);
    const proc = runtime.createContainer(this.sandbox!, made.config);
    const instance = ++slot.instance;
    slot.everStarted = true;
    slot.record = { ...slot.record, imageID: made.imageID, containerID: `skiff://${id}`, restartCount, ready: false, started: false, lastState: prevState ? { terminated: prevState } : slot.record.lastState };
    this.event('Normal', 'Created', `Created container ${c.name}`);
    try {
      await runtime.startContainer(proc);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const now = this.ctx.clock.now();
      slot.lastExit = { exitCode: 128, signal: null, reason: 'Error', startedAt: now, finishedAt: now };
      slot.record.state = { terminated: { exitCode: 128, reason: 'StartError', message, startedAt: rfc3339(0), finishedAt: rfc3339(now), containerID: slot.record.containerID } };
      this.event('Warning', 'Failed', `Error: ${message}`);
      this.requestSync(0);
      return;
    }
    slot.proc = proc;
    slot.runtime = runtime;
    // So that an agent killed before stopping it finds and kills it when it starts again.
    recordContainerProcess(containerDir, proc.pid!, { containerID: slot.record.containerID!, startedAt: proc.startedAt! });
    this.event('Normal', 'Started', `Started container ${c.name}`);
    slot.record.state = { running: { startedAt: rfc3339(proc.startedAt!) } };
    const hasStartup = !!c.startupProbe && !slot.init;
    slot.record.started = !hasStartup;
    slot.record.ready = !slot.init && !c.readinessProbe && !hasStartup;
    proc.once('exit', (e: ContainerExit) => this.onExit(slot, instance, e));
    // the pod began terminating while it started (terminate may have gone past its slot already)
    if (this.terminating) {
      await runtime.stopContainer(proc, 0);
      return;
    }
    if (!slot.init) startProbes({ worker: this, slot, instance, ctx: this.ctx });
  }

  private onExit(slot: ContainerSlot, instance: number, e: ContainerExit): void {
    if (slot.instance !== instance) return;
    slot.stopProbes();
    slot.lastExit = e;
    slot.record.state = {
      terminated: { exitCode: e.exitCode, reason: e.reason, startedAt: rfc3339(e.startedAt), finishedAt: rfc3339(e.finishedAt), containerID: slot.record.containerID },
    };
    slot.record.ready = false;
    slot.record.started = false;
    this.ctx.statusChanged(this);
    this.requestSync(0);
  }

  /** Kills a container for a failed liveness/startup probe; the exit leads to a restart as usual. */
  killForProbe(slot: ContainerSlot, instance: number, probeType: 'liveness' | 'startup'): void {
    if (slot.instance !== instance || !slot.proc) return;
    this.event('Normal', 'Killing', `Container ${slot.name} failed ${probeType} probe, will be restarted`);
    const probe = probeType === 'liveness' ? slot.spec.livenessProbe : slot.spec.startupProbe;
    const grace = probe?.terminationGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    void slot.runtime!.stopContainer(slot.proc, grace * 1000);
  }

  private contractEnv(c: Container, containerDir: string): Record<string, string> {
    const ports = (c.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP').map((p) => p.containerPort);
    return {
      HOSTNAME: this.sandbox?.config.hostname ?? this.pod.metadata!.name!,
      POD_IP: this.podIP!,
      POD_NAME: this.pod.metadata!.name!,
      POD_NAMESPACE: this.pod.metadata!.namespace!,
      NODE_NAME: this.ctx.nodeName,
      SKIFF_CONTAINER_PORTS: ports.join(','),
      SKIFF_CONTAINER_DIR: containerDir,
    };
  }

  logDir(container: string): string {
    return path.join(this.dir, 'logs', container);
  }

  status(): PodStatus {
    const pod = this.lastStatus ? { ...this.pod, status: { ...this.pod.status, conditions: mergeConditions(this.pod.status?.conditions, this.lastStatus.conditions) } } : this.pod;
    return computePodStatus({
      pod,
      initContainers: this.initSlots.map((s) => s.record),
      containers: this.slots.map((s) => s.record),
      podIP: this.podIP,
      hostIP: this.ctx.nodeIP,
      startTime: this.startTime,
      sandboxReady: this.podIP !== undefined && !this.terminating,
      now: this.ctx.clock.now(),
    });
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /**
   * Stops every container (SIGTERM, the grace period, SIGKILL). With `deleteObject`, then deletes the
   * pod with gracePeriodSeconds=0 and a uid precondition, as kubelet's status manager does. A later call
   * while it runs (agent shutdown, a delete with a shorter grace period) may shorten the grace period,
   * never lengthen it, and a later call without `deleteObject` keeps the API object.
   */
  terminate(o: { deleteObject: boolean; gracePeriodMs?: number }): Promise<void> {
    const graceSeconds = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    const graceMs = Math.max(0, o.gracePeriodMs ?? graceSeconds * 1000);
    const deadline = this.ctx.clock.now() + graceMs;
    const running = this.termination;
    if (running) {
      running.deleteObject &&= o.deleteObject;
      if (deadline < running.deadline) {
        running.deadline = deadline;
        void this.stopContainers(graceMs, false);
      }
      return running.done;
    }
    this.terminating = true;
    if (this.timer) this.ctx.clock.clearTimeout(this.timer);
    const t = { deadline, deleteObject: o.deleteObject, done: Promise.resolve() };
    this.termination = t;
    t.done = (async () => {
      await this.stopContainers(graceMs, o.deleteObject);
      // a sync in flight may be starting a container (nothing new starts now): stop what it started
      await this.untilDeadline(this.syncRun, t);
      await this.stopContainers(Math.max(0, t.deadline - this.ctx.clock.now()), false);
      for (const slot of [...this.initSlots, ...this.slots]) this.ctx.runtime.oci?.images.releaseImage?.(`${this.uid}_${slot.name}`);
      // the sandbox goes before the API object (kubelet deletes a pod only once its resources are reclaimed)
      await this.removeSandbox();
      if (t.deleteObject) {
        await this.ctx.flushStatus(this);
        await this.ctx.deletePod(this.pod);
      }
      this.ctx.volumes.tearDown(this.uid);
    })();
    return t.done;
  }

  /** StopContainer of every running container with this grace period (a second call shortens it). */
  private async stopContainers(graceMs: number, announce: boolean): Promise<void> {
    await Promise.all(
      [...this.initSlots, ...this.slots].map(async (slot) => {
        slot.stopProbes();
        if (slot.adopt) killLeftover(slot.adopt.leftover); // never taken over: nothing of it may outlive the pod
        slot.adopt = undefined;
        if (!slot.running) return;
        if (announce) this.event('Normal', 'Killing', `Stopping container ${slot.name}`);
        await slot.runtime!.stopContainer(slot.proc!, graceMs);
      }),
    );
  }

  /** After terminate (agent shutdown): the sync in flight has ended (it kills what it started), or `limitMs` passed. */
  settled(limitMs: number): Promise<void> {
    return this.untilDeadline(this.syncRun, { deadline: this.ctx.clock.now() + limitMs });
  }

  /** `p`, but no longer than the termination's deadline. */
  private untilDeadline(p: Promise<void> | undefined, t: { deadline: number }): Promise<void> {
    if (!p) return Promise.resolve();
    let timer: TimerHandle | undefined;
    const limit = new Promise<void>((resolve) => (timer = this.ctx.clock.setTimeout(resolve, Math.max(0, t.deadline - this.ctx.clock.now()))));
    return Promise.race([p, limit]).finally(() => this.ctx.clock.clearTimeout(timer!));
  }

  /** StopPodSandbox + RemovePodSandbox (the IP is released). */
  private async removeSandbox(): Promise<void> {
    const sb = this.sandbox;
    if (!sb) return;
    const sandboxes = this.ctx.runtime.sandboxes;
    try {
      await sandboxes.stopPodSandbox(sb.id);
      await sandboxes.removePodSandbox(sb.id);
    } catch (err) {
      this.ctx.log(`pod ${this.key}: removing sandbox ${sb.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Every live process of this pod's containers (tests, shutdown checks). */
  processes(): number[] {
    return [...this.initSlots, ...this.slots].flatMap((s) => s.proc?.processes() ?? []);
  }
}

interface MadeContainer {
  config: ContainerConfig;
  /** containerStatuses[].imageID. */
  imageID: string;
  runtime: ContainerRuntime;
  /** The OCI image's config digest (its lease), for OCI containers. */
  imageId?: string;
}

function podRef(pod: Pod): { name: string; namespace: string; uid: string } {
  return { name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, uid: pod.metadata!.uid! };
}

/** Conditions others own from the API object, ours from what we last wrote (the informer may lag). */
function mergeConditions(fromAPI: PodStatus['conditions'], ours: PodStatus['conditions']): PodStatus['conditions'] {
  const out = [...(ours ?? [])];
  for (const c of fromAPI ?? []) if (!out.some((o) => o.type === c.type)) out.push(c);
  return out.map((c) => (c.type === 'PodScheduled' ? (fromAPI ?? []).find((a) => a.type === 'PodScheduled') ?? c : c));
}
