import type { FieldError } from '../status.js';

/** Constructors mirroring k8s.io/apimachinery/pkg/util/validation/field. */
export function required(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, detail };
}

export function invalid(field: string, value: unknown, detail = ''): FieldError {
  return { type: 'FieldValueInvalid', field, value, detail };
}

/**
 * An Invalid error whose bad value Go prints with %#v (maps, structs): `goText` is that rendering,
 * e.g. `map[string]string{"app":"x"}`. FieldError renders strings quoted, so the text goes before the detail.
 */
export function invalidGo(field: string, goText: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, detail: `${goText}: ${detail}` };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field, value };
}

/** A Duplicate error with a %#v-rendered value (see invalidGo). */
export function duplicateGo(field: string, goText: string): FieldError {
  return { type: 'FieldValueDuplicate', field, detail: goText };
}

export function forbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, detail };
}

/** `Unsupported value: "x": supported values: "a", "b"` */
export function notSupported(field: string, value: unknown, valid: readonly string[]): FieldError {
  const detail = valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field, value, detail };
}

export function tooMany(field: string, max: number): FieldError {
  return { type: 'FieldValueTooMany', field, detail: `must have at most ${max} items` };
}

/** Go's %#v of a map[string]string: keys sorted, `map[string]string{"a":"b", "c":"d"}`. */
export function goStringMap(m: Record<string, string> | undefined): string {
  if (!m) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort();
  return `map[string]string{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`).join(', ')}}`;
}

/** field.Path helpers: `spec.ports[0].name`, `metadata.labels[app]`. */
export function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}
