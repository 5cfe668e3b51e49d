/**
 * Discovery documents built from the resource table: aggregated (apidiscovery.k8s.io/v2, what kubectl asks
 * for first) and legacy (APIVersions, APIGroupList, APIGroup, APIResourceList).
 */
import { groups, resources, type ResourceInfo } from '../api/resources.js';
import { apiVersionOf, type GroupVersionKind } from '../api/types.js';

/** The exact Content-Type kubectl requires on an aggregated reply (plain application/json is ignored). */
export const AGGREGATED_DISCOVERY_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether an Accept header asks for aggregated discovery (v2; v2beta1 is answered as v2). */
export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  return !!accept && /application\/json;g=apidiscovery\.k8s\.io;v=v2;as=APIGroupDiscoveryList/.test(accept.replace(/\s+/g, ''));
}

type Subresource = ResourceInfo['subresources'][number];

interface SubresourceInfo {
  responseKind: GroupVersionKind;
  verbs: string[];
}

/** What each subresource answers with and allows (kube-apiserver's registrations). */
function subresourceInfo(info: ResourceInfo, sub: Subresource): SubresourceInfo {
  const self = { group: info.group, version: info.version, kind: info.kind };
  const core = (kind: string): GroupVersionKind => ({ group: '', version: 'v1', kind });
  switch (sub) {
    case 'status':
      return { responseKind: self, verbs: ['get', 'patch', 'update'] };
    case 'scale':
      return { responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] };
    case 'log':
      return { responseKind: core('Pod'), verbs: ['get'] };
    case 'exec':
      return { responseKind: core('PodExecOptions'), verbs: ['create', 'get'] };
    case 'attach':
      return { responseKind: core('PodAttachOptions'), verbs: ['create', 'get'] };
    case 'portforward':
      return { responseKind: core('PodPortForwardOptions'), verbs: ['create', 'get'] };
    case 'proxy':
      return { responseKind: core(`${info.kind}ProxyOptions`), verbs: ['create', 'delete', 'get', 'patch', 'update'] };
    case 'binding':
      return { responseKind: core('Binding'), verbs: ['create'] };
    case 'eviction':
      return { responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] };
    case 'token':
      return { responseKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] };
  }
}

function aggregatedResource(info: ResourceInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    resource: info.resource,
    responseKind: { group: info.group, version: info.version, kind: info.kind },
    scope: info.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: info.singular,
    verbs: info.verbs,
  };
  if (info.shortNames.length) out.shortNames = info.shortNames;
  if (info.categories.length) out.categories = info.categories;
  if (info.subresources.length) {
    out.subresources = info.subresources.map((sub) => {
      const s = subresourceInfo(info, sub);
      return { subresource: sub, responseKind: s.responseKind, verbs: s.verbs };
    });
  }
  return out;
}

/** APIGroupDiscoveryList for `/api` (core) or `/apis` (every named group). */
export function aggregatedDiscovery(core: boolean): Record<string, unknown> {
  const items = groups()
    .filter((g) => (g.group === '') === core)
    .map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version,
        resources: resources.filter((r) => r.group === g.group && r.version === version).map(aggregatedResource),
        freshness: 'Current',
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}

/** `/api`: APIVersions. `serverAddress` (host:port) is what clients are told to use from any network. */
export function apiVersions(opts: { serverAddress?: string } = {}): Record<string, unknown> {
  const core = groups().find((g) => g.group === '');
  return {
    kind: 'APIVersions',
    versions: core?.versions ?? ['v1'],
    serverAddressByClientCIDRs: opts.serverAddress ? [{ clientCIDR: '0.0.0.0/0', serverAddress: opts.serverAddress }] : [],
  };
}

function apiGroupBody(g: { group: string; versions: string[] }): Record<string, unknown> {
  const versions = g.versions.map((version) => ({ groupVersion: apiVersionOf({ group: g.group, version }), version }));
  return { name: g.group, versions, preferredVersion: versions[0] };
}

/** `/apis`: APIGroupList of every named group. */
export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups().filter((g) => g.group !== '').map(apiGroupBody) };
}

/** `/apis/G`: APIGroup, or undefined for a group skiff does not serve. */
export function apiGroup(group: string): Record<string, unknown> | undefined {
  const g = groups().find((x) => x.group === group && group !== '');
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroupBody(g) } : undefined;
}

/** `/api/v1` or `/apis/G/V`: APIResourceList including subresources, or undefined if not served. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  const infos = resources.filter((r) => r.group === group && r.version === version);
  if (!infos.length) return undefined;
  const list: Array<Record<string, unknown>> = [];
  for (const info of infos) {
    const main: Record<string, unknown> = { name: info.resource, singularName: info.singular, namespaced: info.namespaced, kind: info.kind, verbs: info.verbs };
    if (info.shortNames.length) main.shortNames = info.shortNames;
    if (info.categories.length) main.categories = info.categories;
    list.push(main);
    for (const sub of info.subresources) {
      const s = subresourceInfo(info, sub);
      const entry: Record<string, unknown> = { name: `${info.resource}/${sub}`, singularName: '', namespaced: info.namespaced };
      // group/version are only named when the subresource answers with another group's kind (scale).
      if (s.responseKind.group !== info.group || s.responseKind.version !== info.version) {
        entry.group = s.responseKind.group;
        entry.version = s.responseKind.version;
      }
      entry.kind = s.responseKind.kind;
      entry.verbs = s.verbs;
      list.push(entry);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources: list };
}
