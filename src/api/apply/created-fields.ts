/**
 * The fields a create takes, straight to FieldsV1: what `compare(emptySkeleton(view), view)` adds or
 * modifies, encoded as `toFieldsV1` would, without building a FieldSet of serialised paths. Every create
 * (and every controller's create) records one `Update` entry, so this is the field manager's hot path;
 * server-side-apply.test.ts holds it to the general walk.
 */
import { pathMeta, type KindRef, type ListType } from '../patch/patch-meta.js';
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
  const root = node();
  const child = (n: Node, pe: string): Node => {
    let c = n.children.get(pe);
    if (!c) n.children.set(pe, (c = node()));
    return c;
  };
  // mirrors typed.compare (l: skeleton, r: view), keeping only added and modified paths
  const walk = (l: unknown, r: unknown, schema: string[], at: () => Node, top: boolean): void => {
    const v = r !== undefined ? r : l;
    let list: KeyedList | undefined;
    let leaf = true;
    if (Array.isArray(v)) {
      const m = pathMeta(kind, schema)?.list;
      if (m && m.type !== 'atomic') [list, leaf] = [m, false];
    } else if (isObj(v)) leaf = !!pathMeta(kind, schema)?.atomic;
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
        walk(lo[k], ro[k], [...schema, k], () => child(at(), pe), false);
      }
    } else {
      const li = indexItems(list, (l ?? []) as unknown[]);
      const ri = indexItems(list, (r ?? []) as unknown[]);
      for (const pe of new Set([...li.keys(), ...ri.keys()])) {
        const lv = li.get(pe);
        const rv = ri.get(pe);
        if (list.type === 'set') {
          if (lv === undefined) child(at(), pe).member = true;
        } else walk(lv, rv, schema, () => child(at(), pe), false);
      }
    }
    if (!top && l === undefined) at().member = true;
  };
  walk(skeleton, view, [], () => root, true);
  return root.children.size ? emit(root) : undefined;
}

function emit(n: Node): FieldsV1 {
  const out: FieldsV1 = {};
  if (n.member && n.children.size > 0) out['.'] = {};
  for (const k of [...n.children.keys()].sort(comparePathElements)) out[k] = emit(n.children.get(k)!);
  return out;
}
