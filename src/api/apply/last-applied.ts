/**
 * The bridge between client-side apply (the `kubectl.kubernetes.io/last-applied-configuration`
 * annotation) and server-side apply, for the field manager `kubectl` only, as the API server's
 * lastAppliedManager and lastAppliedUpdater do:
 * - conflicts on fields whose live value still equals the last-applied one are forgiven
 *   (the CSA -> SSA upgrade path);
 * - after a successful apply the annotation, if present, is rewritten to the applied configuration.
 */
import { clone, type KubeObject } from '../types.js';
import type { KindRef } from '../patch/patch-meta.js';
import { FieldSet } from './fieldpath.js';
import { compare, isObj, toFieldSet } from './typed.js';
import { trackedView } from './managed-fields.js';

export const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
export const lastAppliedManagerName = 'kubectl';

function lastAppliedOf(obj: KubeObject | undefined): string | undefined {
  const v = obj?.metadata?.annotations?.[lastAppliedAnnotation];
  return v ? v : undefined;
}

/** Fields the last client-side apply set that still hold the value it set (allowedConflictsFromLastApplied). */
export function allowedConflictsFromLastApplied(live: KubeObject | undefined, opts: { kind: KindRef; apiVersion: string; subresource?: string }): FieldSet {
  const text = lastAppliedOf(live);
  if (!text) return new FieldSet();
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return new FieldSet();
  }
  if (!isObj(last) || last.apiVersion !== opts.apiVersion) return new FieldSet();
  const lastView = trackedView(last, opts.kind, opts.subresource);
  const liveView = trackedView(live, opts.kind, opts.subresource);
  const cmp = compare(lastView, liveView, opts.kind);
  return toFieldSet(lastView, opts.kind).difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
}

/** JSON with map keys sorted, as Go's encoding/json writes an unstructured object. */
function goJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (isObj(v))
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** lastAppliedUpdater: when the result carries the annotation, set it to the applied configuration (minus itself). */
export function syncLastApplied(result: KubeObject, applied: KubeObject): void {
  if (!lastAppliedOf(result)) return;
  const copy = clone(applied);
  const annotations = copy.metadata?.annotations;
  if (annotations) {
    delete annotations[lastAppliedAnnotation];
    if (Object.keys(annotations).length === 0 && copy.metadata) copy.metadata.annotations = {};
  }
  result.metadata.annotations = { ...result.metadata.annotations, [lastAppliedAnnotation]: goJson(copy) };
}
