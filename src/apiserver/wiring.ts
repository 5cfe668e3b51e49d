import type { Service } from 'kubernetes-types/core/v1.js';
import { serverSideApply, updateManagedFields } from '../api/apply/server-side-apply.js';
import { parseFieldSelector, fieldsOf, matchesFields, validateFieldSelector } from '../api/fields.js';
import { createStrategies } from '../api/kinds/index.js';
import { isEverything, matches, parseLabelSelector } from '../api/labels.js';
import { applyJsonPatch } from '../api/patch/json-patch.js';
import { applyMergePatch } from '../api/patch/merge-patch.js';
import { applyStrategicMergePatch } from '../api/patch/strategic-merge-patch.js';
import { printerFor, toTable } from '../api/printers/index.js';
import { isCustomResource } from '../api/resources.js';
import { badRequest, StatusError } from '../api/status.js';
import type { ResourceStrategy } from '../api/strategy.js';
import { apiVersionOf, type KubeObject } from '../api/types.js';
import { rfc3339 } from '../util/clock.js';
import { ipFamilyOf } from '../util/net.js';
import { ServiceAllocator } from './allocation/service-allocator.js';
import { serviceAllocationHooks } from './allocation/service-hooks.js';
import { defaultIngressClassHooks } from './admission/default-ingress-class.js';
import { ipAddressPoolOverlapHooks } from './admission/ipaddresspool-overlap.js';
import { defaultStorageClassHooks } from './admission/default-storage-class.js';
import { serviceAccountHooks } from './admission/service-account.js';
import type { ApiServer } from './api-server.js';
import * as discovery from './discovery.js';
import type { ApiFunctions } from './handlers/context.js';
import type { DiscoveryDocuments } from './non-resource.js';
import * as openapi from './openapi/index.js';
import { pruneUnknownFields, unknownFields } from './openapi/strict.js';
import type { ResourceHooks } from './registry/hooks.js';

export interface ApiWiringOptions {
  serviceCIDR: string;
  nodePortRange: string;
  /** --default-not-ready-toleration-seconds: the tolerations pods get by default. */
  defaultTolerationSeconds?: number;
  log?: (msg: string) => void;
}

export interface ApiWiring {
  fns: ApiFunctions;
  discovery: DiscoveryDocuments;
  strategies: Record<string, ResourceStrategy>;
  hooks: Record<string, ResourceHooks>;
  /** Rebuild in-memory allocation state from storage before serving. */
  restore(api: ApiServer): Promise<void>;
}

function selectorFilter(info: { group: string; kind: string }, labelSelector: string | null, fieldSelector: string | null) {
  let labelReq: ReturnType<typeof parseLabelSelector> | undefined;
  let fieldReq: ReturnType<typeof parseFieldSelector> | undefined;
  try {
    if (labelSelector) labelReq = parseLabelSelector(labelSelector);
    if (fieldSelector) {
      fieldReq = parseFieldSelector(fieldSelector);
      validateFieldSelector(fieldReq, info);
    }
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  if (labelReq && isEverything(labelReq)) labelReq = undefined;
  if (fieldReq && !fieldReq.requirements.length) fieldReq = undefined;
  if (!labelReq && !fieldReq) return undefined;
  return (obj: KubeObject) => (!labelReq || matches(labelReq, obj.metadata.labels)) && (!fieldReq || matchesFields(fieldReq, fieldsOf(obj)));
}

/** Connects the pure API pieces (src/api, OpenAPI, allocators) to the API server's handlers. */
export function createApiWiring(opts: ApiWiringOptions): ApiWiring {
  const allocator = new ServiceAllocator({ serviceCIDR: opts.serviceCIDR, nodePortRange: opts.nodePortRange });
  const fns: ApiFunctions = {
    toTable: (info, objects, o) => toTable(printerFor(info.group, info.kind), objects, o),
    selectorFilter,
    applyPatch(info, type, current, patch) {
      if (type === 'json') return applyJsonPatch<KubeObject>(current, patch);
      if (type === 'merge') return applyMergePatch<KubeObject>(current, patch);
      if (isCustomResource(info))
        throw new StatusError({ reason: 'UnsupportedMediaType', code: 415, message: 'strategic merge patch format is not supported' });
      return applyStrategicMergePatch<KubeObject>(current, patch, info);
    },
    serverSideApply(info, live, applied, o) {
      return serverSideApply({ live, applied, kind: info, apiVersion: apiVersionOf(info), manager: o.manager, force: o.force, now: rfc3339(o.now) }).object;
    },
    recordManager(info, old, next, o) {
      return updateManagedFields({ old, new: next, kind: info, apiVersion: apiVersionOf(info), manager: o.manager, subresource: o.subresource, time: rfc3339(o.now) });
    },
    unknownFields: (info, obj, prune) => (prune ? pruneUnknownFields(obj, info) : unknownFields(obj, info)),
  };
  const docs: DiscoveryDocuments = {
    aggregated: (core) => discovery.aggregatedDiscovery(core),
    apiVersions: () => discovery.apiVersions(),
    apiGroupList: () => discovery.apiGroupList(),
    apiGroup: (g) => discovery.apiGroup(g),
    apiResourceList: (g, v) => discovery.apiResourceList(g, v),
    openapiV3Index: () => openapi.openapiV3Index(),
    openapiV3Doc: (p) => openapi.openapiV3Doc(p),
    openapiV2: (accept) => (openapi.openapiV2Acceptable(accept) ? openapi.openapiV2() : undefined),
  };
  const primaryIPFamily = ipFamilyOf(opts.serviceCIDR.split('/')[0]!) ?? 'IPv4';
  let server: ApiServer | undefined;
  const list = async (group: string, version: string, resource: string) => (await server?.storage(group, version, resource)?.list(undefined))?.items ?? [];
  return {
    fns,
    discovery: docs,
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
      const services = await api.storage('', 'v1', 'services')!.list(undefined);
      for (const problem of allocator.restore(services.items as unknown as Service[])) opts.log?.(`service allocation repair: ${problem}`);
    },
  };
}
