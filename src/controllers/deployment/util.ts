/** Deployment helpers (pkg/controller/deployment/util): fenceposts, hashing, template equality, revisions. */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { scaledValue } from '../common/intorpercent.js';
import { clone } from '../../api/types.js';

export const revisionAnnotation = 'deployment.kubernetes.io/revision';
export const revisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const desiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const maxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
export const podTemplateHashLabel = 'pod-template-hash';
const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
const rollbackToAnnotation = 'deprecated.deployment.rollback.to';
const maxRevHistoryLengthInChars = 2000;

const notCopied = new Set([lastAppliedAnnotation, revisionAnnotation, revisionHistoryAnnotation, desiredReplicasAnnotation, maxReplicasAnnotation, rollbackToAnnotation]);

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** ResolveFenceposts: surge rounds up, unavailable down; both 0 → unavailable 1. */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge ?? '25%', desired, true);
  let unavailable = scaledValue(maxUnavailable ?? '25%', desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function replicasOf(obj: { spec?: { replicas?: number } }): number {
  return obj.spec?.replicas ?? 1;
}

export function maxSurge(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicasOf(d)).surge;
}

export function maxUnavailable(d: Deployment): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return Math.min(replicas, resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas).unavailable);
}

/** JSON with sorted keys and without null/empty values: Semantic.DeepEqual treats nil and empty alike. */
export function canonicalJSON(v: unknown): string {
  return JSON.stringify(canonical(v)) ?? 'null';
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const c = canonical((v as Record<string, unknown>)[k]);
      if (c === null || c === undefined) continue;
      if (Array.isArray(c) && c.length === 0) continue;
      if (typeof c === 'object' && !Array.isArray(c) && Object.keys(c as object).length === 0) continue;
      out[k] = c;
    }
    return out;
  }
  return v;
}

function fnv32a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const alphanums = 'bcdfghjklmnpqrstvwxz2456789';

/** pod-template-hash: FNV-32a over a canonical rendering of the template (+ collisionCount), encoded as kube does. */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  const text = new TextEncoder().encode(canonicalJSON(template ?? {}));
  let bytes = text;
  if (collisionCount !== undefined && collisionCount !== null) {
    bytes = new Uint8Array(text.length + 4);
    bytes.set(text);
    new DataView(bytes.buffer).setUint32(text.length, collisionCount >>> 0, true);
  }
  // rand.SafeEncodeString(fmt.Sprint(hash)): each decimal digit mapped into a vowel-free alphabet
  return [...String(fnv32a(bytes))].map((ch) => alphanums[ch.charCodeAt(0) % alphanums.length]).join('');
}

function withoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const c = clone(t ?? {});
  if (c.metadata?.labels) delete c.metadata.labels[podTemplateHashLabel];
  if (c.metadata) delete (c.metadata as { creationTimestamp?: unknown }).creationTimestamp;
  return c;
}

/** EqualIgnoreHash: templates equal after dropping pod-template-hash. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return canonicalJSON(withoutHash(a)) === canonicalJSON(withoutHash(b));
}

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } }): number {
  const v = Number(obj.metadata?.annotations?.[revisionAnnotation] ?? 0);
  return Number.isInteger(v) ? v : 0;
}

export function maxRevision(rss: ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

function creationOrder(a: ReplicaSet, b: ReplicaSet): number {
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  return ta - tb || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}

export function byCreation<T extends ReplicaSet>(rss: T[]): T[] {
  return [...rss].sort(creationOrder);
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's. */
export function findNewReplicaSet<T extends ReplicaSet>(d: Deployment, rss: T[]): T | undefined {
  return byCreation(rss).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** copyDeploymentAnnotationsToReplicaSet; true when something changed. */
export function copyDeploymentAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  const md = (rs.metadata ??= {});
  const ann = (md.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (notCopied.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  return changed;
}

export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const ann = ((rs.metadata ??= {}).annotations ??= {});
  const d = String(desired);
  const m = String(max);
  if (ann[desiredReplicasAnnotation] === d && ann[maxReplicasAnnotation] === m) return false;
  ann[desiredReplicasAnnotation] = d;
  ann[maxReplicasAnnotation] = m;
  return true;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const ann = rs.metadata?.annotations ?? {};
  return ann[desiredReplicasAnnotation] !== String(desired) || ann[maxReplicasAnnotation] !== String(max);
}

/** SetNewReplicaSetAnnotations: copy annotations, bump revision (keeping the old one in revision-history). */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const ann = ((rs.metadata ??= {}).annotations ??= {});
  const oldRevision = ann[revisionAnnotation];
  const oldRevisionInt = oldRevision === undefined ? 0 : Number(oldRevision) || 0;
  if (oldRevisionInt < newRevision) {
    ann[revisionAnnotation] = String(newRevision);
    changed = true;
  }
  if (oldRevision !== undefined && oldRevisionInt < newRevision) {
    const history = ann[revisionHistoryAnnotation] ?? '';
    let old = history === '' ? [] : history.split(',');
    let total = history.length + oldRevision.length + 1;
    let start = 0;
    while (old.length && total > maxRevHistoryLengthInChars && start < old.length) total -= old[start++].length + 1;
    if (total <= maxRevHistoryLengthInChars) {
      old = [...old.slice(start), oldRevision];
      ann[revisionHistoryAnnotation] = old.join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** Sum of spec.replicas. */
export function specReplicas(rss: (ReplicaSet | undefined)[]): number {
  return rss.reduce((n, rs) => n + (rs ? replicasOf(rs) : 0), 0);
}

export function statusCount(rss: (ReplicaSet | undefined)[], field: 'replicas' | 'readyReplicas' | 'availableReplicas'): number {
  return rss.reduce((n, rs) => n + (rs?.status?.[field] ?? 0), 0);
}

/** NewRSNewReplicas: how big the new ReplicaSet may be now. */
export function newRSNewReplicas(d: Deployment, all: (ReplicaSet | undefined)[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const current = specReplicas(all);
  const maxTotal = replicasOf(d) + maxSurge(d);
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
  return replicasOf(newRS) + up;
}
