/**
 * Strategic merge patch (k8s.io/apimachinery/pkg/util/strategicpatch, server side:
 * MergeParallelList + IgnoreUnmatchedNulls), as kubectl apply/edit/set send it.
 *
 * Directives: `$patch: replace|merge|delete`, `$setElementOrder/<list>`, `$retainKeys`,
 * `$deleteFromPrimitiveList/<list>`; `null` deletes a key. Lists with a merge key merge by it,
 * primitive lists with patchStrategy merge are unions, every other list is replaced.
 * Limitations: no schema validation of the patch; `$retainKeys` is not checked against the
 * patch's own keys; a type mismatch between original and patch takes the patch value.
 */
import { badRequest } from '../status.js';
import { pathMeta, type KindRef, type ListType } from './patch-meta.js';
import { clone } from '../types.js';

type Obj = Record<string, unknown>;

const directiveMarker = '$patch';
const retainKeysDirective = '$retainKeys';
const setElementOrderPrefix = '$setElementOrder/';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList/';

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies `patch` to a copy of `original` using the merge metadata of `kind`. Throws 400 on malformed patches. */
export function applyStrategicMergePatch<T = unknown>(original: unknown, patch: unknown, kind: KindRef): T {
  if (!isObj(patch)) throw badRequest('invalid JSON document: strategic merge patch must be a JSON object');
  const base = isObj(original) ? clone(original) : {};
  return mergeMap(base, clone(patch), { kind, path: [] }) as T;
}

interface Ctx {
  kind: KindRef;
  path: string[];
}

const child = (ctx: Ctx, field: string): Ctx => ({ kind: ctx.kind, path: [...ctx.path, field] });
const listTypeOf = (ctx: Ctx): ListType | undefined => pathMeta(ctx.kind, ctx.path)?.list;

function mergeMap(original: Obj, patch: Obj, ctx: Ctx): Obj {
  if (directiveMarker in patch) {
    const d = patch[directiveMarker];
    delete patch[directiveMarker];
    if (d === 'replace') return stripDirectives(patch) as Obj;
    if (d === 'delete') return {};
    if (d !== 'merge') throw badRequest(`Unknown patch type: ${String(d)} in map: ${JSON.stringify(patch)}`);
  }
  if (retainKeysDirective in patch) {
    const keep = patch[retainKeysDirective];
    if (!Array.isArray(keep)) throw badRequest(`invalid patch: $retainKeys must be a list of strings, got ${JSON.stringify(keep)}`);
    for (const k of Object.keys(original)) if (!keep.includes(k)) delete original[k];
    delete patch[retainKeysDirective];
  }
  // $deleteFromPrimitiveList/<field>: remove values from a primitive list.
  for (const k of Object.keys(patch)) {
    if (!k.startsWith(deleteFromPrimitiveListPrefix)) continue;
    const field = k.slice(deleteFromPrimitiveListPrefix.length);
    const remove = patch[k];
    delete patch[k];
    if (!Array.isArray(remove)) throw badRequest(`invalid patch: ${k} must be a list`);
    const cur = original[field];
    if (Array.isArray(cur)) original[field] = cur.filter((x) => !remove.some((r) => deepEqual(r, x)));
  }
  // $setElementOrder/<field>: merge the list now, then order it.
  for (const k of Object.keys(patch)) {
    if (!k.startsWith(setElementOrderPrefix)) continue;
    const field = k.slice(setElementOrderPrefix.length);
    const order = patch[k];
    delete patch[k];
    if (!Array.isArray(order)) throw badRequest(`invalid patch: ${k} must be a list`);
    const cctx = child(ctx, field);
    const lt = listTypeOf(cctx);
    const orig = Array.isArray(original[field]) ? (original[field] as unknown[]) : undefined;
    const pl = patch[field];
    if (pl === null) continue; // deleting the list wins
    if (!orig && !Array.isArray(pl)) continue;
    const merged = Array.isArray(pl) ? mergeList(orig ?? [], pl, cctx) : orig!;
    original[field] = lt?.type === 'map' || lt?.type === 'set' ? normalizeElementOrder(merged, order, orig ?? [], lt) : merged;
    delete patch[field];
  }
  for (const [k, pv] of Object.entries(patch)) {
    if (pv === null) {
      delete original[k];
      continue;
    }
    const ov = original[k];
    if (ov === undefined) {
      original[k] = stripDirectives(pv);
      continue;
    }
    const cctx = child(ctx, k);
    if (isObj(ov) && isObj(pv)) original[k] = mergeMap(ov, pv, cctx);
    else if (Array.isArray(ov) && Array.isArray(pv)) original[k] = mergeList(ov, pv, cctx);
    else original[k] = stripDirectives(pv);
  }
  return original;
}

function mergeList(original: unknown[], patch: unknown[], ctx: Ctx): unknown[] {
  const lt = listTypeOf(ctx);
  if (lt?.type === 'set') {
    const out = [...original];
    for (const v of patch) if (!out.some((x) => deepEqual(x, v))) out.push(v);
    return out;
  }
  if (lt?.type !== 'map') {
    // Atomic list: a `{$patch: replace}` marker element may still be present; drop it.
    return patch.filter((v) => !(isObj(v) && directiveMarker in v && Object.keys(v).length === 1)).map(stripDirectives);
  }
  const key = lt.keys[0];
  let out = [...original];
  const items: Obj[] = [];
  let replace = false;
  for (const v of patch) {
    if (!isObj(v)) throw badRequest(`invalid patch: list ${ctx.path.join('.')} holds a non-object element ${JSON.stringify(v)}`);
    if (!(directiveMarker in v)) {
      items.push(v);
      continue;
    }
    const d = v[directiveMarker];
    if (d === 'delete') {
      if (!(key in v)) throw badRequest(`map: ${JSON.stringify(v)} does not contain declared merge key: ${key}`);
      out = out.filter((o) => !(isObj(o) && deepEqual(o[key], v[key])));
    } else if (d === 'replace') replace = true;
    else if (d === 'merge') throw badRequest('merging lists cannot yet be specified in the patch');
    else throw badRequest(`Unknown patch type: ${String(d)} in map: ${JSON.stringify(v)}`);
  }
  if (replace) return items.map(stripDirectives);
  for (const v of items) {
    if (!(key in v)) throw badRequest(`map: ${JSON.stringify(v)} does not contain declared merge key: ${key}`);
    const i = out.findIndex((o) => isObj(o) && deepEqual(o[key], v[key]));
    if (i >= 0) out[i] = mergeMap(clone(out[i]) as Obj, v, ctx);
    else out.push(stripDirectives(v));
  }
  return out;
}

/** normalizeElementOrder: items named in `order` follow it; server-only items keep their place. */
function normalizeElementOrder(merged: unknown[], order: unknown[], serverOrder: unknown[], lt: ListType): unknown[] {
  const id = (v: unknown): unknown => (lt.type === 'map' && isObj(v) ? v[lt.keys[0]] : v);
  const indexIn = (list: unknown[], v: unknown) => list.findIndex((x) => deepEqual(id(x), id(v)));
  const inOrder = merged.filter((v) => indexIn(order, v) >= 0).sort((a, b) => indexIn(order, a) - indexIn(order, b));
  const serverOnly = merged.filter((v) => indexIn(order, v) < 0).sort((a, b) => indexIn(serverOrder, a) - indexIn(serverOrder, b));
  // mergeSortedSlice(serverOnly, inOrder, serverOrder)
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < inOrder.length) {
    if (j >= inOrder.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(inOrder[j++]);
    else {
      const li = indexIn(serverOrder, serverOnly[i]);
      const ri = indexIn(serverOrder, inOrder[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(inOrder[j++]);
    }
  }
  return out;
}

/** A value taken whole from the patch: directives removed, nulls discarded (IgnoreUnmatchedNulls). */
function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(isObj(x) && x[directiveMarker] === 'delete')).map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null || k === directiveMarker || k === retainKeysDirective) continue;
    if (k.startsWith(setElementOrderPrefix) || k.startsWith(deleteFromPrimitiveListPrefix)) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ao = a as Obj;
  const bo = b as Obj;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => k in bo && deepEqual(ao[k], bo[k]));
}
