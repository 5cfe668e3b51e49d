/**
 * Field paths and field sets as sigs.k8s.io/structured-merge-diff/fieldpath models them, with the
 * FieldsV1 wire encoding (`f:name`, `k:{"name":"c"}`, `v:"x"`, `i:0`, `.` for the node itself).
 */

/** One step of a path, in its FieldsV1 spelling: `f:spec`, `k:{"name":"c"}`, `v:"a"`, `i:3`. */
export type PathElement = string;
export type FieldPath = PathElement[];

export const fieldElement = (name: string): PathElement => `f:${name}`;
export const valueElement = (v: unknown): PathElement => `v:${JSON.stringify(v)}`;
/** Key fields sorted by name, as fieldpath.KeyByFields sorts them. */
export function keyElement(key: Record<string, unknown>): PathElement {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(key).sort()) sorted[k] = key[k];
  return `k:${JSON.stringify(sorted)}`;
}

/** fieldpath.Path.String(): `.spec.template.spec.containers[name="c"].image`, `[="x"]`, `[0]`. */
export function pathToString(path: FieldPath): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const key = JSON.parse(body) as Record<string, unknown>;
          return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
        }
        case 'v':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

const typeRank: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** PathElement ordering: field names, then keys, then values, then indices. */
export function comparePathElements(a: PathElement, b: PathElement): number {
  const d = (typeRank[a[0]] ?? 9) - (typeRank[b[0]] ?? 9);
  if (d) return d;
  if (a[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

const keyOf = (p: FieldPath): string => JSON.stringify(p);

/** A set of field paths. Immutable-style helpers return new sets (sharing the stored, never mutated paths). */
export class FieldSet {
  private readonly paths = new Map<string, FieldPath>();

  constructor(paths: Iterable<FieldPath> = []) {
    for (const p of paths) this.insert(p);
  }

  /** A set of already keyed paths: the helpers below build theirs without serialising every path again. */
  private static of(entries: Iterable<[string, FieldPath]>): FieldSet {
    const set = new FieldSet();
    for (const [k, p] of entries) set.paths.set(k, p);
    return set;
  }

  insert(p: FieldPath): this {
    this.paths.set(keyOf(p), [...p]);
    return this;
  }
  has(p: FieldPath): boolean {
    return this.paths.has(keyOf(p));
  }
  get size(): number {
    return this.paths.size;
  }
  empty(): boolean {
    return this.paths.size === 0;
  }
  list(): FieldPath[] {
    return [...this.paths.values()].sort(comparePaths);
  }
  union(other: FieldSet): FieldSet {
    if (other.empty()) return FieldSet.of(this.paths);
    const set = FieldSet.of(this.paths);
    for (const [k, p] of other.paths) if (!set.paths.has(k)) set.paths.set(k, p);
    return set;
  }
  difference(other: FieldSet): FieldSet {
    if (other.empty()) return FieldSet.of(this.paths);
    return FieldSet.of([...this.paths].filter(([k]) => !other.paths.has(k)));
  }
  intersection(other: FieldSet): FieldSet {
    return FieldSet.of([...this.paths].filter(([k]) => other.paths.has(k)));
  }
  /** Removes every path equal to or under one of `prefixes` (Set.RecursiveDifference). */
  withoutPrefixes(prefixes: FieldPath[]): FieldSet {
    return FieldSet.of([...this.paths].filter(([, p]) => !prefixes.some((pre) => isPrefix(pre, p))));
  }
  /** Whether some path equals `p` or lies under it. */
  hasPrefixOf(p: FieldPath): boolean {
    for (const q of this.paths.values()) if (isPrefix(p, q)) return true;
    return false;
  }
  equals(other: FieldSet): boolean {
    if (this.size !== other.size) return false;
    for (const k of this.paths.keys()) if (!other.paths.has(k)) return false;
    return true;
  }
}

export function isPrefix(prefix: FieldPath, p: FieldPath): boolean {
  return prefix.length <= p.length && prefix.every((pe, i) => pe === p[i]);
}

export function comparePaths(a: FieldPath, b: FieldPath): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = comparePathElements(a[i], b[i]);
    if (d) return d;
  }
  return a.length - b.length;
}

/** The FieldsV1 JSON tree of a set. */
export type FieldsV1 = { [element: string]: FieldsV1 };

interface Node {
  member: boolean;
  children: Map<string, Node>;
}

export function toFieldsV1(set: FieldSet): FieldsV1 {
  const root: Node = { member: false, children: new Map() };
  for (const p of set.list()) {
    let n = root;
    for (const pe of p) {
      let c = n.children.get(pe);
      if (!c) n.children.set(pe, (c = { member: false, children: new Map() }));
      n = c;
    }
    n.member = true;
  }
  const emit = (n: Node): FieldsV1 => {
    const out: FieldsV1 = {};
    if (n.member && n.children.size > 0) out['.'] = {};
    for (const k of [...n.children.keys()].sort(comparePathElements)) out[k] = emit(n.children.get(k)!);
    return out;
  };
  return emit(root);
}

export function fromFieldsV1(tree: unknown): FieldSet {
  const set = new FieldSet();
  const walk = (node: unknown, path: FieldPath) => {
    if (typeof node !== 'object' || node === null) return;
    const entries = Object.entries(node as Record<string, unknown>);
    for (const [k, v] of entries) {
      if (k === '.') {
        set.insert(path);
        continue;
      }
      const child = [...path, k];
      if (typeof v === 'object' && v !== null && Object.keys(v).length === 0) set.insert(child);
      else walk(v, child);
    }
  };
  walk(tree, []);
  return set;
}
