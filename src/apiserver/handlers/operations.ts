/** The pure pieces of src/api (and the OpenAPI module) the handlers call, shaped for ResourceInfo. */
import { serverSideApply as apply, updateManagedFields } from '../../api/apply/server-side-apply.js';
import { fieldsOf, matchesFields, parseFieldSelector, validateFieldSelector } from '../../api/fields.js';
import { isEverything, matches, parseLabelSelector } from '../../api/labels.js';
import { applyJsonPatch } from '../../api/patch/json-patch.js';
import { applyMergePatch } from '../../api/patch/merge-patch.js';
import { applyStrategicMergePatch } from '../../api/patch/strategic-merge-patch.js';
import { printerFor, toTable as printTable } from '../../api/printers/index.js';
import { isCustomResource, type ResourceInfo } from '../../api/resources.js';
import { badRequest, StatusError } from '../../api/status.js';
import { apiVersionOf, type KubeObject } from '../../api/types.js';
import { rfc3339 } from '../../util/clock.js';
import { pruneUnknownFields, unknownFields as findUnknownFields } from '../openapi/strict.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

/** Table rendering of objects (kubectl get). */
export function toTable(info: ResourceInfo, objects: KubeObject[], opts: { now: number; includeObject: 'None' | 'Metadata' | 'Object'; resourceVersion?: string; continue?: string }): unknown {
  return printTable(printerFor(info.group, info.kind), objects, opts);
}

/** Compiles labelSelector / fieldSelector query values into one predicate; throws StatusError 400 on bad syntax. */
export function selectorFilter(info: { group: string; kind: string }, labelSelector: string | null, fieldSelector: string | null): ((obj: KubeObject) => boolean) | undefined {
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

/** Applies a json/merge/strategic patch to the current object. */
export function applyPatch(info: ResourceInfo, type: Exclude<PatchType, 'apply'>, current: KubeObject, patch: unknown): KubeObject {
  if (type === 'json') return applyJsonPatch<KubeObject>(current, patch);
  if (type === 'merge') return applyMergePatch<KubeObject>(current, patch);
  if (isCustomResource(info)) throw new StatusError({ reason: 'UnsupportedMediaType', code: 415, message: 'strategic merge patch format is not supported' });
  return applyStrategicMergePatch<KubeObject>(current, patch, info);
}

/** Server-side apply: merged object with managedFields, or a 409 conflict StatusError. */
export function serverSideApply(info: ResourceInfo, live: KubeObject | undefined, applied: KubeObject, o: { manager: string; force: boolean; now: number }): KubeObject {
  return apply({ live, applied, kind: info, apiVersion: apiVersionOf(info), manager: o.manager, force: o.force, now: rfc3339(o.now) }).object;
}

/** The object with an Update entry in managedFields for a non-apply write (`next`, the write's own copy, changed in place). */
export function recordManager(info: ResourceInfo, old: KubeObject | undefined, next: KubeObject, o: { manager: string; now: number; subresource?: string }): KubeObject {
  return updateManagedFields({ old, new: next, kind: info, apiVersion: apiVersionOf(info), manager: o.manager, subresource: o.subresource, time: rfc3339(o.now), inPlace: true });
}

/** Paths of fields the schema does not know (for fieldValidation); with prune, also removes them. */
export function unknownFields(info: ResourceInfo, obj: unknown, prune?: boolean): string[] {
  return prune ? pruneUnknownFields(obj, info) : findUnknownFields(obj, info);
}
