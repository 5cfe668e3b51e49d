// Wiring of the cluster DNS host service (docs/runtime.md "Host services"): the DNS server listens on a
// host address, and the selectorless kube-system/kube-dns Service (ClusterIP = --cluster-dns) gets an
// EndpointSlice pointing at that address, so the proxy carries clusterDNS:53 to it.
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/types.js';
import { HostServiceExposure, type HostServiceSpec } from '../client/host-service.js';
import { InformerFactory } from '../client/informer-factory.js';
import { RestClient } from '../client/rest.js';
import type { LocalConnector } from '../client/transport.js';
import { ClusterDNS } from '../dns/cluster-dns.js';
import type { Upstream } from '../dns/forward.js';
import type { ListenAddress } from '../util/net.js';
import { errorMessage } from '../util/errors.js';
import { isIPv6 } from '../util/net.js';
import { managedByLabel, serviceNameLabel } from '../api/kinds/endpoints.js';


export const dnsServiceName = 'kube-dns';
export const dnsSliceName = 'kube-dns-skiff';
export const dnsManagedBy = 'dns.skiff.dev';
const fieldManager = 'skiff-dns';

export interface StartClusterDNSOptions {
  client: RestClient;
  clusterDomain: string;
  /** `--cluster-dns`: the kube-dns Service's ClusterIP. */
  clusterDNS: string;
  /** Where the server listens (port 0: a free port); the EndpointSlice points here. */
  listen: ListenAddress;
  /** Also bind clusterDNS:53 itself (`--dns-listen-direct`), for running without the proxy. */
  listenDirect?: boolean;
  /** Record TTL (CoreDNS default 5). */
  ttl?: number;
  upstreams?: Upstream[];
  forwardTimeoutMs?: number;
  /** The process's shared informers (one per process); the DNS server makes its own without. */
  informers?: InformerFactory;
  log?: (message: string) => void;
}

export interface RunningClusterDNS {
  dns: ClusterDNS;
  /** The address the server answers on (what the EndpointSlice says). */
  address: ListenAddress;
  stop(): Promise<void>;
}

export function kubeDNSService(clusterDNS: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: dnsServiceName,
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: clusterDNS,
      clusterIPs: [clusterDNS],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
    },
  };
}

/** The slice for the selectorless Service: the DNS server's real address (no metrics endpoint is served). */
export function kubeDNSEndpointSlice(svc: Service, address: ListenAddress): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: dnsSliceName,
      namespace: 'kube-system',
      labels: { [serviceNameLabel]: dnsServiceName, [managedByLabel]: dnsManagedBy, 'k8s-app': 'kube-dns' },
      ownerReferences: svc.metadata?.uid ? [{ apiVersion: 'v1', kind: 'Service', name: dnsServiceName, uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }] : undefined,
    },
    addressType: isIPv6(address.ip) ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [address.ip], conditions: { ready: true, serving: true, terminating: false } }],
    ports: [
      { name: 'dns', port: address.port, protocol: 'UDP' },
      { name: 'dns-tcp', port: address.port, protocol: 'TCP' },
    ],
  };
}

/** The kube-dns host service: the Service as kubeadm makes it (a user's edits are kept), its slice at `address`. */
export function kubeDNSHostService(clusterDNS: string, address: ListenAddress): HostServiceSpec {
  return {
    namespace: 'kube-system', serviceName: dnsServiceName, sliceName: dnsSliceName, fieldManager,
    service: () => kubeDNSService(clusterDNS) as KubeObject,
    slice: (svc) => kubeDNSEndpointSlice(svc as Service, address) as unknown as KubeObject,
    sliceUpdate: (haveObj, wantObj) => {
      const [have, want] = [haveObj as unknown as EndpointSlice, wantObj as unknown as EndpointSlice];
      const shape = (s: EndpointSlice) => JSON.stringify([s.endpoints?.[0]?.addresses, s.ports?.map((p) => [p.name, p.port, p.protocol]), s.metadata?.ownerReferences?.[0]?.uid]);
      return shape(have) === shape(want) ? undefined : ({ ...want, metadata: { ...want.metadata, resourceVersion: have.metadata?.resourceVersion } } as unknown as KubeObject);
    },
  };
}

/** The DNS server's own API client (token + CA), as any component outside the API server has. */
export function clusterDNSClient(opts: { server: string; token: string; caPem: string; local?: LocalConnector }): RestClient {
  return new RestClient({ server: opts.server, token: opts.token, caData: opts.caPem, local: opts.local, userAgent: 'skiff-dns/v1.32.4' });
}

/** Starts the DNS server and keeps kube-system/kube-dns pointing at it. */
export async function startClusterDNS(opts: StartClusterDNSOptions): Promise<RunningClusterDNS> {
  const log = opts.log ?? (() => {});
  const informers = opts.informers ?? new InformerFactory({ client: opts.client, log });
  const dns = new ClusterDNS({
    informers,
    clusterDomain: opts.clusterDomain,
    clusterDNS: [opts.clusterDNS],
    ttl: opts.ttl,
    upstreams: opts.upstreams,
    forwardTimeoutMs: opts.forwardTimeoutMs,
    log,
  });
  const listen = [opts.listen];
  if (opts.listenDirect) listen.push({ ip: opts.clusterDNS, port: 53 });
  const [address] = await dns.start(listen);
  const exposure = new HostServiceExposure({ factory: informers, spec: kubeDNSHostService(opts.clusterDNS, address!), log: (m) => log(`dns: ${m}`) });
  const abort = new AbortController();
  const running = exposure.run(abort.signal).catch((err) => log(`dns: kube-system/${dnsServiceName}: ${errorMessage(err)}`));
  // up before the server says ready, as a rule; an API that refuses (a taken ClusterIP) is retried and logged
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exposure.synced(abort.signal), new Promise<void>((r) => (timer = setTimeout(r, 10_000)))]);
  clearTimeout(timer);
  return {
    dns,
    address: address!,
    async stop() {
      abort.abort();
      await running;
      await dns.stop();
      if (!opts.informers) await informers.stopped();
    },
  };
}
