/**
 * The fields a create takes, straight to FieldsV1: what `compare(emptySkeleton(view), view)` adds or
 * modifies, encoded as `toFieldsV1` would, without building a FieldSet of serialised paths. Every create
 * (and every controller's create) records one `Update` entry, so this is the field manager's hot path;
 * server-side-apply.test.ts holds it to the general walk.
 */
import { pathMetaTable, type KindRef, type ListType } from '../patch/patch-meta.js';
import { deepEqual } from '../patch/strategic-merge-patch.js';
import { comparePathElements, fieldElement, type FieldsV1 } from './fieldpath.js';
import { indexItems, isObj } from './typed.js';

type Obj = Record<string, unknown>;
type KeyedList = Exclude<ListType, { type: 'atomic' }>;

interface Node {
  member: boolean;
  children: Map<string, Node>;
}

const node = (): Node => ({ member: false, children: new Map() });
const isEmptyContainer = (v: unknown) => v === undefined || (Array.isArray(v) && v.length === 0) || (isObj(v) && Object.keys(v).length === 0);

/** FieldsV1 of the fields `view` adds over `skeleton`; undefined when it adds none. */
export function createdFields(skeleton: Obj, view: Obj, kind: KindRef): FieldsV1 | undefined {
  const table = pathMetaTable(kind);
  const root = node();
  const child = (n: Node, pe: string): Node => {
    let c = n.children.get(pe);
    if (!c) n.children.set(pe, (c = node()));
    return c;
  };
  /** A value's list semantics and whether it is a leaf, by its dotted schema path. */
  const shape = (v: unknown, key: string): { list: KeyedList | undefined; leaf: boolean } => {
    if (Array.isArray(v)) {
      const m = table.get(key)?.list;
      return m && m.type !== 'atomic' ? { list: m, leaf: false } : { list: undefined, leaf: true };
    }
    return { list: undefined, leaf: isObj(v) ? !!table.get(key)?.atomic : true };
  };
  // walk with nothing on the left (all but the skeleton's few members): every field met is added, so each
  // node is made at once, without walk's lazy parents
  const added = (r: unknown, key: string, n: Node): void => {
    const { list, leaf } = shape(r, key);
    n.member = true;
    if (leaf || isEmptyContainer(r)) return;
    if (!list) {
      const ro = r as Obj;
      for (const k in ro) if (ro[k] !== undefined) added(ro[k], key ? `${key}.${k}` : k, child(n, fieldElement(k)));
      return;
    }
    for (const [pe, rv] of indexItems(list, r as unknown[])) {
      if (list.type === 'set') child(n, pe).member = true;
      else added(rv, key, child(n, pe));
    }
  };
  // mirrors typed.compare (l: skeleton, r: view), keeping only added and modified paths
  const walk = (l: unknown, r: unknown, key: string, at: () => Node, top: boolean): void => {
    const v = r !== undefined ? r : l;
    const { list, leaf } = shape(v, key);
    const sameType = l === undefined || r === undefined || (Array.isArray(l) === Array.isArray(r) && isObj(l) === isObj(r));
    if (leaf || !sameType || (isEmptyContainer(l) && isEmptyContainer(r))) {
      if (r !== undefined && (l === undefined || !deepEqual(l, r))) at().member = true;
      return;
    }
    if (!list) {
      const lo = (l ?? {}) as Obj;
      const ro = (r ?? {}) as Obj;
      for (const k of new Set([...Object.keys(lo), ...Object.keys(ro)])) {
        const pe = fieldElement(k);
        const sub = key ? `${key}.${k}` : k;
        if (lo[k] === undefined) {
          if (ro[k] !== undefined) added(ro[k], sub, child(at(), pe));
        } else walk(lo[k], ro[k], sub, () => child(at(), pe), false);
      }
    } else {
      const li = indexItems(list, (l ?? []) as unknown[]);
      const ri = indexItems(list, (r ?? []) as unknown[]);
      for (const pe of new Set([...li.keys(), ...ri.keys()])) {
        const lv = li.get(pe);
        const rv = ri.get(pe);
        if (list.type === 'set') {
          if (lv === undefined) child(at(), pe).member = true;
        } else if (lv === undefined) {
          if (rv !== undefined) added(rv, key, child(at(), pe));
        } else walk(lv, rv, key, () => child(at(), pe), false);
      }
    }
    if (!top && l === undefined) at().member = true;
  };
  walk(skeleton, view, '', () => root, true);
  return root.children.size ? emit(root) : undefined;
}

function emit(n: Node): FieldsV1 {
  const out: FieldsV1 = {};
  if (n.children.size === 0) return out;
  if (n.member) out['.'] = {};
  // most nodes are leaves or hold one member: nothing to sort
  const keys = n.children.size === 1 ? n.children.keys() : [...n.children.keys()].sort(comparePathElements);
  for (const k of keys) out[k] = emit(n.children.get(k)!);
  return out;
}
