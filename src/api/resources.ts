import type { GroupVersionKind } from './types.js';

/** Everything the API server and its clients need to know about one resource type. */
export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** plural, lower case: the URL segment */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources served besides the main resource. */
  subresources: Array<'status' | 'scale' | 'log' | 'exec' | 'attach' | 'portforward' | 'proxy' | 'binding' | 'eviction' | 'token'>;
  /** Verbs the main resource supports (discovery). */
  verbs: string[];
  /** Whether spec changes bump metadata.generation and status is only written through /status. */
  hasStatus: boolean;
}

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function r(info: Partial<ResourceInfo> & Pick<ResourceInfo, 'group' | 'version' | 'kind' | 'resource'>): ResourceInfo {
  return {
    singular: info.kind.toLowerCase(),
    namespaced: true,
    shortNames: [],
    categories: [],
    subresources: [],
    verbs: allVerbs,
    hasStatus: false,
    ...info,
  };
}

/** The resource types skiff serves, in discovery order. */
export const resources: readonly ResourceInfo[] = [
  r({ group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false, shortNames: ['ns'], subresources: ['status'], hasStatus: true, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }),
  r({ group: '', version: 'v1', kind: 'Node', resource: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'], hasStatus: true }),
  r({ group: '', version: 'v1', kind: 'Pod', resource: 'pods', shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'exec', 'attach', 'portforward', 'binding', 'eviction', 'proxy'], hasStatus: true }),
  r({ group: '', version: 'v1', kind: 'Service', resource: 'services', shortNames: ['svc'], categories: ['all'], subresources: ['status', 'proxy'], hasStatus: true, verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] }),
  r({ group: '', version: 'v1', kind: 'Endpoints', resource: 'endpoints', singular: 'endpoints', shortNames: ['ep'] }),
  r({ group: '', version: 'v1', kind: 'Event', resource: 'events', shortNames: ['ev'] }),
  r({ group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', shortNames: ['cm'] }),
  r({ group: '', version: 'v1', kind: 'Secret', resource: 'secrets' }),
  r({ group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', shortNames: ['sa'], subresources: ['token'] }),
  r({ group: '', version: 'v1', kind: 'PersistentVolume', resource: 'persistentvolumes', namespaced: false, shortNames: ['pv'], subresources: ['status'], hasStatus: true }),
  r({ group: '', version: 'v1', kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', shortNames: ['pvc'], subresources: ['status'], hasStatus: true }),
  r({ group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'], hasStatus: true }),
  r({ group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets', shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'], hasStatus: true }),
  r({ group: 'apps', version: 'v1', kind: 'StatefulSet', resource: 'statefulsets', shortNames: ['sts'], categories: ['all'], subresources: ['status', 'scale'], hasStatus: true }),
  r({ group: 'apps', version: 'v1', kind: 'DaemonSet', resource: 'daemonsets', shortNames: ['ds'], categories: ['all'], subresources: ['status'], hasStatus: true }),
  r({ group: 'apps', version: 'v1', kind: 'ControllerRevision', resource: 'controllerrevisions' }),
  r({ group: 'batch', version: 'v1', kind: 'Job', resource: 'jobs', categories: ['all'], subresources: ['status'], hasStatus: true }),
  r({ group: 'batch', version: 'v1', kind: 'CronJob', resource: 'cronjobs', shortNames: ['cj'], categories: ['all'], subresources: ['status'], hasStatus: true }),
  r({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', resource: 'endpointslices' }),
  r({ group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', resource: 'ingresses', shortNames: ['ing'], subresources: ['status'], hasStatus: true }),
  r({ group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass', resource: 'ingressclasses', namespaced: false }),
  r({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases' }),
  r({ group: 'storage.k8s.io', version: 'v1', kind: 'StorageClass', resource: 'storageclasses', namespaced: false, shortNames: ['sc'] }),
  r({ group: 'metallb.io', version: 'v1beta1', kind: 'IPAddressPool', resource: 'ipaddresspools', subresources: ['status'], hasStatus: true }),
  r({ group: 'metallb.io', version: 'v1beta1', kind: 'L2Advertisement', resource: 'l2advertisements' }),
];

/** Preferred version per group, in discovery order ('' is the core group). */
export function groups(): Array<{ group: string; versions: string[] }> {
  const out: Array<{ group: string; versions: string[] }> = [];
  for (const info of resources) {
    let g = out.find((x) => x.group === info.group);
    if (!g) out.push((g = { group: info.group, versions: [] }));
    if (!g.versions.includes(info.version)) g.versions.push(info.version);
  }
  return out;
}

/**
 * The one key of a resource for its strategy, admission hooks, storage and encryption config:
 * Kubernetes' GroupResource string (`pods`, `deployments.apps`).
 */
export function resourceKey(info: { group: string; resource: string }): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return resources.find((x) => x.group === group && x.version === version && x.resource === resource);
}

export function findKind(gvk: GroupVersionKind): ResourceInfo | undefined {
  return resources.find((x) => x.group === gvk.group && x.version === gvk.version && x.kind === gvk.kind);
}

/**
 * Kinds Kubernetes itself would serve as CustomResourceDefinitions (MetalLB's): they take no
 * strategic merge patch, and their OpenAPI says so, so kubectl falls back to merge patches.
 */
export function isCustomResource(info: { group: string }): boolean {
  return info.group === 'metallb.io';
}
