/**
 * Server-side field validation (`?fieldValidation=Strict|Warn|Ignore`): finding the fields of a request
 * body that the kind's schema does not declare, and Kubernetes' words for them.
 */
import { badRequest, invalid, type StatusError } from '../../api/status.js';
import type { GroupVersionKind } from '../../api/types.js';
import { definitionFor, resolve, schemas, type SchemaObject } from './schemas.js';

/**
 * Unknown fields of `obj` against the schema of `gvk`, in document order, spelled as Kubernetes' strict
 * decoder (sigs.k8s.io/json) does: `spec.foo`, `spec.ports[0].bogus` — no leading dot. An unknown kind
 * (no schema) has no unknown fields.
 */
export function unknownFields(obj: unknown, gvk: GroupVersionKind): string[] {
  const def = definitionFor(gvk);
  if (!def) return [];
  const out: string[] = [];
  walk(obj, schemas()[def]!, '', out, false);
  return out;
}

/**
 * Removes the fields the schema does not declare (what decoding into Go types does under
 * fieldValidation Warn/Ignore) and returns their paths.
 */
export function pruneUnknownFields(obj: unknown, gvk: GroupVersionKind): string[] {
  const def = definitionFor(gvk);
  if (!def) return [];
  const out: string[] = [];
  walk(obj, schemas()[def]!, '', out, true);
  return out;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function walk(value: unknown, schemaIn: SchemaObject, path: string, out: string[], prune: boolean): void {
  if (value === null || typeof value !== 'object') return;
  const schema = resolve(schemaIn);
  if (schema['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => walk(v, schema.items!, `${path}[${i}]`, out, prune));
    return;
  }
  const props = schema.properties;
  const extra = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
  // An object schema that declares nothing (FieldsV1, RawExtension-like) takes any content.
  if (!props && !extra) return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const sub = props?.[key] ?? extra;
    if (!sub) {
      out.push(join(path, key));
      if (prune) delete (value as Record<string, unknown>)[key];
    } else walk(v, sub, join(path, key), out, prune);
  }
}

/** `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"` */
export function strictDecodingMessage(fields: string[]): string {
  return `strict decoding error: ${fields.map(unknownFieldText).join(', ')}`;
}

/** One finding: `unknown field "spec.foo"` — also the text of each `Warn` warning. */
export function unknownFieldText(field: string): string {
  return `unknown field "${field}"`;
}

/**
 * Create/update under Strict: 400 BadRequest
 * `Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"`.
 */
export function strictBodyError(gvk: GroupVersionKind, fields: string[]): StatusError {
  return badRequest(`${gvk.kind} in version "${gvk.version}" cannot be handled as a ${gvk.kind}: ${strictDecodingMessage(fields)}`);
}

/**
 * JSON/merge/strategic PATCH under Strict: 422 Invalid with an empty kind and name,
 * ` "" is invalid: patch: Invalid value: "<value>": strict decoding error: ...`. Kubernetes puts the whole
 * patched object (JSON) as the value for json/merge patches and the patch map for strategic ones.
 */
export function strictPatchError(value: string, fields: string[]): StatusError {
  return invalid({ group: '', kind: '' }, '', [{ type: 'FieldValueInvalid', field: 'patch', value, detail: strictDecodingMessage(fields) }]);
}

/** Warn: the warnings to send, one `Warning: 299 - "<text>"` header each. */
export function strictWarnings(fields: string[]): string[] {
  return fields.map(unknownFieldText);
}

/** A Warning header value for one text, quoted as Go's strconv.Quote would for ASCII. */
export function warningHeaderValue(text: string): string {
  return `299 - ${JSON.stringify(text)}`;
}
