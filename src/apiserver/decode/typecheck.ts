import type { GroupVersionKind } from '../../api/types.js';
import { definitionFor, REF_PREFIX, schemas, type SchemaObject } from '../openapi/schemas.js';

/**
 * Go's encoding/json decode of a request body into the kind's struct, done over the OpenAPI schema: a value of
 * the wrong JSON type is an error worded as Go words it (`json: cannot unmarshal string into Go struct field
 * Pod.metadata of type v1.ObjectMeta`), and values Go decodes to the zero value are normalised the same way
 * (a `null` field is absent, a `null` list item is the item's zero value, a lone UTF-16 surrogate is U+FFFD).
 * Generic over the schemas: every kind that has a definition is covered.
 */
export class DecodeTypeError extends Error {
  constructor(
    message: string,
    /** the dotted JSON path Go reports (no list indices) */
    readonly path: string,
  ) {
    super(message);
    this.name = 'DecodeTypeError';
  }
}

const defCache = new Map<string, string | null>();

function definitionOf(gvk: GroupVersionKind): string | undefined {
  const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
  if (!defCache.has(key)) defCache.set(key, definitionFor(gvk) ?? null);
  return defCache.get(key) ?? undefined;
}

/** The referenced definition's name, following the `allOf: [{$ref}]` wrapper. */
function refOf(s: SchemaObject): string | undefined {
  const ref = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0]!.$ref : undefined);
  return ref?.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : undefined;
}

/** `io.k8s.api.core.v1.PodSpec` → `v1.PodSpec` (Go's package.Type). */
function goName(def: string): string {
  const parts = def.split('.');
  return parts.slice(-2).join('.');
}

const structNames = new Map<string, string>();

function structName(def: string): string {
  let name = structNames.get(def);
  if (name === undefined) structNames.set(def, (name = def.split('.').at(-1)!));
  return name;
}

interface Node {
  schema: SchemaObject;
  def?: string;
}

/** The schemas never change once loaded: each one's node is made once (a body check visits thousands). */
const nodes = new WeakMap<SchemaObject, Node>();

function nodeOf(s: SchemaObject): Node {
  let n = nodes.get(s);
  if (n) return n;
  const def = refOf(s);
  n = def ? { schema: schemas()[def] ?? {}, def } : { schema: s };
  nodes.set(s, n);
  return n;
}

function goType(n: Node): string {
  if (n.def) return goName(n.def);
  const s = n.schema;
  switch (s.type) {
    case 'string':
      return s.format === 'byte' ? '[]uint8' : 'string';
    case 'integer':
      return s.format === 'int32' ? 'int32' : 'int64';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'array':
      return `[]${s.items ? goType(nodeOf(s.items)) : 'interface {}'}`;
    case 'object':
      if (s.additionalProperties && typeof s.additionalProperties === 'object') return `map[string]${goType(nodeOf(s.additionalProperties))}`;
      return 'map[string]interface {}';
  }
  return 'interface {}';
}

function jsonType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

interface Ctx {
  struct: string;
  path: string[];
}

function fail(ctx: Ctx, v: unknown, n: Node, literal?: string): never {
  const what = literal ? `number ${literal}` : jsonType(v);
  const where = ctx.path.length ? `Go struct field ${ctx.struct}.${ctx.path.join('.')}` : 'Go value';
  throw new DecodeTypeError(`json: cannot unmarshal ${what} into ${where} of type ${goType(n)}`, ctx.path.join('.'));
}

const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const quantity = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPEu])?$/;
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function zeroOf(n: Node): unknown {
  const t = n.schema.type;
  if (n.def && (t === 'object' || t === undefined)) return {};
  if (t === 'string') return n.def ? null : '';
  if (t === 'integer' || t === 'number') return 0;
  if (t === 'boolean') return false;
  return null;
}

/** Checks (and normalises) one value; returns the value to keep, `undefined` to drop the field. */
function check(v: unknown, n: Node, ctx: Ctx): unknown {
  if (v === null) return undefined;
  const s = n.schema;
  if (s['x-kubernetes-preserve-unknown-fields'] && !s.properties) return v;
  if (n.def === 'io.k8s.apimachinery.pkg.util.intstr.IntOrString' || s.format === 'int-or-string') {
    if (typeof v === 'string') return wellFormed(v);
    if (typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) return v;
    return fail(ctx, v, n, typeof v === 'number' ? String(v) : undefined);
  }
  if (n.def === 'io.k8s.apimachinery.pkg.api.resource.Quantity') {
    const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : undefined;
    if (text === undefined || !quantity.test(text)) throw new DecodeTypeError("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", ctx.path.join('.'));
    return v;
  }
  switch (s.type) {
    case 'string':
      if (typeof v !== 'string') return fail(ctx, v, s.format === 'date-time' || n.def ? { schema: { type: 'string' } } : n);
      if (s.format === 'byte') {
        const stripped = v.replace(/[\r\n]/g, '');
        if (!base64.test(stripped)) throw new DecodeTypeError(`illegal base64 data at input byte ${badBase64Offset(stripped)}`, ctx.path.join('.'));
      }
      if (s.format === 'date-time' && !rfc3339.test(v))
        throw new DecodeTypeError(`parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(v)} as "2006"`, ctx.path.join('.'));
      return wellFormed(v);
    case 'integer':
      if (typeof v !== 'number') return fail(ctx, v, n);
      if (!Number.isInteger(v) || (s.format === 'int32' && (v < -2147483648 || v > 2147483647)) || !Number.isSafeInteger(v)) return fail(ctx, v, n, String(v));
      return v;
    case 'number':
      if (typeof v !== 'number') return fail(ctx, v, n);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') return fail(ctx, v, n);
      return v;
    case 'array': {
      if (!Array.isArray(v)) return fail(ctx, v, n);
      if (!s.items) return v;
      const item = nodeOf(s.items);
      for (let i = 0; i < v.length; i++) {
        const out = check(v[i], item, ctx);
        v[i] = out === undefined ? zeroOf(item) : out;
      }
      return v;
    }
    case 'object':
    case undefined: {
      if (typeof v !== 'object' || Array.isArray(v)) {
        if (s.type === undefined && !s.properties) return v;
        return fail(ctx, v, n);
      }
      const obj = v as Record<string, unknown>;
      if (s.properties) {
        const inner: Ctx = { struct: n.def ? structName(n.def) : ctx.struct, path: ctx.path };
        // in the body's order, as Go's decoder meets the fields (its first error is the one reported)
        for (const key of Object.keys(obj)) {
          const prop = Object.hasOwn(s.properties, key) ? s.properties[key] : undefined;
          if (!prop) continue;
          inner.path.push(key);
          try {
            const out = check(obj[key], nodeOf(prop), inner);
            if (out === undefined) delete obj[key];
            else obj[key] = out;
          } finally {
            inner.path.pop();
          }
        }
        return obj;
      }
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        const value = nodeOf(s.additionalProperties);
        for (const key of Object.keys(obj)) {
          const out = check(obj[key], value, ctx);
          obj[key] = out === undefined ? zeroOf(value) : out;
          if (obj[key] === null) delete obj[key];
        }
      }
      return obj;
    }
  }
  return v;
}

function wellFormed(s: string): string {
  return (s as string & { isWellFormed?: () => boolean }).isWellFormed?.() === false ? (s as string & { toWellFormed: () => string }).toWellFormed() : s;
}

function badBase64Offset(s: string): number {
  const i = s.search(/[^A-Za-z0-9+/=]/);
  if (i >= 0) return i;
  const pad = s.indexOf('=');
  if (pad >= 0 && pad < s.length - 2) return pad;
  return Math.max(0, s.length - (s.length % 4 || 4));
}

/**
 * Type-checks a decoded object of the kind in place (normalising nulls and lone surrogates as Go's decoder
 * does); throws DecodeTypeError worded as Go's. The top level must already be a JSON object.
 */
export function typeCheck(gvk: GroupVersionKind, obj: Record<string, unknown>): void {
  const def = definitionOf(gvk);
  if (!def) return;
  check(obj, { schema: schemas()[def]!, def }, { struct: gvk.kind, path: [] });
}
