/**
 * Field selectors (k8s.io/apimachinery/pkg/fields) and the per-kind field label sets the
 * API server supports (each kind's AddFieldLabelConversionFunc / GetAttrs).
 */
import type { KubeObject } from './types.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** AND of requirements; empty matches everything. */
export interface FieldSelector {
  requirements: FieldRequirement[];
}

export class FieldSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSelectorError';
  }
}

/** Split on commas not escaped by a backslash (fields.splitTerms). */
function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let cur = '';
  let escaped = false;
  for (const ch of s) {
    if (escaped) {
      cur += ch;
      escaped = false;
    } else if (ch === '\\') {
      cur += ch;
      escaped = true;
    } else if (ch === ',') {
      terms.push(cur);
      cur = '';
    } else cur += ch;
  }
  terms.push(cur);
  return terms;
}

/** fields.UnescapeValue: `\\`, `\,`, `\=` only. */
function unescapeValue(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') {
      const next = s[i + 1];
      if (next === '\\' || next === ',' || next === '=') {
        out += next;
        i++;
      } else throw new FieldSelectorError(`invalid field selector: invalid escape sequence: ${s.slice(i, i + 2)}`);
    } else if (ch === ',' || ch === '=') throw new FieldSelectorError(`invalid field selector: unescaped character in value: ${ch}`);
    else out += ch;
  }
  return out;
}

function escapeValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

/** fields.ParseSelector: `a=b`, `a==b`, `a!=b`, comma-separated (AND). Terms are sorted as Kubernetes sorts them. */
export function parseFieldSelector(selector: string): FieldSelector {
  const parts = splitTerms(selector).sort();
  const requirements: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    let found: [string, '=' | '!=', string] | undefined;
    for (let i = 0; i < part.length && !found; i++) {
      const rest = part.slice(i);
      if (rest.startsWith('!=')) found = [part.slice(0, i), '!=', part.slice(i + 2)];
      else if (rest.startsWith('==')) found = [part.slice(0, i), '=', part.slice(i + 2)];
      else if (rest.startsWith('=')) found = [part.slice(0, i), '=', part.slice(i + 1)];
    }
    if (!found) throw new FieldSelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    requirements.push({ field: found[0], operator: found[1], value: unescapeValue(found[2]) });
  }
  return { requirements };
}

export function fieldSelectorToString(sel: FieldSelector): string {
  return sel.requirements.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
}

/** Matches a flat field set; an absent field compares as '' (Go zero value). */
export function matchesFields(sel: FieldSelector, fields: Record<string, string>): boolean {
  return sel.requirements.every((r) => {
    const v = fields[r.field] ?? '';
    return r.operator === '=' ? v === r.value : v !== r.value;
  });
}

/** The value a `metadata.name=X` (or `=`-only) requirement pins, for cheap lookups. */
export function requiresExactMatch(sel: FieldSelector, field: string): string | undefined {
  return sel.requirements.find((r) => r.field === field && r.operator === '=')?.value;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** Per kind (key `group/Kind`): the extra field labels and how to read them. */
const kindFields: Record<string, ((o: KubeObject) => Record<string, string>) | undefined> = {
  '/Pod': (o) => {
    const spec = obj(o.spec);
    const status = obj(o.status);
    return {
      'spec.nodeName': str(spec.nodeName),
      'spec.restartPolicy': str(spec.restartPolicy),
      'spec.schedulerName': str(spec.schedulerName),
      'spec.serviceAccountName': str(spec.serviceAccountName),
      'spec.hostNetwork': String(spec.hostNetwork === true),
      'status.phase': str(status.phase),
      'status.podIP': str(status.podIP),
      'status.nominatedNodeName': str(status.nominatedNodeName),
    };
  },
  '/Event': (o) => {
    const io = obj(o.involvedObject);
    return {
      'involvedObject.kind': str(io.kind),
      'involvedObject.namespace': str(io.namespace),
      'involvedObject.name': str(io.name),
      'involvedObject.uid': str(io.uid),
      'involvedObject.apiVersion': str(io.apiVersion),
      'involvedObject.resourceVersion': str(io.resourceVersion),
      'involvedObject.fieldPath': str(io.fieldPath),
      reason: str(o.reason),
      reportingComponent: str(o.reportingComponent),
      source: str(obj(o.source).component),
      type: str(o.type),
    };
  },
  '/Secret': (o) => ({ type: str(o.type) }),
  '/Node': (o) => ({ 'spec.unschedulable': String(obj(o.spec).unschedulable === true) }),
  '/Namespace': (o) => ({ 'status.phase': str(obj(o.status).phase) }),
  'apps/ReplicaSet': (o) => ({ 'status.replicas': String(Number(obj(o.status).replicas ?? 0)) }),
};

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** The field labels an object can be selected by: always metadata.name/namespace, plus its kind's. */
export function fieldsOf(o: KubeObject): Record<string, string> {
  const base = { 'metadata.name': str(o.metadata?.name), 'metadata.namespace': str(o.metadata?.namespace) };
  const extra = kindFields[`${groupOf(o.apiVersion ?? '')}/${o.kind}`];
  return extra ? { ...base, ...extra(o) } : base;
}

/**
 * Checks every field label is supported for the kind, with Kubernetes' error text
 * (`field label not supported: X` for kinds with their own labels; the generic
 * `"X" is not a known field selector: only "metadata.name", "metadata.namespace"` otherwise).
 * The API server turns the thrown FieldSelectorError into 400 BadRequest.
 */
export function validateFieldSelector(sel: FieldSelector, kind: { group: string; kind: string }): void {
  const extra = kindFields[`${kind.group}/${kind.kind}`];
  const supported = new Set(['metadata.name', 'metadata.namespace']);
  if (extra) for (const k of Object.keys(extra({ apiVersion: 'v1', kind: kind.kind, metadata: {} }))) supported.add(k);
  for (const r of sel.requirements) {
    if (supported.has(r.field)) continue;
    if (extra) throw new FieldSelectorError(`field label not supported: ${r.field}`);
    throw new FieldSelectorError(`${JSON.stringify(r.field)} is not a known field selector: only "metadata.name", "metadata.namespace"`);
  }
}
