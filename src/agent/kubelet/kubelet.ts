/**
 * The kubelet's pod side for one node: watches the pods bound to it (fieldSelector spec.nodeName),
 * runs a PodWorker per pod, writes their status through pods/status, and gives the kubelet API
 * (logs, exec, attach, port-forward) access to the running containers.
 */
import { setMaxListeners } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { ConfigMap, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.js';
import { isStatusError } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { EventRecorder } from '../../client/events.js';
import { SharedInformer, deletedObject } from '../../client/informer.js';
import type { RestClient } from '../../client/rest.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { ImageCatalog } from '../images/catalog.js';
import { RestartBackoff } from '../runtime/backoff.js';
import { findLeftoverContainers, killLeftover, type LeftoverContainer } from '../runtime/leftovers.js';
import type { PodRuntimeAccess, RunningContainer } from '../kubelet-server/types.js';
import type { KubeletContext } from './context.js';
import type { EnvSources } from './env.js';
import { ImagePuller } from './image-puller.js';
import type { NodeRuntime } from '../runtime/cri.js';
import { podPullCredentials } from './pull-credentials.js';
import { parseResolvConf, type KubeletDNSSettings } from '../dns-config.js';
import { readFileOr } from './pod-files.js';
import { PodWorker } from './pod-worker.js';
import { ContainerSlot } from './container-slot.js';
import { tailOutput } from '../kubelet-server/log-reader.js';
import { VolumeManager } from '../volumes/volume-manager.js';
import { requestPodToken } from '../volumes/token.js';

const res = (r: string) => findResource('', 'v1', r)!;
const podsResource = res('pods');
/** The grace period agent shutdown gives every container (as kubelet's shutdownGracePeriod does). */
const SHUTDOWN_GRACE_MS = 2000;

export interface KubeletOptions {
  client: RestClient;
  nodeName: string;
  nodeIP: string;
  podCIDR: string;
  dataDir: string;
  clock: Clock;
  log: (message: string) => void;
  catalog?: ImageCatalog;
  /** Restart back-off start (10 s in Kubernetes); tests may shorten it. */
  initialBackoffMs?: number;
  /** The sandbox + container runtime; the kubelet never makes one. */
  runtime: NodeRuntime;
  /** kubelet --cluster-dns; by default the ClusterIP of kube-system/kube-dns. */
  clusterDNS?: string[];
  /** kubelet --cluster-domain (cluster.local). */
  clusterDomain?: string;
  /** kubelet --resolv-conf (/etc/resolv.conf); '' for none. */
  resolvConf?: string;
  /** The node's hosts file for hostNetwork pods (/etc/hosts). */
  hostsFile?: string;
}

export interface ContainerLogLocation {
  file: string;
  /** True while the instance writing `file` still runs (follow keeps reading). */
  live(): boolean;
}

export class Kubelet implements PodRuntimeAccess {
  private readonly workers = new Map<string, PodWorker>();
  private readonly pods: SharedInformer<Pod & KubeObject>;
  private readonly services: SharedInformer<Service & KubeObject>;
  private readonly configMaps: SharedInformer<ConfigMap & KubeObject>;
  private readonly secrets: SharedInformer<Secret & KubeObject>;
  private readonly claims: SharedInformer<PersistentVolumeClaim & KubeObject>;
  private readonly volumes: SharedInformer<PersistentVolume & KubeObject>;
  private readonly volumeManager: VolumeManager;
  // one signal for every informer and pod worker of the node (more than the default 10 listeners)
  private readonly abort = (() => { const a = new AbortController(); setMaxListeners(0, a.signal); return a; })();
  private readonly ctx: KubeletContext;
  private readonly statusTimers = new Map<string, TimerHandle>();
  private readonly statusWrites = new Map<string, Promise<void>>();
  private readonly recorder: EventRecorder;
  private stopped = false;
  /** Recorded containers of a previous run not yet adopted or killed by their pod's worker. */
  private leftovers: LeftoverContainer[] = [];

  constructor(private readonly opts: KubeletOptions) {
    const { client, clock, log } = opts;
    const informer = <T extends KubeObject>(resource: string, fieldSelector?: string) =>
      new SharedInformer<T>({ client, resource: res(resource), clock, log, ...(fieldSelector ? { fieldSelector } : {}) });
    this.pods = informer(`pods`, `spec.nodeName=${opts.nodeName}`);
    this.services = informer('services');
    this.configMaps = informer('configmaps');
    this.secrets = informer('secrets');
    this.claims = informer('persistentvolumeclaims');
    this.volumes = informer('persistentvolumes');
    this.volumeManager = new VolumeManager({
      clock,
      log,
      hostIP: opts.nodeIP,
      configMap: (ns, name) => this.configMaps.store.get(`${ns}/${name}`),
      secret: (ns, name) => this.secrets.store.get(`${ns}/${name}`),
      claim: (ns, name) => this.claims.store.get(`${ns}/${name}`),
      volume: (name) => this.volumes.store.get(name),
      requestToken: (pod, o) => requestPodToken(client, pod, o),
    });
    this.recorder = new EventRecorder({ client, component: 'kubelet', host: opts.nodeName, clock, log });
    const catalog = opts.catalog ?? new ImageCatalog({ dataDir: opts.dataDir });
    this.ctx = {
      nodeName: opts.nodeName,
      nodeIP: opts.nodeIP,
      podsDir: path.join(opts.dataDir, 'pods'),
      clock,
      log,
      runtime: opts.runtime,
      dnsSettings: () => this.dnsSettings(),
      nodeHosts: () => readFileOr(opts.hostsFile ?? '/etc/hosts', ''),
      images: new ImagePuller({
        catalog,
        clock,
        initialBackoffMs: opts.initialBackoffMs,
        ...(opts.runtime.oci ? { oci: opts.runtime.oci.images } : {}),
        credentials: (pod, registry) => podPullCredentials({ client, pod, registry, secret: (ns, name) => this.secrets.store.get(`${ns}/${name}`) }),
      }),
      backoff: new RestartBackoff({ clock, ...(opts.initialBackoffMs ? { initialMs: opts.initialBackoffMs } : {}) }),
      recorder: this.recorder,
      volumes: this.volumeManager,
      mountNamespaces: opts.runtime.containers.isolation.mounts,
      envSources: (pod, podIP) => this.envSources(pod, podIP),
      statusChanged: (w) => this.scheduleStatus(w),
      flushStatus: (w) => this.writeStatus(w),
      deletePod: (pod) => this.deletePod(pod),
      claimLeftovers: (uid) => {
        const mine = this.leftovers.filter((l) => l.podUID === uid);
        this.leftovers = this.leftovers.filter((l) => l.podUID !== uid);
        return mine;
      },
    };
  }

  async start(): Promise<void> {
    await this.opts.runtime.sandboxes.updateRuntimeConfig({ podCIDR: this.opts.podCIDR, nodeIP: this.opts.nodeIP });
    // Containers a previous run of this agent could not stop (it was killed): the worker of a pod that
    // is still on this node adopts its running ones (or kills them before it starts new ones); the rest
    // are killed once the pods are known.
    this.leftovers = findLeftoverContainers(this.ctx.podsDir);
    // a changed ConfigMap/Secret reaches the volumes that project it without waiting for the period
    const sourceChanged = { onUpdate: () => this.volumeManager.requestResync(), onAdd: () => this.volumeManager.requestResync() };
    this.configMaps.addEventHandler(sourceChanged);
    this.secrets.addEventHandler(sourceChanged);
    this.pods.addEventHandler({
      onAdd: (pod) => this.podUpdated(pod),
      onUpdate: (_old, pod) => this.podUpdated(pod),
      onDelete: (obj) => this.podRemoved(deletedObject(obj)),
    });
    for (const inf of [this.services, this.configMaps, this.secrets, this.claims, this.volumes, this.pods]) void inf.run(this.abort.signal);
    // Service links need the Services that exist at pod start: sync them before any pod starts.
    await this.services.waitForSync(this.abort.signal);
    await Promise.all([this.configMaps, this.secrets, this.claims, this.volumes, this.pods].map((inf) => inf.waitForSync(this.abort.signal)));
    const orphans = this.leftovers.splice(0);
    const killed = orphans.flatMap(killLeftover);
    if (killed.length > 0) this.opts.log(`killed ${killed.length} processes of containers of pods gone while the agent was down`);
    this.removeOrphanedPodDirs();
    // kubelet's garbage collection of sandboxes whose pod is gone (a previous run was killed)
    await this.opts.runtime.sandboxes.removeOrphanedSandboxes(new Set(this.workers.keys())).catch((err: Error) => this.opts.log(`removing orphaned pod sandboxes: ${err.message}`));
    await this.opts.runtime.oci?.containers.removeOrphanedContainers?.(new Set(this.workers.keys())).catch((err: Error) => this.opts.log(`removing orphaned OCI containers: ${err.message}`));
  }

  private dnsSettings(): KubeletDNSSettings {
    const resolvConf = this.opts.resolvConf ?? '/etc/resolv.conf';
    const host = resolvConf ? parseResolvConf(readFileOr(resolvConf, '')) : undefined;
    const kubeDNS = this.services.store.get('kube-system/kube-dns')?.spec?.clusterIP;
    const clusterDNS = this.opts.clusterDNS ?? (kubeDNS && kubeDNS !== 'None' ? [kubeDNS] : []);
    return { clusterDNS, clusterDomain: this.opts.clusterDomain ?? 'cluster.local', ...(host ? { host } : {}), nodeIPs: [this.opts.nodeIP] };
  }

  /** Directories of pods deleted while this agent was down (kubelet's cleanupOrphanedPodDirs). */
  private removeOrphanedPodDirs(): void {
    let dirs: string[];
    try {
      dirs = fs.readdirSync(this.ctx.podsDir);
    } catch {
      return;
    }
    for (const d of dirs) {
      const uid = d.slice(d.lastIndexOf('_') + 1);
      if (!this.workers.has(uid)) fs.rmSync(path.join(this.ctx.podsDir, d), { recursive: true, force: true });
    }
  }

  private podUpdated(pod: Pod): void {
    if (this.stopped) return;
    const uid = pod.metadata!.uid!;
    let w = this.workers.get(uid);
    try {
      if (!w) {
        w = new PodWorker(pod, this.ctx);
        this.workers.set(uid, w);
      }
      w.update(pod);
    } catch (err) {
      // A spec this kubelet cannot run must still be deletable: nothing of it runs, so finish it.
      this.opts.log(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}: cannot run its spec: ${err instanceof Error ? err.message : String(err)}`);
      if (pod.metadata?.deletionTimestamp && !(w?.processes().length)) void this.deletePod(pod);
    }
  }

  private podRemoved(pod: Pod): void {
    const uid = pod.metadata!.uid!;
    const w = this.workers.get(uid);
    if (!w) return;
    // Gone from the API (force delete, or our own final delete): kill what is left and forget it.
    void w.terminate({ deleteObject: false, gracePeriodMs: 2000 }).then(() => this.forget(w));
  }

  private forget(w: PodWorker): void {
    if (this.workers.get(w.uid) !== w) return;
    this.workers.delete(w.uid);
    const t = this.statusTimers.get(w.uid);
    if (t) this.opts.clock.clearTimeout(t);
    this.statusTimers.delete(w.uid);
    fs.rmSync(w.dir, { recursive: true, force: true });
  }

  private envSources(pod: Pod, podIP: string): EnvSources {
    const ns = pod.metadata!.namespace!;
    return {
      configMap: (name) => this.configMaps.store.get(`${ns}/${name}`),
      secret: (name) => this.secrets.store.get(`${ns}/${name}`),
      services: this.services.store.list().filter((s) => s.metadata?.namespace === ns || s.metadata?.namespace === 'default'),
      podIP,
      hostIP: this.opts.nodeIP,
    };
  }

  private scheduleStatus(w: PodWorker): void {
    if (this.stopped || this.statusTimers.has(w.uid)) return;
    this.statusTimers.set(
      w.uid,
      this.opts.clock.setTimeout(() => {
        this.statusTimers.delete(w.uid);
        const prev = this.statusWrites.get(w.uid) ?? Promise.resolve();
        const next = prev.then(() => this.writeStatus(w));
        this.statusWrites.set(w.uid, next);
      }, 50),
    );
  }

  private async writeStatus(w: PodWorker): Promise<void> {
    if (this.stopped || w.isFrozen) return;
    const status = w.status();
    if (w.lastStatus && JSON.stringify(w.lastStatus) === JSON.stringify(status)) return;
    try {
      await this.opts.client.patch(podsResource, {
        namespace: w.pod.metadata!.namespace!,
        name: w.pod.metadata!.name!,
        subresource: 'status',
        type: 'merge',
        patch: { metadata: { uid: w.uid }, status },
      });
      w.lastStatus = status;
    } catch (err) {
      if (isStatusError(err) && (err.status.code === 404 || err.status.code === 409)) return;
      this.opts.log(`pod ${w.key}: status update failed: ${err instanceof Error ? err.message : String(err)}`);
      this.scheduleStatus(w);
    }
  }

  private async deletePod(pod: Pod): Promise<void> {
    try {
      await this.opts.client.delete(podsResource, {
        namespace: pod.metadata!.namespace!,
        name: pod.metadata!.name!,
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata!.uid! },
      });
    } catch (err) {
      if (isStatusError(err) && (err.status.code === 404 || err.status.code === 409)) return;
      this.opts.log(`pod ${pod.metadata!.namespace}/${pod.metadata!.name}: delete failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private workerFor(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.workers.values()) {
      if (w.pod.metadata?.namespace === namespace && w.pod.metadata?.name === name && !w.terminating) return w;
    }
    for (const w of this.workers.values()) if (w.pod.metadata?.namespace === namespace && w.pod.metadata?.name === name) return w;
    return undefined;
  }

  podIP(namespace: string, pod: string): string | undefined {
    return this.workerFor(namespace, pod)?.podIP;
  }

  findContainer(namespace: string, pod: string, container?: string): RunningContainer | undefined {
    const w = this.workerFor(namespace, pod);
    if (!w) return undefined;
    const slot = container ? [...w.slots, ...w.initSlots].find((s) => s.name === container) : w.slots[0];
    if (!slot?.running) return undefined;
    const proc = slot.proc!;
    return {
      namespace,
      pod,
      container: slot.name,
      containerID: slot.record.containerID ?? '',
      tty: slot.spec.tty ?? false,
      stdinOnce: slot.spec.stdinOnce ?? false,
      stdin: proc.stdin,
      waitExit: () => proc.wait().then((e) => e.exitCode),
      attachOutput: (onData) => tailOutput({ file: ContainerSlot.logFile(w.logDir(slot.name), slot.record.restartCount), onData }),
      spawn: (argv, o): ChildProcess => slot.runtime!.exec(proc, argv, { stdin: o.stdin ?? true, ...(o.env ? { env: o.env } : {}) }),
    };
  }

  /**
   * The log file of a container for `kubectl logs` (`previous`: the instance before the current one),
   * or an error message and HTTP code as kubelet answers them.
   */
  containerLog(o: { namespace: string; pod: string; container: string; previous: boolean }): ContainerLogLocation | { code: number; message: string } {
    const w = this.workerFor(o.namespace, o.pod);
    if (!w) return { code: 404, message: `pod "${o.pod}" not found` };
    const slot = [...w.slots, ...w.initSlots].find((s) => s.name === o.container);
    if (!slot) return { code: 400, message: `container ${o.container} is not valid for pod ${o.pod}` };
    const logDir = w.logDir(o.container);
    if (o.previous) {
      if (!slot.everStarted || slot.record.restartCount === 0 || !slot.record.lastState.terminated) {
        return { code: 400, message: `previous terminated container "${o.container}" in pod "${o.pod}" not found` };
      }
      return { file: ContainerSlot.logFile(logDir, slot.record.restartCount - 1), live: () => false };
    }
    if (!slot.everStarted || !slot.record.containerID) {
      const reason = slot.record.state.waiting?.reason ?? 'ContainerCreating';
      return { code: 400, message: `container "${o.container}" in pod "${o.pod}" is waiting to start: ${reason}` };
    }
    const count = slot.record.restartCount;
    const instance = slot.instance;
    return { file: ContainerSlot.logFile(logDir, count), live: () => slot.instance === instance && slot.running };
  }

  /** Live processes of every pod on this node. */
  processes(): number[] {
    return [...this.workers.values()].flatMap((w) => w.processes());
  }

  /** Stops watching and kills every pod process (agent shutdown; pods stay in the API). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.volumeManager.stop();
    for (const t of this.statusTimers.values()) this.opts.clock.clearTimeout(t);
    // every container, those of pods Terminating in a longer grace period too, SIGKILLed at the end of this one
    const workers = [...this.workers.values()];
    await Promise.all(workers.map((w) => w.terminate({ deleteObject: false, gracePeriodMs: SHUTDOWN_GRACE_MS })));
    // a container whose start was in flight meanwhile is killed by its sync as it starts: let that happen
    await Promise.all(workers.map((w) => w.settled(1000)));
    await Promise.race([this.recorder.flush(), new Promise((r) => setTimeout(r, 1000))]);
  }
}
