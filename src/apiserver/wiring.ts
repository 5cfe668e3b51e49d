import type { Service } from 'kubernetes-types/core/v1.js';
import { createStrategies } from '../api/kinds/index.js';
import type { ResourceStrategy } from '../api/strategy.js';
import { ipFamilyOf } from '../util/net.js';
import { ServiceAllocator } from './allocation/service-allocator.js';
import { serviceAllocationHooks } from './allocation/service-hooks.js';
import { defaultIngressClassHooks } from './admission/default-ingress-class.js';
import { ipAddressPoolOverlapHooks } from './admission/ipaddresspool-overlap.js';
import { defaultStorageClassHooks } from './admission/default-storage-class.js';
import { serviceAccountHooks } from './admission/service-account.js';
import type { ApiServer } from './api-server.js';
import type { ResourceHooks } from './registry/hooks.js';

export interface ApiWiringOptions {
  serviceCIDR: string;
  nodePortRange: string;
  /** --default-not-ready-toleration-seconds: the tolerations pods get by default. */
  defaultTolerationSeconds?: number;
  log?: (msg: string) => void;
}

export interface ApiWiring {
  strategies: Record<string, ResourceStrategy>;
  hooks: Record<string, ResourceHooks>;
  /** Rebuild in-memory allocation state from storage before serving. */
  restore(api: ApiServer): Promise<void>;
}

/** The API server's per-kind parts: the strategies (src/api/kinds) and the admission plugins with their allocators. */
export function createApiWiring(opts: ApiWiringOptions): ApiWiring {
  const allocator = new ServiceAllocator({ serviceCIDR: opts.serviceCIDR, nodePortRange: opts.nodePortRange });
  const primaryIPFamily = ipFamilyOf(opts.serviceCIDR.split('/')[0]!) ?? 'IPv4';
  let server: ApiServer | undefined;
  const list = async (group: string, version: string, resource: string) => (await server?.storage(group, version, resource)?.list(undefined))?.items ?? [];
  return {
    strategies: createStrategies({ primaryIPFamily, defaultTolerationSeconds: opts.defaultTolerationSeconds }),
    // admission plugins, per resourceKey
    hooks: {
      services: serviceAllocationHooks(allocator),
      'ipaddresspools.metallb.io': ipAddressPoolOverlapHooks(() => list('metallb.io', 'v1beta1', 'ipaddresspools')),
      pods: serviceAccountHooks(async (ns, name) => server?.storage('', 'v1', 'serviceaccounts')?.get(ns, name).catch(() => undefined)),
      persistentvolumeclaims: defaultStorageClassHooks(() => list('storage.k8s.io', 'v1', 'storageclasses')),
      'ingresses.networking.k8s.io': defaultIngressClassHooks(() => list('networking.k8s.io', 'v1', 'ingressclasses')),
    },
    async restore(api) {
      server = api;
      const stored = await api.storage('', 'v1', 'services')!.list(undefined);
      for (const problem of allocator.restore(stored.items as unknown as Service[])) opts.log?.(`service allocation repair: ${problem}`);
    },
  };
}
