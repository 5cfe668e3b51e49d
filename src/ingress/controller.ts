/**
 * The Ingress controller: informers on Ingresses, IngressClasses, Services, EndpointSlices and
 * Secrets; every change schedules one sync that builds a new routing table and TLS table and
 * swaps them in (connections in flight keep theirs), keeps the `skiff-ingress` Service and its
 * EndpointSlice in place, and writes `status.loadBalancer` of served Ingresses.
 */
import type { Secret, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Ingress, IngressClass } from 'kubernetes-types/networking/v1.js';
import { findResource } from '../api/resources.js';
import { isStatusError } from '../api/status.js';
import type { KubeObject } from '../api/types.js';
import { Controller } from '../client/controller.js';
import { EventRecorder } from '../client/events.js';
import { HostServiceExposure } from '../client/host-service.js';
import { InformerFactory } from '../client/informer-factory.js';
import type { SharedInformer } from '../client/informer.js';
import type { RestClient } from '../client/rest.js';
import { RateLimitingQueue } from '../client/workqueue.js';
import { realClock, type Clock } from '../util/clock.js';
import { serviceNameLabel } from '../api/kinds/endpoints.js';
import * as exposure from './exposure.js';
import { classView, isServed, skiffIngressClass } from './ingress-class.js';
import { buildRoutingTable, ingressKey, sortIngresses, type RoutingTable } from './routing-table.js';
import { desiredLoadBalancer, loadBalancerUpToDate } from './status.js';
import { buildTlsTable, CertificateCache, type TlsTable } from './tls.js';

const res = {
  ingresses: findResource('networking.k8s.io', 'v1', 'ingresses')!,
  ingressClasses: findResource('networking.k8s.io', 'v1', 'ingressclasses')!,
  services: findResource('', 'v1', 'services')!,
  endpointSlices: findResource('discovery.k8s.io', 'v1', 'endpointslices')!,
  secrets: findResource('', 'v1', 'secrets')!,
};
const bySliceService = 'serviceKey';
const syncKey = 'sync';
const fieldManager = 'skiff-ingress-controller';

type Obj<T> = T & KubeObject;

export interface IngressControllerOptions {
  client: RestClient;
  /** Where the listeners are, for the skiff-ingress EndpointSlice. */
  listen: exposure.IngressListeners;
  /** The address Ingresses report until the skiff-ingress Service has a LoadBalancer IP. */
  nodeIP: string;
  /** The process's shared informers; the controller makes its own without (and stops them itself). */
  factory?: InformerFactory;
  clock?: Clock;
  log?: (message: string) => void;
}

export class IngressController {
  private readonly factory: InformerFactory;
  private readonly exposure: HostServiceExposure;
  private readonly queue: RateLimitingQueue<string>;
  private readonly controller: Controller;
  private readonly recorder: EventRecorder;
  private readonly certs = new CertificateCache();
  private readonly log: (message: string) => void;
  private readonly inf: {
    ingresses: SharedInformer<Obj<Ingress>>;
    classes: SharedInformer<Obj<IngressClass>>;
    services: SharedInformer<Obj<Service>>;
    slices: SharedInformer<Obj<EndpointSlice>>;
    secrets: SharedInformer<Obj<Secret>>;
  };
  private table: RoutingTable;
  private tlsTable: TlsTable;
  private lastProblems = '';
  private syncs = 0;
  private syncWaiters: Array<() => void> = [];

  constructor(private readonly opts: IngressControllerOptions) {
    const clock = opts.clock ?? realClock;
    this.log = opts.log ?? ((m) => console.error(m));
    this.factory = opts.factory ?? new InformerFactory({ client: opts.client, clock, log: this.log });
    this.exposure = new HostServiceExposure({ factory: this.factory, spec: exposure.hostService(opts.listen), clock, log: this.log });
    this.queue = new RateLimitingQueue<string>({ clock });
    this.controller = new Controller({ name: 'ingress', queue: this.queue, log: this.log, reconcile: () => this.sync() });
    this.recorder = new EventRecorder({ client: opts.client, component: 'skiff-ingress-controller', clock, log: this.log });
    this.inf = {
      ingresses: this.factory.informerFor(res.ingresses),
      classes: this.factory.informerFor(res.ingressClasses),
      services: this.factory.informerFor(res.services),
      slices: this.factory.informerFor(res.endpointSlices),
      secrets: this.factory.informerFor(res.secrets),
    };
    this.inf.slices.addIndexers({ [bySliceService]: (s) => [`${s.metadata.namespace}/${s.metadata.labels?.[serviceNameLabel] ?? ''}`] });
    const enqueue = () => this.queue.add(syncKey);
    for (const i of [this.inf.classes, this.inf.services, this.inf.slices, this.inf.secrets]) {
      (i as SharedInformer<KubeObject>).addEventHandler({ onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue });
    }
    this.inf.ingresses.addEventHandler({
      onAdd: (ing) => {
        this.scheduled(ing);
        enqueue();
      },
      onUpdate: (old, ing) => {
        if (old.metadata.generation !== ing.metadata.generation || JSON.stringify(old.metadata.annotations) !== JSON.stringify(ing.metadata.annotations)) this.scheduled(ing);
        enqueue();
      },
      onDelete: enqueue,
    });
    this.table = buildRoutingTable([], this.lookup());
    this.tlsTable = buildTlsTable([], () => undefined, this.certs);
  }

  /** The routing table in force. */
  currentTable(): RoutingTable {
    return this.table;
  }

  currentTls(): TlsTable {
    return this.tlsTable;
  }

  /** Creates the `skiff` IngressClass (left alone if it exists), then runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    await this.ensureIngressClass(signal);
    this.factory.start(signal);
    if (!(await this.factory.waitForCacheSync(signal))) return;
    this.queue.add(syncKey);
    await Promise.all([this.controller.run(signal), this.exposure.run(signal)]);
    if (!this.opts.factory) await this.factory.stopped();
    await this.recorder.flush();
  }

  /** Resolves after the next completed sync (tests). */
  nextSync(): Promise<void> {
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  get syncCount(): number {
    return this.syncs;
  }

  private async ensureIngressClass(signal: AbortSignal): Promise<void> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await this.opts.client.create(res.ingressClasses, skiffIngressClass(), { fieldManager, signal });
        return;
      } catch (err) {
        if (isStatusError(err, 'AlreadyExists')) return;
        if (attempt >= 5) {
          this.log(`ingress: could not create IngressClass skiff: ${(err as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
  }

  private scheduled(ing: Obj<Ingress>): void {
    if (isServed(ing, classView(this.inf.classes.store.list()))) this.recorder.event(ing, 'Normal', 'Sync', 'Scheduled for sync');
  }

  private lookup() {
    return {
      service: (namespace: string, name: string) => this.inf.services.store.getByNamespaceName(namespace, name),
      endpointSlices: (namespace: string, name: string) => this.inf.slices.store.byIndex(bySliceService, `${namespace}/${name}`),
    };
  }

  /** Served Ingresses, oldest first. */
  servedIngresses(): Obj<Ingress>[] {
    const view = classView(this.inf.classes.store.list());
    return sortIngresses(this.inf.ingresses.store.list().filter((i) => !i.metadata.deletionTimestamp && isServed(i, view))) as Obj<Ingress>[];
  }

  private async sync(): Promise<void> {
    const served = this.servedIngresses();
    // Swap both tables in one step; requests already routed keep the objects they hold.
    this.table = buildRoutingTable(served, this.lookup());
    this.tlsTable = buildTlsTable(served, (ns, name) => this.inf.secrets.store.getByNamespaceName(ns, name), this.certs);
    this.certs.retain(this.tlsTable.secrets);
    const problems = this.tlsTable.problems.join('; ');
    if (problems && problems !== this.lastProblems) this.log(`ingress: ${problems}`);
    this.lastProblems = problems;
    await this.writeStatuses(served);
    this.syncs++;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiters) w();
  }

  private async writeStatuses(served: Obj<Ingress>[]): Promise<void> {
    const svc = this.inf.services.store.getByNamespaceName(exposure.exposureNamespace, exposure.exposureName);
    const want = desiredLoadBalancer(svc, this.opts.nodeIP);
    const failures: string[] = [];
    for (const ing of served) {
      if (loadBalancerUpToDate(ing, want)) continue;
      try {
        await this.opts.client.patch(res.ingresses, {
          namespace: ing.metadata.namespace,
          name: ing.metadata.name!,
          subresource: 'status',
          type: 'merge',
          patch: { status: { loadBalancer: { ingress: want } } },
          fieldManager,
        });
      } catch (err) {
        if (!isStatusError(err, 'NotFound')) failures.push(`${ingressKey(ing)}: ${(err as Error).message}`);
      }
    }
    if (failures.length) throw new Error(`updating Ingress status: ${failures.join('; ')}`);
  }
}
