/**
 * Schema-aware walks over JSON objects, after structured-merge-diff's typed package:
 * toFieldSet (which fields a configuration sets), compare (added/modified/removed fields),
 * merge (applied configuration over the live object) and removePaths (pruning).
 * The schema is patch-meta's table: lists are atomic unless declared `map` (by keys) or `set`;
 * objects are granular unless declared atomic.
 */
import { pathMeta, type KindRef, type ListType } from '../patch/patch-meta.js';
import { deepEqual } from '../patch/strategic-merge-patch.js';
import { FieldSet, fieldElement, keyElement, valueElement, type FieldPath, type PathElement } from './fieldpath.js';
import { clone } from '../types.js';

type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Field names along a path (list-item elements carry no schema step). */
function schemaPath(path: FieldPath): string[] {
  return path.filter((pe) => pe.startsWith('f:')).map((pe) => pe.slice(2));
}

type Shape = { t: 'leaf' } | { t: 'object' } | { t: 'list'; list: Exclude<ListType, { type: 'atomic' }> };

function shapeOf(kind: KindRef, path: FieldPath, ...values: unknown[]): Shape {
  const v = values.find((x) => x !== undefined);
  const meta = pathMeta(kind, schemaPath(path));
  if (Array.isArray(v)) {
    const list = meta?.list;
    if (!list || list.type === 'atomic') return { t: 'leaf' };
    return { t: 'list', list };
  }
  if (isObj(v)) return meta?.atomic ? { t: 'leaf' } : { t: 'object' };
  return { t: 'leaf' };
}

/** The path element naming a list item: `k:{...}` (with schema defaults for missing key fields) or `v:...`. */
export function itemElement(list: Exclude<ListType, { type: 'atomic' }>, item: unknown, index: number): PathElement {
  if (list.type === 'set') return valueElement(item);
  if (!isObj(item)) return `i:${index}`;
  const key: Obj = {};
  for (const k of list.keys) {
    if (item[k] !== undefined) key[k] = item[k];
    else if (list.keyDefaults && k in list.keyDefaults) key[k] = list.keyDefaults[k];
  }
  return keyElement(key);
}

export function indexItems(list: Exclude<ListType, { type: 'atomic' }>, items: unknown[]): Map<PathElement, unknown> {
  const m = new Map<PathElement, unknown>();
  items.forEach((it, i) => {
    const pe = itemElement(list, it, i);
    if (!m.has(pe)) m.set(pe, it);
  });
  return m;
}

/** The fields a configuration sets (TypedValue.ToFieldSet): leaves, atomic values and list items. */
export function toFieldSet(value: Obj, kind: KindRef): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, path: FieldPath) => {
    const shape = shapeOf(kind, path, v);
    if (shape.t === 'leaf') {
      if (path.length) set.insert(path);
    } else if (shape.t === 'object') {
      for (const [k, c] of Object.entries(v as Obj)) walk(c, [...path, fieldElement(k)]);
    } else {
      for (const [pe, item] of indexItems(shape.list, v as unknown[])) {
        const ip = [...path, pe];
        set.insert(ip);
        if (shape.list.type === 'map' && isObj(item)) for (const [k, c] of Object.entries(item)) walk(c, [...ip, fieldElement(k)]);
      }
    }
  };
  walk(value, []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

const isEmptyContainer = (v: unknown) => v === undefined || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);

/** TypedValue.Compare: which fields rhs added, modified or removed relative to lhs. */
export function compare(lhs: Obj, rhs: Obj, kind: KindRef): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  const walk = (l: unknown, r: unknown, path: FieldPath) => {
    const shape = shapeOf(kind, path, r, l);
    const sameType = l === undefined || r === undefined || Array.isArray(l) === Array.isArray(r) && isObj(l) === isObj(r);
    if (shape.t === 'leaf' || !sameType || (isEmptyContainer(l) && isEmptyContainer(r))) {
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!deepEqual(l, r)) c.modified.insert(path);
      return;
    }
    if (shape.t === 'object') {
      const lo = (l ?? {}) as Obj;
      const ro = (r ?? {}) as Obj;
      for (const k of new Set([...Object.keys(lo), ...Object.keys(ro)])) walk(lo[k], ro[k], [...path, fieldElement(k)]);
    } else {
      const li = indexItems(shape.list, (l ?? []) as unknown[]);
      const ri = indexItems(shape.list, (r ?? []) as unknown[]);
      for (const pe of new Set([...li.keys(), ...ri.keys()])) {
        const lv = li.get(pe);
        const rv = ri.get(pe);
        const ip = [...path, pe];
        if (shape.list.type === 'set') {
          if (lv === undefined) c.added.insert(ip);
          else if (rv === undefined) c.removed.insert(ip);
        } else walk(lv, rv, ip);
      }
    }
    if (path.length) {
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
    }
  };
  walk(lhs, rhs, []);
  return c;
}

/**
 * TypedValue.Merge: the applied configuration (rhs) over the live object (lhs).
 * Scalars and atomic values take rhs; objects merge per field; associative lists merge per item,
 * keeping live order and placing new items after the shared item that precedes them in rhs.
 * An explicit `null` in rhs removes the field.
 */
export function merge(lhs: Obj, rhs: Obj, kind: KindRef): Obj {
  return mergeValue(lhs, rhs, [], kind) as Obj;
}

function mergeValue(l: unknown, r: unknown, path: FieldPath, kind: KindRef): unknown {
  if (r === undefined) return l;
  if (l === undefined || r === null) return r;
  const shape = shapeOf(kind, path, r, l);
  const sameType = Array.isArray(l) === Array.isArray(r) && isObj(l) === isObj(r);
  if (shape.t === 'leaf' || !sameType) return r;
  if (shape.t === 'object') {
    const out: Obj = { ...(l as Obj) };
    for (const [k, rv] of Object.entries(r as Obj)) {
      const mv = mergeValue(out[k], rv, [...path, fieldElement(k)], kind);
      if (mv === null) delete out[k];
      else out[k] = mv;
    }
    return out;
  }
  return mergeList(l as unknown[], r as unknown[], shape.list, path, kind);
}

/** mergingWalker.visitListItems, ported: the output order follows lhs with rhs-only items interleaved. */
function mergeList(lhs: unknown[], rhs: unknown[], list: Exclude<ListType, { type: 'atomic' }>, path: FieldPath, kind: KindRef): unknown[] {
  const li = indexItems(list, lhs);
  const ri = indexItems(list, rhs);
  const lOrder = [...li.keys()];
  const rOrder = [...ri.keys()];
  const shared = rOrder.filter((pe) => li.has(pe));
  let nextShared = shared.shift();
  const out: unknown[] = [];
  const mergeItem = (pe: PathElement) => {
    const v = list.type === 'set' ? (ri.has(pe) ? ri.get(pe) : li.get(pe)) : mergeValue(li.get(pe), ri.get(pe), [...path, pe], kind);
    if (v !== undefined && v !== null) out.push(v);
  };
  let l = 0;
  let r = 0;
  while (l < lOrder.length || r < rOrder.length) {
    if (l < lOrder.length && r < rOrder.length) {
      const pe = lOrder[l];
      if (pe === rOrder[r]) {
        mergeItem(pe);
        l++;
        r++;
        nextShared = shared.shift();
        continue;
      }
      if (ri.has(pe) && nextShared !== undefined && nextShared !== pe) {
        l++;
        continue;
      }
    }
    if (l < lOrder.length && !ri.has(lOrder[l])) {
      mergeItem(lOrder[l]);
      l++;
      continue;
    }
    if (r < rOrder.length) {
      const pe = rOrder[r];
      mergeItem(pe);
      r++;
      if (nextShared === pe) nextShared = shared.shift();
    } else l++;
  }
  return out;
}

/** The value at `path`, following `k:`/`v:` elements through lists. */
function locate(value: unknown, path: FieldPath, kind: KindRef): { parent: unknown; at: string | number } | undefined {
  let cur: unknown = value;
  for (let i = 0; i < path.length; i++) {
    const pe = path[i];
    let at: string | number;
    if (pe.startsWith('f:')) {
      if (!isObj(cur)) return undefined;
      at = pe.slice(2);
      if (!(at in cur)) return undefined;
    } else {
      if (!Array.isArray(cur)) return undefined;
      const shape = shapeOf(kind, path.slice(0, i), cur);
      if (pe.startsWith('i:')) at = Number(pe.slice(2));
      else if (shape.t !== 'list') return undefined;
      else {
        const lt = shape.list;
        at = cur.findIndex((it, idx) => itemElement(lt, it, idx) === pe);
      }
      if (at < 0 || at >= cur.length) return undefined;
    }
    if (i === path.length - 1) return { parent: cur, at };
    cur = (cur as Record<string | number, unknown>)[at];
  }
  return undefined;
}

/** Removes each path (with its subtree); objects emptied by a removal are removed too. */
export function removePaths(value: Obj, paths: FieldPath[], kind: KindRef): Obj {
  const out = clone(value);
  // Shallowest first: a removed subtree takes its descendants with it (later lookups miss harmlessly).
  for (const p of [...paths].sort((a, b) => a.length - b.length)) {
    for (let cut = p; cut.length > 0; cut = cut.slice(0, -1)) {
      const loc = locate(out, cut, kind);
      if (!loc) break;
      if (cut !== p) {
        const v = (loc.parent as Record<string | number, unknown>)[loc.at];
        if (!(isObj(v) && Object.keys(v).length === 0)) break;
      }
      if (Array.isArray(loc.parent)) loc.parent.splice(loc.at as number, 1);
      else delete (loc.parent as Obj)[loc.at as string];
    }
  }
  return out;
}
