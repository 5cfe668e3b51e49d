/** The objects every cluster has, as the API server's bootstrap controller makes them (pkg/controlplane/controller). */
import type { KubeObject } from '../types.js';

export interface KubernetesServiceOptions {
  /** The first address of the service CIDR. */
  clusterIP: string;
  /** Where the API server really listens (the Endpoints' address and port). */
  advertiseAddress: string;
  securePort: number;
}

/** A system namespace (`default`, `kube-system`, ...). */
export function systemNamespace(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } };
}

/** `default/kubernetes`: the Service in front of the API server. */
export function kubernetesService(opts: KubernetesServiceOptions): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: opts.clusterIP, clusterIPs: [opts.clusterIP], sessionAffinity: 'None', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.securePort }] },
  };
}

/** The `kubernetes` Endpoints and EndpointSlice: the API server's own address. */
export function kubernetesEndpoints(opts: KubernetesServiceOptions): { endpoints: KubeObject; slice: KubeObject } {
  return {
    endpoints: {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: opts.advertiseAddress }], ports: [{ name: 'https', port: opts.securePort, protocol: 'TCP' }] }],
    },
    slice: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [opts.advertiseAddress], conditions: { ready: true } }],
      ports: [{ name: 'https', port: opts.securePort, protocol: 'TCP' }],
    },
  };
}
