import { randomBytes, randomUUID } from 'node:crypto';
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { rfc3339 } from '../../util/clock.js';

/** Kinds whose metadata.generation tracks spec changes (their strategies set it, as in Kubernetes 1.32). */
const tracksGeneration = new Set(['deployments.apps', 'replicasets.apps', 'ingresses.networking.k8s.io', 'ingressclasses.networking.k8s.io', 'ipaddresspools.metallb.io', 'l2advertisements.metallb.io']);
// batch/v1 strategies set and bump generation too
for (const r of ['jobs.batch', 'cronjobs.batch']) tracksGeneration.add(r);
for (const r of ['statefulsets.apps', 'daemonsets.apps']) tracksGeneration.add(r);

export function hasGeneration(info: ResourceInfo): boolean {
  return tracksGeneration.has(`${info.resource}.${info.group}`);
}

// names.SimpleNameGenerator's alphabet: no vowels, no confusable characters
const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
export function generateName(base: string): string {
  const bytes = randomBytes(5);
  let suffix = '';
  for (const b of bytes) suffix += alphabet[b % alphabet.length];
  return `${base.length > 58 ? base.slice(0, 58) : base}${suffix}`;
}

function podQOSClass(pod: KubeObject): string {
  const containers = ((pod.spec as { containers?: Array<{ resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }> })?.containers) ?? [];
  let any = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) if (!lim[r] || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** System fields and status reset on create (rest.BeforeCreate + the strategies' PrepareForCreate). */
export function prepareForCreate(info: ResourceInfo, obj: KubeObject, now: number): void {
  const md = obj.metadata;
  md.uid = randomUUID();
  md.creationTimestamp = rfc3339(now);
  delete md.deletionTimestamp;
  delete md.deletionGracePeriodSeconds;
  delete md.selfLink;
  delete md.resourceVersion;
  if (!info.namespaced) delete md.namespace;
  if (hasGeneration(info)) md.generation = 1;
  else delete md.generation;
  if (info.hasStatus && info.kind !== 'Node') delete obj.status;
  if (info.kind === 'Pod') obj.status = { phase: 'Pending', qosClass: podQOSClass(obj) };
  if (info.kind === 'Namespace') obj.status = { phase: 'Active' };
}

function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

/**
 * System fields on update: identity fields cannot change; status only moves through /status and the
 * rest only through the main resource; generation follows spec changes.
 */
export function prepareForUpdate(info: ResourceInfo, obj: KubeObject, old: KubeObject, opts: { subresource?: string; deleting?: boolean }): KubeObject {
  let next: KubeObject;
  if (opts.deleting) {
    next = obj; // the deletion flow itself sets deletionTimestamp, finalizers and (namespaces) status
  } else if (opts.subresource === 'status') {
    next = { ...structuredClone(old), status: obj.status };
    // metadata changes through /status are dropped, except what controllers legitimately bump
    next.metadata = { ...structuredClone(old.metadata), resourceVersion: obj.metadata.resourceVersion };
    // deploymentStatusStrategy keeps all but spec and labels: the controller records the revision annotation this way, without a generation bump
    if (info.kind === 'Deployment') next.metadata.annotations = obj.metadata.annotations;
  } else {
    next = obj;
    if (info.hasStatus) {
      if (old.status === undefined) delete next.status;
      else next.status = structuredClone(old.status);
    }
  }
  const md = next.metadata;
  md.uid = old.metadata.uid;
  md.creationTimestamp = old.metadata.creationTimestamp;
  md.name = old.metadata.name;
  if (info.namespaced) md.namespace = old.metadata.namespace;
  if (opts.deleting) {
    // keep what the deletion flow set
  } else if (old.metadata.deletionTimestamp) {
    md.deletionTimestamp = old.metadata.deletionTimestamp;
    md.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
  } else {
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
  }
  if (hasGeneration(info)) {
    const oldGen = old.metadata.generation ?? 1;
    const annotationsChanged = info.kind === 'Deployment' && opts.subresource !== 'status' && JSON.stringify(md.annotations ?? {}) !== JSON.stringify(old.metadata.annotations ?? {});
    md.generation = specOf(next) !== specOf(old) || annotationsChanged ? oldGen + 1 : oldGen;
  } else delete md.generation;
  return next;
}

/** True when an update would store exactly what is there (Kubernetes skips such writes). */
export function sameObject(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject) => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined } });
  return strip(a) === strip(b);
}

/** Go's `omitempty`: empty metadata maps and lists are not serialised, so they are not stored either. */
export function dropEmptyMetadata(obj: KubeObject): void {
  const md = obj.metadata as Record<string, unknown>;
  for (const key of ['labels', 'annotations', 'finalizers', 'ownerReferences', 'managedFields']) {
    const v = md[key];
    if (v === null || (Array.isArray(v) && v.length === 0) || (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0)) delete md[key];
  }
}
