import type { ResourceInfo } from '../../api/resources.js';
import { badRequest, invalid, StatusError } from '../../api/status.js';
import { parseApiVersion, type KubeObject } from '../../api/types.js';
import { decodeBody } from '../http.js';
import { DecodeTypeError, typeCheck } from './typecheck.js';

type Kind = Pick<ResourceInfo, 'group' | 'version' | 'kind'>;

const objectMediaTypes = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** NegotiateInputSerializer: no Content-Type is JSON; anything but JSON, YAML or protobuf is a 415. */
export function checkObjectContentType(contentType: string | undefined): string {
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ct) return 'application/json';
  if (!objectMediaTypes.includes(ct))
    throw new StatusError({ reason: 'UnsupportedMediaType', code: 415, message: `the body of the request was in an unknown format - accepted media types include: ${objectMediaTypes.join(', ')}` });
  return ct;
}

/** apiserver's summarizeData: the first 30 bytes of the body, then " ...". */
function summarize(raw: Buffer): string {
  return raw.length > 30 ? `${raw.subarray(0, 30).toString('utf8')} ...` : raw.toString('utf8');
}

const metaStruct = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

function unrecognized(info: Kind, why: string, raw: Buffer): StatusError {
  return badRequest(`the object provided is unrecognized (must be of type ${info.kind}): ${why} (${summarize(raw)})`);
}

function jsonTypeOf(v: unknown): string {
  return Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : typeof v === 'string' ? 'string' : 'object';
}

/**
 * A create/update body as kube-apiserver's decoder takes it: media type, JSON/YAML/protobuf syntax, the
 * apiVersion/kind header, then the type check of every field against the kind's schema (400 worded as Go's
 * json errors), before any defaulting or validation sees it.
 */
export function decodeRequestObject(info: Kind, raw: Buffer, contentType: string | undefined): KubeObject {
  const ct = checkObjectContentType(contentType);
  let body: unknown;
  try {
    body = decodeBody(raw, ct);
  } catch (err) {
    if (err instanceof StatusError && ct === 'application/json' && raw.toString('utf8').trim())
      throw unrecognized(info, `couldn't get version/kind; json parse error: ${goJsonSyntax(err.status.message ?? '', raw.toString('utf8').length)}`, raw);
    throw err;
  }
  if (body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw unrecognized(info, `couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonTypeOf(body)} into Go value of type ${metaStruct}`, raw);
  const obj = body as KubeObject;
  for (const field of ['apiVersion', 'kind'] as const) {
    const v = (obj as unknown as Record<string, unknown>)[field];
    if (v !== undefined && v !== null && typeof v !== 'string')
      throw unrecognized(info, `couldn't get version/kind; json parse error: json: cannot unmarshal ${jsonTypeOf(v)} into Go struct field .${field} of type string`, raw);
    if (v === null) delete (obj as unknown as Record<string, unknown>)[field];
  }
  const bodyVersion = obj.apiVersion ? parseApiVersion(obj.apiVersion).version : info.version;
  const bodyKind = obj.kind || info.kind;
  try {
    typeCheck(info, obj as unknown as Record<string, unknown>);
  } catch (err) {
    if (err instanceof DecodeTypeError) throw badRequest(`${bodyKind} in version ${JSON.stringify(bodyVersion)} cannot be handled as a ${info.kind}: ${err.message}`);
    throw err;
  }
  return obj;
}

/** Go's wording of the JSON syntax errors JavaScript's parser reports. */
function goJsonSyntax(message: string, length: number): string {
  const m = /json parse error: (.*)$/.exec(message)?.[1] ?? message;
  const at = Number(/at position (\d+)/.exec(m)?.[1] ?? -1);
  if (/end of (JSON )?input|Unterminated string/i.test(m) || at >= length) return 'unexpected end of JSON input';
  const tok = /Unexpected token '?(.)'?/.exec(m) ?? /Unexpected (?:non-whitespace )?character '?(.)'?/.exec(m);
  if (tok) return `invalid character '${tok[1]}' looking for beginning of value`;
  return m;
}

/**
 * The object a json/merge/strategic patch produced, decoded as the patcher does: a type error is a 422
 * naming `patch` with the patched object (kube-apiserver's jsonPatcher / smpPatcher).
 */
export function checkPatchedObject(info: Kind, patched: KubeObject): KubeObject {
  const patchInvalid = (detail: string) => invalid({ group: '', kind: '' }, '', [{ type: 'FieldValueInvalid', field: 'patch', value: JSON.stringify(patched) ?? 'null', detail }]);
  if (!patched || typeof patched !== 'object' || Array.isArray(patched)) throw patchInvalid(`json: cannot unmarshal ${jsonTypeOf(patched)} into Go value of type ${info.kind}`);
  // `{"$patch": "delete"}` and the like leave no metadata: Go decodes that as an empty ObjectMeta
  if (patched.metadata === undefined || patched.metadata === null) patched.metadata = {};
  try {
    typeCheck(info, patched as unknown as Record<string, unknown>);
  } catch (err) {
    if (err instanceof DecodeTypeError) throw patchInvalid(err.message);
    throw err;
  }
  return patched;
}

/** A server-side apply configuration of the wrong types: structured-merge-diff's typed-patch error (400). */
export function checkAppliedObject(info: Kind, applied: KubeObject): void {
  try {
    typeCheck(info, applied as unknown as Record<string, unknown>);
  } catch (err) {
    if (err instanceof DecodeTypeError) {
      const gv = info.group ? `${info.group}/${info.version}` : `/${info.version}`;
      throw badRequest(`failed to create typed patch object (${gv}, Kind=${info.kind}): .${err.path}: ${err.message}`);
    }
    throw err;
  }
}

/** Any other decoded body (DeleteOptions, a Binding): a type error is a 400 with Go's json message. */
export function checkBody(info: Kind, body: unknown): Record<string, unknown> {
  if (body === null || body === undefined) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest(`json: cannot unmarshal ${jsonTypeOf(body)} into Go value of type v1.${info.kind}`);
  try {
    typeCheck(info, body as Record<string, unknown>);
  } catch (err) {
    if (err instanceof DecodeTypeError) throw badRequest(err.message);
    throw err;
  }
  return body as Record<string, unknown>;
}
