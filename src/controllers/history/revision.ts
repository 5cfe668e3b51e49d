/**
 * ControllerRevision helpers shared by the StatefulSet and DaemonSet controllers
 * (pkg/controller/history and the controllers' getPatch): a revision stores a strategic merge patch
 * that restores the pod template, `{"spec":{"template":{"$patch":"replace",...}}}`, encoded as Go's
 * json.Marshal of a map would (sorted keys), because kubectl compares those bytes (`rollout undo`).
 */
import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { clone, type KubeObject } from '../../api/types.js';
import { newControllerRef } from '../common/pods.js';

export type RevisionObject = ControllerRevision & KubeObject & { data?: unknown };

/** The label carrying a revision's hash (on revisions, and on the pods made from them). */
export const controllerRevisionHashLabel = 'controller-revision-hash';

/** A copy with object keys in byte order at every level (json.Marshal of map[string]interface{}). */
export function sortedKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortedKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortedKeys(x);
    }
    return out;
  }
  return v;
}

/** getPatch: the revision data for a pod template (Go encodes a template's nil creationTimestamp as null). */
export function templatePatch(template: PodTemplateSpec | undefined): Record<string, unknown> {
  const t = clone(template ?? {}) as Record<string, unknown>;
  const md = (t.metadata ??= {}) as Record<string, unknown>;
  if (md.creationTimestamp === undefined) md.creationTimestamp = null;
  t.$patch = 'replace';
  return sortedKeys({ spec: { template: t } }) as Record<string, unknown>;
}

/** The pod template a revision restores. */
export function templateOf(rev: RevisionObject): PodTemplateSpec {
  const t = clone(((rev.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template ?? {}) as Record<string, unknown>);
  delete t.$patch;
  const md = t.metadata as Record<string, unknown> | undefined;
  if (md && md.creationTimestamp === null) delete md.creationTimestamp;
  return t as PodTemplateSpec;
}

/** hash/fnv New32 (FNV-1, not 1a). */
function fnv32(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h ^= b;
  }
  return h >>> 0;
}

const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** rand.SafeEncodeString(fmt.Sprint(hash)) */
export function safeEncode(n: number): string {
  return [...String(n)].map((ch) => alphanums[ch.charCodeAt(0) % alphanums.length]).join('');
}

/** HashControllerRevision: FNV-32 over the raw data, then the collision count as decimal text. */
export function hashRevision(data: unknown, collisionCount?: number): string {
  const enc = new TextEncoder();
  let h = fnv32(enc.encode(JSON.stringify(data)));
  if (collisionCount !== undefined) h = fnv32(enc.encode(String(collisionCount)), h);
  return safeEncode(h);
}

/** ControllerRevisionName: the parent's name (cut to 223 characters) and the hash. */
export function revisionName(parent: string, hash: string): string {
  return `${parent.length > 223 ? parent.slice(0, 223) : parent}-${hash}`;
}

export interface NewRevisionOptions {
  parent: KubeObject;
  templateLabels: Record<string, string> | undefined;
  data: unknown;
  revision: number;
  collisionCount?: number;
  /** The hash to name and label it with, from the collision count (DaemonSets hash the template, not the data). */
  hash?: (collisionCount: number) => string;
  annotations?: Record<string, string>;
}

/** NewControllerRevision. */
export function newControllerRevision(o: NewRevisionOptions): RevisionObject {
  const hash = o.hash ? o.hash(o.collisionCount ?? 0) : hashRevision(o.data, o.collisionCount);
  const metadata: KubeObject['metadata'] = {
    name: revisionName(o.parent.metadata.name!, hash),
    namespace: o.parent.metadata.namespace,
    labels: { ...(o.templateLabels ?? {}), [controllerRevisionHashLabel]: hash },
    ownerReferences: [newControllerRef(o.parent)],
  };
  if (o.annotations && Object.keys(o.annotations).length) metadata.annotations = { ...o.annotations };
  return { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata, data: o.data, revision: o.revision } as RevisionObject;
}

/** Oldest first: by revision, then creation time, then name (history.SortControllerRevisions). */
export function sortRevisions<T extends RevisionObject>(revs: T[]): T[] {
  return [...revs].sort(
    (a, b) =>
      (a.revision ?? 0) - (b.revision ?? 0) ||
      (Date.parse(a.metadata.creationTimestamp ?? '') || 0) - (Date.parse(b.metadata.creationTimestamp ?? '') || 0) ||
      (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0),
  );
}

export function nextRevision(revs: RevisionObject[]): number {
  return revs.reduce((m, r) => Math.max(m, r.revision ?? 0), 0) + 1;
}

export function equalRevision(a: RevisionObject, b: RevisionObject): boolean {
  return JSON.stringify(sortedKeys(a.data ?? null)) === JSON.stringify(sortedKeys(b.data ?? null));
}

/** The revisions (from `revs`, oldest first) whose data equals `rev`'s. */
export function findEqualRevisions<T extends RevisionObject>(revs: T[], rev: RevisionObject): T[] {
  return sortRevisions(revs).filter((r) => equalRevision(r, rev));
}

/** truncateHistory: the oldest revisions beyond the limit that no live pod, nor current/update, uses. */
export function revisionsToPrune<T extends RevisionObject>(revs: T[], inUse: Set<string>, limit: number): T[] {
  const candidates = sortRevisions(revs).filter((r) => !inUse.has(r.metadata.name!));
  const excess = candidates.length - limit;
  return excess > 0 ? candidates.slice(0, excess) : [];
}
