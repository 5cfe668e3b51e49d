import { parseFieldSelector, fieldsOf, matchesFields, validateFieldSelector } from '../api/fields.js';
import { isEverything, matches, parseLabelSelector } from '../api/labels.js';
import { applyJsonPatch } from '../api/patch/json-patch.js';
import { applyMergePatch } from '../api/patch/merge-patch.js';
import { printerFor, toTable } from '../api/printers/index.js';
import { badRequest } from '../api/status.js';
import type { ResourceStrategy } from '../api/strategy.js';
import type { KubeObject } from '../api/types.js';
import type { ApiServer } from './api-server.js';
import * as discovery from './discovery.js';
import * as openapi from './openapi/index.js';
import { unknownFields } from './openapi/strict.js';
import type { ApiFunctions } from './handlers/context.js';
import type { DiscoveryDocuments } from './non-resource.js';
import type { ResourceHooks } from './registry/hooks.js';

export interface ApiWiringOptions {
  serviceCIDR: string;
  nodePortRange: string;
  reservedServiceIPs: string[];
}

export interface ApiWiring {
  fns: ApiFunctions;
  discovery: DiscoveryDocuments;
  strategies: Record<string, ResourceStrategy>;
  hooks: Record<string, ResourceHooks>;
  /** Rebuild in-memory allocation state from storage before serving. */
  restore(api: ApiServer): Promise<void>;
}

function selectorError(err: unknown): never {
  throw badRequest((err as Error).message);
}

/** Connects the pure API pieces (src/api, OpenAPI, allocators) to the API server's handlers. */
export function createApiWiring(_opts: ApiWiringOptions): ApiWiring {
  const fns: ApiFunctions = {
    toTable: (info, objects, o) => toTable(printerFor(info.group, info.kind), objects, o),
    selectorFilter(info, labelSelector, fieldSelector) {
      let labelReq: ReturnType<typeof parseLabelSelector> | undefined;
      let fieldReq: ReturnType<typeof parseFieldSelector> | undefined;
      try {
        if (labelSelector) labelReq = parseLabelSelector(labelSelector);
        if (fieldSelector) {
          fieldReq = parseFieldSelector(fieldSelector);
          validateFieldSelector(fieldReq, info);
        }
      } catch (err) {
        selectorError(err);
      }
      if (labelReq && isEverything(labelReq)) labelReq = undefined;
      if (fieldReq && !fieldReq.requirements.length) fieldReq = undefined;
      if (!labelReq && !fieldReq) return undefined;
      return (obj: KubeObject) => (!labelReq || matches(labelReq, obj.metadata.labels)) && (!fieldReq || matchesFields(fieldReq, fieldsOf(obj)));
    },
    applyPatch(_info, type, current, patch) {
      if (type === 'json') return applyJsonPatch<KubeObject>(current, patch);
      return applyMergePatch<KubeObject>(current, patch);
    },
    serverSideApply(_info, live, applied) {
      return live ? applyMergePatch<KubeObject>(live, applied) : applied;
    },
    recordManager() {},
    unknownFields: (info, obj) => unknownFields(obj, info),
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
  return { fns, discovery: docs, strategies: {}, hooks: {}, restore: async () => {} };
}
