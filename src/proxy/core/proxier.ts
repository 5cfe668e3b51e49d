import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { EventRecorder } from '../../client/events.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { deletedObject } from '../../client/informer.js';
import { realClock, type Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/errors.js';
import { parseServicePortName, type BindError, type Datapath, type ProxyState, type SyncResult } from '../types.js';
import { BoundedFrequencyRunner } from './runner.js';
import { buildProxyState, EndpointsChangeTracker, ServiceChangeTracker, type ProxyNode } from './trackers.js';

const services = findResource('', 'v1', 'services')!;
const endpointslices = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;

/** The Warning event reason for an address:port the proxy could not listen on. */
export const failedToBindReason = 'FailedToBindPort';

export interface ProxierOptions {
  factory: InformerFactory;
  datapath: Datapath;
  /** The nodes whose nodeIP:nodePort this proxy serves (read at every sync; in-process nodes come and go). */
  nodes: () => ProxyNode[];
  ownsServiceIPs: boolean;
  recorder?: EventRecorder;
  clock?: Clock;
  /** kube-proxy's --iptables-min-sync-period (default here 100ms) and --iptables-sync-period (30s). */
  minSyncPeriodMs?: number;
  syncPeriodMs?: number;
  log?: (message: string) => void;
  /** Called after each sync (tests, metrics). */
  onSync?: (state: ProxyState, result: SyncResult) => void;
}

/**
 * kube-proxy's Proxier shape: Service and EndpointSlice informers feed the change trackers; one
 * rate-bounded loop builds the whole state and hands it to the datapath, never before both caches
 * have synced. Bind failures become Warning events on the Service (once per failing address).
 */
export class Proxier {
  readonly serviceChanges: ServiceChangeTracker;
  readonly endpointsChanges = new EndpointsChangeTracker();
  private readonly runner: BoundedFrequencyRunner;
  private readonly clock: Clock;
  private readonly log: (m: string) => void;
  private reportedBindErrors = new Set<string>();
  private servicesSynced = false;
  private endpointsSynced = false;
  syncCount = 0;

  constructor(private readonly opts: ProxierOptions) {
    this.clock = opts.clock ?? realClock;
    this.log = opts.log ?? (() => {});
    this.serviceChanges = new ServiceChangeTracker({ ownsServiceIPs: opts.ownsServiceIPs });
    this.runner = new BoundedFrequencyRunner({
      fn: () => this.syncProxyRules(), clock: this.clock,
      minIntervalMs: opts.minSyncPeriodMs ?? 100, maxIntervalMs: opts.syncPeriodMs ?? 30_000,
    });
    const svcInformer = opts.factory.informerFor<Service & KubeObject>(services);
    const sliceInformer = opts.factory.informerFor<EndpointSlice & KubeObject>(endpointslices);
    svcInformer.addEventHandler({
      onAdd: (s) => this.changed(this.serviceChanges.update(undefined, s)),
      onUpdate: (o, n) => this.changed(this.serviceChanges.update(o, n)),
      onDelete: (s) => this.changed(this.serviceChanges.update(deletedObject(s), undefined)),
    });
    sliceInformer.addEventHandler({
      onAdd: (s) => this.changed(this.endpointsChanges.endpointSliceUpdate(s, false)),
      onUpdate: (_o, n) => this.changed(this.endpointsChanges.endpointSliceUpdate(n, false)),
      onDelete: (s) => this.changed(this.endpointsChanges.endpointSliceUpdate(deletedObject(s), true)),
    });
    void svcInformer.waitForSync().then((ok) => ok && ((this.servicesSynced = true), this.changed(true)));
    void sliceInformer.waitForSync().then((ok) => ok && ((this.endpointsSynced = true), this.changed(true)));
  }

  private changed(relevant: boolean): void {
    if (relevant && this.servicesSynced && this.endpointsSynced) this.runner.run();
  }

  /** Asks for a sync (e.g. when the node list changed). */
  requestSync(): void {
    this.changed(true);
  }

  async run(signal: AbortSignal): Promise<void> {
    this.opts.factory.start(signal);
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.runner.stop();
    await this.opts.datapath.close();
  }

  private async syncProxyRules(): Promise<void> {
    const nodes = this.opts.nodes();
    const state = buildProxyState({ services: this.serviceChanges, endpoints: this.endpointsChanges, nodes });
    let result: SyncResult;
    try {
      result = await this.opts.datapath.sync(state);
    } catch (err) {
      this.log(`proxy: sync failed: ${errorMessage(err)}`);
      return;
    }
    this.syncCount++;
    this.reportBindErrors(result.bindErrors);
    this.opts.onSync?.(state, result);
  }


  private reportBindErrors(errors: BindError[]): void {
    const now = new Set<string>();
    for (const e of errors) {
      const key = `${e.servicePortName}|${e.role}|${e.protocol}/${e.address}:${e.port}|${e.code}`;
      now.add(key);
      if (this.reportedBindErrors.has(key)) continue;
      const { namespace, name } = parseServicePortName(e.servicePortName);
      this.log(`proxy: ${e.servicePortName}: cannot listen on ${e.protocol}/${e.address}:${e.port}: ${e.message}`);
      const svc = this.serviceChanges.service(`${namespace}/${name}`);
      if (svc && this.opts.recorder) {
        this.opts.recorder.event(svc as Service & KubeObject, 'Warning', failedToBindReason,
          `Failed to listen on ${e.role} address ${e.protocol}/${e.address}:${e.port} for ${e.servicePortName}: ${e.message}`);
      }
    }
    this.reportedBindErrors = now;
  }
}
