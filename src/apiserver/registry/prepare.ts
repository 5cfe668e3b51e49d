import { randomBytes, randomUUID } from 'node:crypto';
import type { ResourceInfo } from '../../api/resources.js';
import type { ResourceStrategy } from '../../api/strategy.js';
import { clone, type KubeObject } from '../../api/types.js';
import { rfc3339 } from '../../util/clock.js';

// names.SimpleNameGenerator's alphabet: no vowels, no confusable characters
const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
export function generateName(base: string): string {
  const bytes = randomBytes(5);
  let suffix = '';
  for (const b of bytes) suffix += alphabet[b % alphabet.length];
  return `${base.length > 58 ? base.slice(0, 58) : base}${suffix}`;
}

/** System fields and status reset on create (rest.BeforeCreate + the strategies' PrepareForCreate). */
export function prepareForCreate(info: ResourceInfo, strategy: ResourceStrategy, obj: KubeObject, now: number): void {
  const md = obj.metadata;
  md.uid = randomUUID();
  md.creationTimestamp = rfc3339(now);
  delete md.deletionTimestamp;
  delete md.deletionGracePeriodSeconds;
  delete md.selfLink;
  delete md.resourceVersion;
  if (!info.namespaced) delete md.namespace;
  if (strategy.tracksGeneration) md.generation = 1;
  else delete md.generation;
  if (info.hasStatus && !strategy.keepStatusOnCreate) delete obj.status;
  strategy.prepareForCreate?.(obj);
}

function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return JSON.stringify(rest);
}

/**
 * System fields on update: identity fields cannot change; status only moves through /status and the
 * rest only through the main resource; generation follows spec changes.
 */
export function prepareForUpdate(info: ResourceInfo, strategy: ResourceStrategy, obj: KubeObject, old: KubeObject, opts: { subresource?: string; deleting?: boolean }): KubeObject {
  let next: KubeObject;
  if (opts.deleting) {
    next = obj; // the deletion flow itself sets deletionTimestamp, finalizers and (namespaces) status
  } else if (opts.subresource === 'status') {
    next = { ...clone(old), status: obj.status };
    // metadata changes through /status are dropped, except what controllers legitimately bump
    next.metadata = { ...clone(old.metadata), resourceVersion: obj.metadata.resourceVersion };
    strategy.prepareForStatusUpdate?.(next, obj);
  } else {
    next = obj;
    if (info.hasStatus) {
      if (old.status === undefined) delete next.status;
      else next.status = clone(old.status);
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
  if (strategy.tracksGeneration) {
    const oldGen = old.metadata.generation ?? 1;
    md.generation = specOf(next) !== specOf(old) ? oldGen + 1 : oldGen;
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
