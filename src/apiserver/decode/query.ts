import { badRequest, invalid, StatusError, type FieldError } from '../../api/status.js';

/** List/watch query parameters, decoded and validated as kube-apiserver's ListOptions. */
export interface ListQuery {
  limit?: number;
  continue?: string;
  /** undefined when not given; '0' means "any" */
  resourceVersion?: string;
  /** the parsed resourceVersion (0 when absent or "0") */
  rv: number;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
  sendInitialEvents?: boolean;
}

/** Go's strconv.ParseInt(s, 10, 64) as the parameter codec uses it (the error text is Go's). */
export function parseInt64(name: string, value: string): number {
  if (!/^[+-]?[0-9]+$/.test(value)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  const n = BigInt(value);
  if (n > 9223372036854775807n || n < -9223372036854775808n) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
  void name;
  return Number(n);
}

/** runtime.Convert_Slice_string_To_bool: "0", "f", "false" (any case) are false, anything else (even "") true. */
function parseBool(value: string | null): boolean | undefined {
  if (value === null) return undefined;
  return !['0', 'f', 'false'].includes(value.toLowerCase());
}

/** APIObjectVersioner.ParseResourceVersion: '' and '0' are 0, else a uint64. */
export function parseResourceVersion(value: string | undefined): number {
  if (value === undefined || value === '' || value === '0') return 0;
  if (!/^[0-9]+$/.test(value) || BigInt(value) > 18446744073709551615n) {
    const why = /^[0-9]+$/.test(value) ? 'value out of range' : 'invalid syntax';
    throw invalid({ group: '', kind: '' }, '', [{ type: 'FieldValueInvalid', field: 'resourceVersion', value, detail: `strconv.ParseUint: parsing ${JSON.stringify(value)}: ${why}` }]);
  }
  return Number(value);
}

function int64Param(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  return parseInt64(name, v);
}

/** Decodes and validates (ValidateListOptions) the query of a list or watch. */
export function listQuery(q: URLSearchParams, watch: boolean): ListQuery {
  const rvText = q.get('resourceVersion') ?? undefined;
  const match = q.get('resourceVersionMatch') ?? '';
  const cont = q.get('continue') ?? '';
  const sendInitial = q.has('sendInitialEvents') ? parseBool(q.get('sendInitialEvents')) : undefined;
  const out: ListQuery = {
    limit: int64Param(q, 'limit'),
    timeoutSeconds: int64Param(q, 'timeoutSeconds'),
    continue: cont || undefined,
    resourceVersion: rvText === '' ? undefined : rvText,
    rv: 0,
    allowWatchBookmarks: parseBool(q.get('allowWatchBookmarks')) ?? false,
    sendInitialEvents: sendInitial,
  };
  const errs: FieldError[] = [];
  const path = 'resourceVersionMatch';
  if (watch) {
    if (sendInitial !== undefined && match !== 'NotOlderThan')
      errs.push({ type: 'FieldValueForbidden', field: path, detail: 'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan' });
    if (match) {
      if (sendInitial === undefined) errs.push({ type: 'FieldValueForbidden', field: path, detail: 'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided' });
      if (match !== 'NotOlderThan') errs.push({ type: 'FieldValueNotSupported', field: path, value: match, detail: 'supported values: "NotOlderThan"' });
      if (cont) errs.push({ type: 'FieldValueForbidden', field: path, detail: 'resourceVersionMatch is forbidden when continue is provided' });
    }
  } else {
    if (match) {
      if (!rvText) errs.push({ type: 'FieldValueForbidden', field: path, detail: 'resourceVersionMatch is forbidden unless resourceVersion is provided' });
      if (cont) errs.push({ type: 'FieldValueForbidden', field: path, detail: 'resourceVersionMatch is forbidden when continue is provided' });
      if (match !== 'Exact' && match !== 'NotOlderThan') errs.push({ type: 'FieldValueNotSupported', field: path, value: match, detail: 'supported values: "Exact", "NotOlderThan", ""' });
      if (match === 'Exact' && rvText === '0') errs.push({ type: 'FieldValueForbidden', field: path, detail: 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"' });
    }
    if (sendInitial !== undefined) errs.push({ type: 'FieldValueForbidden', field: 'sendInitialEvents', detail: 'sendInitialEvents is forbidden for list' });
  }
  if (errs.length) throw invalid({ group: 'meta.k8s.io', kind: 'ListOptions' }, '', errs);
  if (match === 'Exact' || match === 'NotOlderThan') out.resourceVersionMatch = match;
  out.rv = parseResourceVersion(out.resourceVersion);
  return out;
}

/** storage.NewTooLargeResourceVersionError: 504 Timeout, retry after 1 s, cause ResourceVersionTooLarge. */
export function tooLargeResourceVersion(requested: number, current: number): StatusError {
  return new StatusError({
    reason: 'Timeout',
    code: 504,
    message: `Timeout: Too large resource version: ${requested}, current: ${current}`,
    details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
  });
}
