/**
 * metadata.managedFields: decoding, encoding and the per-manager field sets that server-side apply
 * and ordinary writes maintain (k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager).
 */
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';
import { resources } from '../resources.js';
import type { KubeObject } from '../types.js';
import { FieldSet, fromFieldsV1, toFieldsV1 } from './fieldpath.js';
import { isObj, type Comparison } from './typed.js';
import type { KindRef } from '../patch/patch-meta.js';

export type Operation = 'Apply' | 'Update';

/** One manager's fields; identity is (manager, operation, apiVersion for Update, subresource). */
export interface ManagerEntry {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: FieldSet;
}

/** BuildManagerIdentifier: Apply entries are one manager across API versions. */
export function managerId(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify({ manager: e.manager, operation: e.operation, apiVersion: e.operation === 'Apply' ? undefined : e.apiVersion, subresource: e.subresource || undefined });
}

/** printManager: `"kubectl"`, `"kubectl-client-side-apply" using apps/v1`, `... with subresource "status"`. */
export function describeManager(e: Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  return e.operation === 'Update' ? `${s} using ${e.apiVersion}` : s;
}

export function decodeManagedFields(entries: ManagedFieldsEntry[] | undefined): ManagerEntry[] {
  return (entries ?? []).map((e) => ({
    manager: e.manager ?? '',
    operation: e.operation === 'Apply' ? 'Apply' : 'Update',
    apiVersion: e.apiVersion ?? '',
    time: e.time,
    subresource: e.subresource || undefined,
    fields: fromFieldsV1(e.fieldsV1),
  }));
}

/** Encodes, dropping empty sets, sorted as Kubernetes sorts them (operation, time, manager, apiVersion, subresource). */
export function encodeManagedFields(managers: ManagerEntry[]): ManagedFieldsEntry[] {
  const sorted = managers
    .filter((m) => !m.fields.empty())
    .sort((p, q) => {
      if (p.operation !== q.operation) return p.operation < q.operation ? -1 : 1;
      const pt = p.time ? Date.parse(p.time) / 1000 : 0;
      const qt = q.time ? Date.parse(q.time) / 1000 : 0;
      if (Math.floor(pt) !== Math.floor(qt)) return pt - qt;
      if (p.manager !== q.manager) return p.manager < q.manager ? -1 : 1;
      if (p.apiVersion !== q.apiVersion) return p.apiVersion < q.apiVersion ? -1 : 1;
      return (p.subresource ?? '') < (q.subresource ?? '') ? -1 : (p.subresource ?? '') > (q.subresource ?? '') ? 1 : 0;
    });
  return sorted.map((m) => {
    const e: ManagedFieldsEntry = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
    if (m.time) e.time = m.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = toFieldsV1(m.fields) as unknown as ManagedFieldsEntry['fieldsV1'];
    if (m.subresource) e.subresource = m.subresource;
    return e;
  });
}

/** Metadata the field manager never tracks (fieldmanager's stripMeta). */
const strippedMeta = ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'generation', 'managedFields', 'resourceVersion'];

/**
 * The object as the field manager sees it: without apiVersion/kind, stripped metadata, and without
 * the fields the write cannot change (status on the main resource; everything but status on /status).
 */
export function trackedView(obj: KubeObject | Record<string, unknown> | undefined, kind: KindRef, subresource?: string): Record<string, unknown> {
  if (!obj) return {};
  const out: Record<string, unknown> = { ...obj };
  delete out.apiVersion;
  delete out.kind;
  if (isObj(out.metadata)) {
    const meta = { ...out.metadata };
    for (const k of strippedMeta) delete meta[k];
    if (Object.keys(meta).length) out.metadata = meta;
    else delete out.metadata;
  }
  if (subresource === 'status') return out.status === undefined ? {} : { status: out.status };
  if (hasStatus(kind)) delete out.status;
  return out;
}

function hasStatus(kind: KindRef): boolean {
  const info = resources.find((r) => r.group === kind.group && r.kind === kind.kind);
  return info ? info.hasStatus : false;
}

/** Paths that stay present in a freshly constructed typed object (non-pointer structs), so an Update does not claim them. */
export function emptySkeleton(obj: Record<string, unknown>): Record<string, unknown> {
  const skel: Record<string, unknown> = {};
  for (const k of ['metadata', 'spec', 'status']) if (isObj(obj[k])) skel[k] = {};
  const spec = obj.spec;
  if (isObj(spec) && isObj(skel.spec)) {
    const s: Record<string, unknown> = {};
    const t = spec.template;
    // PodSpec.containers has no omitempty: an empty Go object already holds it (as null).
    if (isObj(t)) s.template = { ...(isObj(t.metadata) ? { metadata: {} } : {}), ...(isObj(t.spec) ? { spec: Array.isArray(t.spec.containers) ? { containers: [] } : {} } : {}) };
    if (isObj(spec.strategy)) s.strategy = {};
    if (Array.isArray(spec.containers)) s.containers = [];
    skel.spec = s;
  }
  return skel;
}

/**
 * Folds a comparison into the managers (Updater.update): removed fields leave every manager,
 * changed fields leave other managers (ownership moves to the writer).
 */
export function transferOwnership(managers: ManagerEntry[], writer: string, cmp: Comparison): void {
  const changed = cmp.added.union(cmp.modified);
  for (const m of managers) {
    if (managerId(m) === writer) continue;
    m.fields = m.fields.difference(cmp.removed).difference(changed);
  }
}

