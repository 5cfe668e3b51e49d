import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GroupVersionKind } from '../../api/types.js';

/** An OpenAPI v3 schema object, as far as skiff uses it. */
export interface SchemaObject {
  description?: string;
  type?: string;
  format?: string;
  $ref?: string;
  allOf?: SchemaObject[];
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  additionalProperties?: SchemaObject | boolean;
  required?: string[];
  default?: unknown;
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  [extension: `x-${string}`]: unknown;
}

export const REF_PREFIX = '#/components/schemas/';

let cache: Record<string, SchemaObject> | undefined;

/**
 * The generated definitions (scripts/gen-openapi.ts), read once. The JSON sits beside the source; a build
 * in dist/ does not copy it, so the source location is tried too.
 */
export function schemas(): Record<string, SchemaObject> {
  if (cache) return cache;
  const candidates = [new URL('./schemas.json', import.meta.url), new URL('../../../src/apiserver/openapi/schemas.json', import.meta.url)];
  const found = candidates.map((u) => fileURLToPath(u)).find((p) => existsSync(p));
  if (!found) throw new Error('openapi schemas.json not found (run scripts/gen-openapi.ts)');
  cache = JSON.parse(readFileSync(found, 'utf8')) as Record<string, SchemaObject>;
  return cache;
}

/** Definition name of the top-level kind, e.g. io.k8s.api.core.v1.Service. */
const definitionCache = new Map<string, string | undefined>();

export function definitionFor(gvk: GroupVersionKind): string | undefined {
  const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
  if (definitionCache.has(key)) return definitionCache.get(key);
  let found: string | undefined;
  for (const [name, s] of Object.entries(schemas())) {
    const kinds = s['x-kubernetes-group-version-kind'];
    if (kinds?.some((k) => k.group === gvk.group && k.version === gvk.version && k.kind === gvk.kind)) {
      found = name;
      break;
    }
  }
  definitionCache.set(key, found);
  return found;
}

/** Follows `$ref` and the single-element `allOf` Kubernetes wraps described references in. */
export function resolve(s: SchemaObject): SchemaObject {
  let cur = s;
  for (let i = 0; i < 8; i++) {
    const target = cur.$ref ?? (cur.allOf?.length === 1 ? cur.allOf[0]!.$ref : undefined);
    if (!target) return cur;
    const next = schemas()[target.slice(REF_PREFIX.length)];
    if (!next) return {};
    cur = next;
  }
  return cur;
}

/** Every definition reachable from the given ones (the given ones included). */
export function closure(names: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const stack = [...names];
  const all = schemas();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') stack.push(x.slice(REF_PREFIX.length));
        else visit(x);
      }
    }
  };
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n) || !all[n]) continue;
    seen.add(n);
    visit(all[n]);
  }
  return seen;
}
