/** ObjectMeta validation (k8s.io/apimachinery/pkg/api/validation/objectmeta.go) with Kubernetes' messages. */
import type { LabelSelector, ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { FieldError } from '../status.js';
import { child, forbidden, index, invalid, required } from './field.js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './names.js';

/** Validates a name; `prefix` is true for generateName, whose trailing '-' is allowed. */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** A generateName may end in '-': check it as if that dash were a letter. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);
export const validateNamespaceName = nameIsDNSLabel;

export const fieldImmutableErrorMsg = 'field is immutable';
export const totalAnnotationSizeLimitB = 256 * 1024;

export function validateLabelName(name: string, field: string): FieldError[] {
  return isQualifiedName(name).map((m) => invalid(field, name, m));
}

/** Keys then values, in sorted key order (Go iterates a map randomly; we pick a stable order). */
export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(labels ?? {}).sort()) {
    errs.push(...validateLabelName(k, field));
    const v = labels![k];
    if (typeof v !== 'string') errs.push(invalid(field, v, 'must be a string'));
    else errs.push(...isValidLabelValue(v).map((m) => invalid(field, v, m)));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const k of Object.keys(annotations ?? {}).sort()) {
    // Case does not matter for annotation keys.
    errs.push(...isQualifiedName(k.toLowerCase()).map((m) => invalid(field, k, m)));
    size += Buffer.byteLength(k) + Buffer.byteLength(String(annotations![k] ?? ''));
  }
  if (size > totalAnnotationSizeLimitB) errs.push({ type: 'FieldValueTooLong', field, detail: `may not be more than ${totalAnnotationSizeLimitB} bytes` });
  return errs;
}

export function validateFinalizers(finalizers: string[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) errs.push(...isQualifiedName(f).map((m) => invalid(field, f, m)));
  return errs;
}

export interface ObjectMetaOptions {
  namespaced: boolean;
  nameFn: NameValidator;
}

/** ValidateObjectMeta. The API server fills `name` from `generateName` before this runs. */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: ObjectMetaOptions, path = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) errs.push(...opts.nameFn(m.generateName, true).map((msg) => invalid(child(path, 'generateName'), m.generateName, msg)));
  if (!m.name) errs.push(required(child(path, 'name'), 'name or generateName is required'));
  else errs.push(...opts.nameFn(m.name, false).map((msg) => invalid(child(path, 'name'), m.name, msg)));
  if (opts.namespaced) {
    if (!m.namespace) errs.push(required(child(path, 'namespace')));
    else errs.push(...validateNamespaceName(m.namespace, false).map((msg) => invalid(child(path, 'namespace'), m.namespace, msg)));
  } else if (m.namespace) {
    errs.push(forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  if (typeof m.generation === 'number' && m.generation < 0) errs.push(invalid(child(path, 'generation'), m.generation, 'must be greater than or equal to 0'));
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')));
  return errs;
}

function immutable(newVal: unknown, oldVal: unknown, field: string): FieldError[] {
  return JSON.stringify(newVal ?? null) === JSON.stringify(oldVal ?? null) ? [] : [invalid(field, newVal ?? '', fieldImmutableErrorMsg)];
}

/** ValidateObjectMetaUpdate (resourceVersion checks are the API server's). */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, path = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  if (o.deletionTimestamp) {
    const before = new Set(o.finalizers ?? []);
    const extra = [...new Set((m.finalizers ?? []).filter((f) => !before.has(f)))].sort();
    if (extra.length) {
      const list = `[]string{${extra.map((f) => JSON.stringify(f)).join(', ')}}`;
      errs.push(forbidden(child(path, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${list}`));
    }
  }
  if ((m.generation ?? 0) < (o.generation ?? 0)) errs.push(invalid(child(path, 'generation'), m.generation ?? 0, 'must not be decremented'));
  errs.push(...immutable(m.name, o.name, child(path, 'name')));
  errs.push(...immutable(m.namespace, o.namespace, child(path, 'namespace')));
  errs.push(...immutable(m.uid, o.uid, child(path, 'uid')));
  errs.push(...immutable(m.creationTimestamp, o.creationTimestamp, child(path, 'creationTimestamp')));
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')));
  return errs;
}

/** metav1validation.ValidateLabelSelector. */
export function validateLabelSelector(sel: LabelSelector | undefined, field: string): FieldError[] {
  if (!sel) return [];
  const errs: FieldError[] = [];
  (sel.matchExpressions ?? []).forEach((expr, i) => {
    const p = index(child(field, 'matchExpressions'), i);
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (!expr.values?.length) errs.push(required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (expr.values?.length) errs.push(forbidden(child(p, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errs.push(invalid(child(p, 'operator'), expr.operator, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(expr.key, child(p, 'key')));
  });
  errs.push(...validateLabels(sel.matchLabels, child(field, 'matchLabels')));
  return errs;
}

/** Whether a metav1.LabelSelector selects the labels (an empty selector selects everything). */
export function labelSelectorMatches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const inValues = has && (e.values ?? []).includes(l[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

export function isEmptySelector(sel: LabelSelector | undefined): boolean {
  return !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
}
