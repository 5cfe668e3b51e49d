/**
 * Server-side apply (`PATCH` with `application/apply-patch+yaml`) and managedFields upkeep for
 * ordinary writes, after sigs.k8s.io/structured-merge-diff's Updater.Apply / Updater.Update.
 *
 * Known limitations (documented, not silently wrong for kubectl's common paths):
 * - the schema is patch-meta's table, not OpenAPI: unknown lists are atomic, unknown objects granular;
 * - no version conversion: managed sets recorded under another apiVersion are used as they are;
 * - no cap of 10 Update entries ("ancient-changes"), no "before-first-apply" manager for objects
 *   that predate field management;
 * - an explicit `null` in an applied configuration removes the field and records ownership of it.
 * As in Kubernetes, the manager `kubectl` gets the client-side-apply upgrade path (last-applied.ts).
 */
import type { ManagedFieldsEntry } from 'kubernetes-types/meta/v1.js';
import { parse as parseYaml } from 'yaml';
import { StatusError, badRequest } from '../status.js';
import { clone, type KubeObject } from '../types.js';
import type { KindRef } from '../patch/patch-meta.js';
import { FieldSet, pathToString, type FieldPath } from './fieldpath.js';
import { createdFields } from './created-fields.js';
import { compare, isObj, merge, removePaths, toFieldSet } from './typed.js';
import { allowedConflictsFromLastApplied, lastAppliedManagerName, syncLastApplied } from './last-applied.js';
import {
  decodeManagedFields,
  describeManager,
  emptySkeleton,
  encodeManagedFields,
  managerId,
  trackedView,
  transferOwnership,
  type ManagerEntry,
} from './managed-fields.js';

export interface ServerSideApplyOptions {
  /** The current object, or undefined when the apply creates it. */
  live: KubeObject | undefined;
  /** The applied configuration (the request body, parsed). */
  applied: KubeObject;
  kind: KindRef;
  /** The request's API version, e.g. `apps/v1`. */
  apiVersion: string;
  /** `?fieldManager=` (required for apply). */
  manager: string;
  /** `?force=true` takes conflicting fields from other managers. */
  force?: boolean;
  /** 'status' for `.../status`, else the main resource. */
  subresource?: string;
  /** RFC 3339 time for the manager's entry (from the injected clock). */
  now: string;
}

export interface ApplyResult {
  /** The merged object with updated metadata.managedFields (not yet defaulted or validated). */
  object: KubeObject;
  /** Whether anything besides managedFields changed. */
  changed: boolean;
}

/** Parses an apply body (YAML or JSON) into an object; 400 on anything else. */
export function parseApplyBody(body: string): KubeObject {
  let v: unknown;
  try {
    v = parseYaml(body);
  } catch (e) {
    throw badRequest(`error decoding YAML: ${(e as Error).message}`);
  }
  if (!isObj(v)) throw badRequest('error decoding YAML: the apply configuration must be an object');
  return v as unknown as KubeObject;
}

/** The 409 Kubernetes returns for apply conflicts (NewApplyConflict with getConflictMessage). */
export function applyConflictError(conflicts: Array<{ manager: ManagerEntry; path: FieldPath }>): StatusError {
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0].manager)}: ${pathToString(conflicts[0].path)}`;
  } else {
    const byManager = new Map<string, { m: ManagerEntry; paths: FieldPath[] }>();
    for (const c of conflicts) {
      const id = managerId(c.manager);
      if (!byManager.has(id)) byManager.set(id, { m: c.manager, paths: [] });
      byManager.get(id)!.paths.push(c.path);
    }
    const lines: string[] = [];
    for (const id of [...byManager.keys()].sort()) {
      const { m, paths } = byManager.get(id)!;
      lines.push(`conflicts with ${describeManager(m)}:`);
      for (const p of paths) lines.push(`- ${pathToString(p)}`);
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError({
    reason: 'Conflict',
    code: 409,
    message,
    details: { causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${describeManager(c.manager)}`, field: pathToString(c.path) })) },
  });
}

/**
 * Applies a configuration for one field manager. Throws 409 (conflicts, unless force) or 400.
 * The caller then defaults, validates and stores `object` (201 when `live` was undefined).
 */
export function serverSideApply(opts: ServerSideApplyOptions): ApplyResult {
  const { live, applied, kind, apiVersion, manager, now, subresource } = opts;
  if (!manager) throw badRequest('PATCH, application/apply-patch+yaml requests must specify a fieldManager');
  if (applied.metadata?.managedFields !== undefined && applied.metadata.managedFields !== null)
    throw badRequest(`metadata.managedFields must be nil`);

  const managers = decodeManagedFields(live?.metadata?.managedFields);
  const liveView = trackedView(live, kind, subresource);
  const configView = trackedView(applied, kind, subresource);
  const me = { manager, operation: 'Apply' as const, apiVersion, subresource };
  const myId = managerId(me);
  const previous = managers.find((m) => managerId(m) === myId);
  const others = managers.filter((m) => managerId(m) !== myId);

  const newSet = toFieldSet(configView, kind);
  let merged = merge(liveView, configView, kind);

  // Fields this manager applied before and now omits go away unless someone still owns them.
  if (previous) {
    const stillOwned = others.reduce((acc, m) => acc.union(m.fields), newSet);
    const drop = previous.fields.difference(newSet).list().filter((p) => !stillOwned.hasPrefixOf(p));
    // A list item that stays keeps its key fields.
    const dropSet = new FieldSet(drop);
    const keep = (p: FieldPath) => isKeyField(p) && !dropSet.has(p.slice(0, -1));
    merged = removePaths(merged, drop.filter((p) => !keep(p)), kind);
  }

  const cmp = compare(liveView, merged, kind);
  const changedSet = cmp.added.union(cmp.modified);
  const conflicts: Array<{ manager: ManagerEntry; path: FieldPath }> = [];
  for (const m of others) for (const p of m.fields.intersection(changedSet).list()) conflicts.push({ manager: m, path: p });
  if (conflicts.length && !opts.force) {
    // kubectl upgrading from client-side apply may take fields its last-applied annotation still describes.
    const allowed = manager === lastAppliedManagerName ? allowedConflictsFromLastApplied(live, { kind, apiVersion, subresource }) : new FieldSet();
    const remaining = conflicts.filter((c) => !allowed.has(c.path));
    if (remaining.length) throw applyConflictError(remaining);
  }

  transferOwnership(managers, myId, cmp);
  const entry: ManagerEntry = previous ?? { ...me, fields: new FieldSet() };
  entry.fields = newSet;
  entry.apiVersion = apiVersion;
  entry.time = now;
  if (!previous) managers.push(entry);

  const object = assemble({ base: live, applied, view: merged, kind, subresource });
  if (manager === lastAppliedManagerName) syncLastApplied(object, applied);
  setManagedFields(object, managers);
  return { object, changed: !(cmp.added.empty() && cmp.modified.empty() && cmp.removed.empty()) };
}

/** Whether the path names a key field of a keyed list item (`...k:{"name":"c"}, f:name`). */
function isKeyField(p: FieldPath): boolean {
  const item = p[p.length - 2];
  const last = p[p.length - 1];
  if (!item?.startsWith('k:') || !last?.startsWith('f:')) return false;
  return Object.hasOwn(JSON.parse(item.slice(2)) as object, last.slice(2));
}

/** Rebuilds a full object from a tracked view plus the untracked parts of the live (or applied) object. */
function assemble(args: { base: KubeObject | undefined; applied: KubeObject; view: Record<string, unknown>; kind: KindRef; subresource?: string }): KubeObject {
  const { base, applied, view, subresource } = args;
  const src: KubeObject = base ? clone(base) : { apiVersion: applied.apiVersion, kind: applied.kind, metadata: {} };
  if (subresource === 'status') {
    const out = { ...src };
    if (view.status === undefined) delete out.status;
    else out.status = view.status;
    return out;
  }
  const untrackedMeta: Record<string, unknown> = {};
  const srcMeta = (base ? src.metadata : applied.metadata) ?? {};
  for (const [k, v] of Object.entries(srcMeta)) if (['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'generation', 'resourceVersion'].includes(k)) untrackedMeta[k] = v;
  const out: KubeObject = {
    apiVersion: src.apiVersion,
    kind: src.kind,
    ...clone(view),
    metadata: { ...untrackedMeta, ...(isObj(view.metadata) ? clone(view.metadata) : {}) },
  };
  if (src.status !== undefined && !('status' in view)) out.status = src.status;
  return out;
}

function setManagedFields(obj: KubeObject, managers: ManagerEntry[]): void {
  const encoded = encodeManagedFields(managers);
  if (encoded.length) obj.metadata.managedFields = encoded;
  else delete obj.metadata.managedFields;
}

export interface UpdateManagedFieldsOptions {
  /** The object before the write; undefined on create. */
  old: KubeObject | undefined;
  /** The object about to be stored (after defaulting); its managedFields, if the client set them, are honoured. */
  new: KubeObject;
  kind: KindRef;
  apiVersion: string;
  /** `?fieldManager=`, or the user agent's first word as Kubernetes derives it. */
  manager: string;
  operation?: 'Update';
  subresource?: string;
  /** RFC 3339 */
  time: string;
  /** `new` is the write's own copy: its managedFields are set in place (no copy made). */
  inPlace?: boolean;
}

/**
 * Records an `Update` managedFields entry for a create/update/patch that is not an apply:
 * the writer takes every field it added or changed; removed fields leave every manager.
 * Returns a copy of `new` with metadata.managedFields set.
 */
export function updateManagedFields(opts: UpdateManagedFieldsOptions): KubeObject {
  const { old, kind, apiVersion, manager, subresource, time } = opts;
  const next = opts.inPlace ? opts.new : clone(opts.new);
  const sent = next.metadata?.managedFields;
  // decodeLiveOrNew: managedFields the client sent win over the stored ones.
  const managers = decodeManagedFields(Array.isArray(sent) && sent.length > 0 && subresource !== 'status' ? sent : old?.metadata?.managedFields);
  const newView = trackedView(next, kind, subresource);
  const oldView = old ? trackedView(old, kind, subresource) : emptySkeleton(newView);
  const me = { manager, operation: 'Update' as const, apiVersion, subresource };
  if (!old && managers.length === 0) {
    // a create nobody else manages: the writer's fields are all there is
    const fieldsV1 = createdFields(oldView, newView, kind);
    if (!fieldsV1) delete next.metadata.managedFields;
    else {
      // the key order encodeManagedFields writes
      const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: fieldsV1 as ManagedFieldsEntry['fieldsV1'] };
      if (subresource) entry.subresource = subresource;
      next.metadata.managedFields = [entry];
    }
    return next;
  }
  const cmp = compare(oldView, newView, kind);
  const myId = managerId(me);
  transferOwnership(managers, myId, cmp);
  const current = cmp.added.union(cmp.modified);
  let entry = managers.find((m) => managerId(m) === myId);
  if (entry) entry.fields = entry.fields.difference(cmp.removed);
  if (!current.empty()) {
    if (!entry) managers.push((entry = { ...me, fields: new FieldSet() }));
    entry.fields = entry.fields.union(current);
    entry.time = time;
  }
  setManagedFields(next, managers);
  return next;
}
