// Cluster DNS: informers on Services, EndpointSlices and Namespaces (through src/client only) feed the
// record store; the DNS server answers from it. `pods insecure` needs no pod watch.
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/types.js';
import type { InformerFactory } from '../client/informer-factory.js';
import { deletedObject, type DeletedFinalStateUnknown, type SharedInformer } from '../client/informer.js';
import { realClock, type Clock } from '../util/clock.js';
import type { ZoneOptions } from './answer.js';
import { Forwarder, hostUpstreams, type Upstream } from './forward.js';
import { normalizeName } from './names.js';
import { RecordStore } from './records.js';
import { DnsServer } from './server.js';
import type { ListenAddress } from '../util/net.js';

const services = { group: '', version: 'v1', resource: 'services', namespaced: true };
const endpointSlices = { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', namespaced: true };
const namespaces = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };

export interface ClusterDNSOptions {
  informers: InformerFactory;
  /** `--cluster-domain`. */
  clusterDomain: string;
  /** The kube-dns Service IP(s), answered for `ns.dns.<zone>`. */
  clusterDNS: string[];
  /** Record TTL in seconds (CoreDNS default 5; kubeadm's Corefile says 30). */
  ttl?: number;
  pods?: 'disabled' | 'insecure';
  /** Where other names go (default: the nameservers of /etc/resolv.conf, port 53). */
  upstreams?: Upstream[];
  forwardTimeoutMs?: number;
  clock?: Clock;
  log?: (message: string) => void;
}

export class ClusterDNS {
  readonly store: RecordStore;
  readonly server: DnsServer;
  private readonly abort = new AbortController();
  private synced = false;
  private readonly informers: SharedInformer[] = [];

  constructor(private readonly opts: ClusterDNSOptions) {
    const clock = opts.clock ?? realClock;
    this.store = new RecordStore(() => new Date(clock.now()));
    const zone: ZoneOptions = {
      zone: normalizeName(opts.clusterDomain),
      ttl: opts.ttl ?? 5,
      pods: opts.pods ?? 'insecure',
      nsIPs: opts.clusterDNS,
    };
    const forwarder = new Forwarder({ upstreams: opts.upstreams ?? hostUpstreams(), timeoutMs: opts.forwardTimeoutMs });
    this.server = new DnsServer({ store: this.store, zone, synced: () => this.synced, forwarder, log: opts.log });
    this.watch();
  }

  private watch(): void {
    const { informers } = this.opts;
    const ref = (o: KubeObject | DeletedFinalStateUnknown<KubeObject>) => {
      const m = deletedObject(o).metadata ?? {};
      return { namespace: m.namespace ?? '', name: m.name ?? '' };
    };
    const [svcInf, sliceInf, nsInf] = [informers.informerFor(services), informers.informerFor(endpointSlices), informers.informerFor(namespaces)];
    this.informers.push(svcInf, sliceInf, nsInf);
    svcInf.addEventHandler({
      onAdd: (s) => this.store.setService(s as Service),
      onUpdate: (_, s) => this.store.setService(s as Service),
      onDelete: (s) => this.store.deleteService(ref(s).namespace, ref(s).name),
    });
    sliceInf.addEventHandler({
      onAdd: (s) => this.store.setEndpointSlice(s as unknown as EndpointSlice),
      onUpdate: (_, s) => this.store.setEndpointSlice(s as unknown as EndpointSlice),
      onDelete: (s) => this.store.deleteEndpointSlice(ref(s).namespace, ref(s).name),
    });
    nsInf.addEventHandler({
      onAdd: (n) => this.store.setNamespace(n as Namespace),
      onUpdate: (_, n) => this.store.setNamespace(n as Namespace),
      onDelete: (n) => this.store.deleteNamespace(ref(n).name),
    });
  }

  /** Binds the addresses (SERVFAIL for the zone until the caches sync) and starts the informers. */
  async start(listen: ListenAddress[]): Promise<ListenAddress[]> {
    const bound: ListenAddress[] = [];
    for (const addr of listen) bound.push({ ip: addr.ip, port: await this.server.listen(addr) });
    this.opts.informers.start(this.abort.signal);
    void Promise.all(this.informers.map((i) => i.waitForSync(this.abort.signal))).then((ok) => {
      if (ok.every(Boolean)) this.synced = true;
    });
    return bound;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.server.close();
  }
}
