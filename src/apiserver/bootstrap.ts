import { isStatusError } from '../api/status.js';
import type { KubeObject } from '../api/types.js';
import type { ApiServer } from './api-server.js';
import { serviceNameLabel } from '../api/kinds/endpoints.js';

export interface BootstrapOptions {
  /** The first address of the service CIDR: the `kubernetes` Service's ClusterIP. */
  kubernetesServiceIP: string;
  /** Where the API server really listens, for the `kubernetes` Endpoints. */
  advertiseAddress: string;
  securePort: number;
  /** Namespaces packaged components expect (MetalLB's `metallb-system`, where seed 000 puts its pool). */
  extraNamespaces?: string[];
}

export async function ensure(server: ApiServer, resource: [string, string, string], namespace: string | undefined, obj: KubeObject): Promise<void> {
  const storage = server.storage(...resource)!;
  try {
    await storage.get(namespace, obj.metadata.name!);
  } catch (err) {
    if (!isStatusError(err, 'NotFound')) throw err;
    try {
      await storage.create(namespace, obj);
    } catch (e) {
      if (!isStatusError(e, 'AlreadyExists')) throw e;
    }
  }
}

/** The objects every cluster has: system namespaces and the `default/kubernetes` Service with its endpoints. */
export async function bootstrapCluster(server: ApiServer, opts: BootstrapOptions): Promise<void> {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease', ...(opts.extraNamespaces ?? [])])
    await ensure(server, ['', 'v1', 'namespaces'], undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } });
  await ensure(server, ['', 'v1', 'services'], 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: opts.kubernetesServiceIP, clusterIPs: [opts.kubernetesServiceIP], sessionAffinity: 'None', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.securePort }] },
  });
  await reconcileKubernetesEndpoints(server, opts);
}

/** The apiserver's own endpoint reconciler: the `kubernetes` Endpoints and EndpointSlice follow its address. */
async function reconcileKubernetesEndpoints(server: ApiServer, opts: BootstrapOptions): Promise<void> {
  const endpoints: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: opts.advertiseAddress }], ports: [{ name: 'https', port: opts.securePort, protocol: 'TCP' }] }],
  };
  const slice: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { [serviceNameLabel]: 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [opts.advertiseAddress], conditions: { ready: true } }],
    ports: [{ name: 'https', port: opts.securePort, protocol: 'TCP' }],
  };
  const targets: Array<[[string, string, string], KubeObject]> = [
    [['', 'v1', 'endpoints'], endpoints],
    [['discovery.k8s.io', 'v1', 'endpointslices'], slice],
  ];
  for (const [resource, obj] of targets) {
    const storage = server.storage(...resource)!;
    try {
      await storage.guaranteedUpdate('default', 'kubernetes', (cur) => ({ ...cur, ...obj, metadata: { ...cur.metadata, labels: obj.metadata.labels } }));
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
      await storage.create('default', obj);
    }
  }
}
