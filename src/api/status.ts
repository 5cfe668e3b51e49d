import { SkiffError } from '../util/errors.js';

/** metav1.StatusCause */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** metav1.Status, the body of every API error. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

/** Names a resource the way Kubernetes' error messages do: `services`, `deployments.apps`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** An API error: a Kubernetes Status with the exact reason, code and message. */
export class StatusError extends SkiffError {
  readonly status: Status;
  constructor(status: Omit<Status, 'kind' | 'apiVersion' | 'metadata' | 'status'>) {
    super(status.reason ?? 'Unknown', status.message ?? '');
    this.name = 'StatusError';
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', ...status };
  }
  get httpCode(): number {
    return this.status.code;
  }
}

export function isStatusError(err: unknown, reason?: string): err is StatusError {
  return err instanceof StatusError && (reason === undefined || err.status.reason === reason);
}

export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError({
    reason: 'NotFound',
    code: 404,
    message: `${qualifiedResource(gr)} "${name}" not found`,
    details: { name, group: gr.group || undefined, kind: gr.resource },
  });
}

export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError({
    reason: 'AlreadyExists',
    code: 409,
    message: `${qualifiedResource(gr)} "${name}" already exists`,
    details: { name, group: gr.group || undefined, kind: gr.resource },
  });
}

export function conflict(gr: GroupResource, name: string, why: string): StatusError {
  return new StatusError({
    reason: 'Conflict',
    code: 409,
    message: `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`,
    details: { name, group: gr.group || undefined, kind: gr.resource },
  });
}

/** The optimistic-concurrency conflict, with Kubernetes' exact wording. */
export function staleConflict(gr: GroupResource, name: string): StatusError {
  return conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again');
}

/** One field error, rendered `field: Type: detail` as field.ErrorList does. */
export interface FieldError {
  type: FieldErrorType;
  field: string;
  value?: unknown;
  detail?: string;
}

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueNotSupported'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** Go's %#v-ish rendering of a bad value, as field.Error.Error() prints it. */
function renderValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return `[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`;
    return JSON.stringify(v);
  }
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function fieldErrorMessage(e: FieldError): string {
  const head = `${e.field}: ${typeText[e.type]}`;
  const hasValue = e.type === 'FieldValueInvalid' || e.type === 'FieldValueDuplicate' || e.type === 'FieldValueNotSupported' || e.type === 'FieldValueTypeInvalid';
  if (e.type === 'FieldValueRequired' || e.type === 'FieldValueForbidden' || e.type === 'FieldValueTooLong' || e.type === 'FieldValueTooMany' || e.type === 'InternalError')
    return e.detail ? `${head}: ${e.detail}` : head;
  const value = hasValue && 'value' in e ? `: ${renderValue(e.value)}` : '';
  return e.detail ? `${head}${value}: ${e.detail}` : `${head}${value}`;
}

/** 422: `Kind.group "name" is invalid: [err1, err2]` (one error is shown without brackets). */
export function invalid(kind: { group: string; kind: string }, name: string, errs: FieldError[]): StatusError {
  const qualifiedKind = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
  const msgs = errs.map(fieldErrorMessage);
  const joined = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
  return new StatusError({
    reason: 'Invalid',
    code: 422,
    message: `${qualifiedKind} "${name}" is invalid: ${joined}`,
    details: {
      name,
      group: kind.group || undefined,
      kind: kind.kind,
      causes: errs.map((e) => ({ reason: e.type, message: fieldErrorMessage(e).slice(e.field.length + 2), field: e.field })),
    },
  });
}

export function badRequest(message: string): StatusError {
  return new StatusError({ reason: 'BadRequest', code: 400, message });
}

export function unauthorized(): StatusError {
  return new StatusError({ reason: 'Unauthorized', code: 401, message: 'Unauthorized' });
}

export function forbidden(gr: GroupResource, name: string, why: string): StatusError {
  return new StatusError({
    reason: 'Forbidden',
    code: 403,
    message: `${qualifiedResource(gr)} "${name}" is forbidden: ${why}`,
    details: { name, group: gr.group || undefined, kind: gr.resource },
  });
}

export function methodNotSupported(gr: GroupResource, verb: string): StatusError {
  return new StatusError({
    reason: 'MethodNotAllowed',
    code: 405,
    message: `${verb} is not supported on resources of kind "${qualifiedResource(gr)}"`,
    details: { group: gr.group || undefined, kind: gr.resource },
  });
}

export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError({ reason: 'UnsupportedMediaType', code: 415, message: `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})` });
}

/** 410 Gone for a watch or list from a compacted revision. */
export function expired(message: string): StatusError {
  return new StatusError({ reason: 'Expired', code: 410, message });
}

export function internalError(message: string): StatusError {
  return new StatusError({ reason: 'InternalError', code: 500, message: `Internal error occurred: ${message}`, details: { causes: [{ message }] } });
}

/** What an unknown thrown value becomes on the wire: never a bare 500 without a Status. */
export function toStatusError(err: unknown): StatusError {
  if (err instanceof StatusError) return err;
  return internalError(err instanceof Error ? err.message : String(err));
}
