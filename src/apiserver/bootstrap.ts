import { isStatusError } from '../api/status.js';
import { kubernetesEndpoints, kubernetesService, systemNamespace, type KubernetesServiceOptions } from '../api/kinds/bootstrap-objects.js';
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
    await ensure(server, ['', 'v1', 'namespaces'], undefined, systemNamespace(name));
  const kubernetes = { clusterIP: opts.kubernetesServiceIP, advertiseAddress: opts.advertiseAddress, securePort: opts.securePort };
  await ensure(server, ['', 'v1', 'services'], 'default', kubernetesService(kubernetes));
  await reconcileKubernetesEndpoints(server, kubernetes);
}

/** The apiserver's own endpoint reconciler: the `kubernetes` Endpoints and EndpointSlice follow its address. */
async function reconcileKubernetesEndpoints(server: ApiServer, opts: KubernetesServiceOptions): Promise<void> {
  const { endpoints, slice } = kubernetesEndpoints(opts);
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
