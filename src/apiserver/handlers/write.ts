import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, isStatusError, unsupportedMediaType } from '../../api/status.js';
import { parseApiVersion, type KubeObject } from '../../api/types.js';
import { checkAppliedObject, checkPatchedObject, decodeRequestObject } from '../decode/body.js';
import { decodeBody, readBody, sendJSON, sendJSONText } from '../http.js';
import type { RequestInfo } from '../request-info.js';
import { writtenJSON, type RestStorage } from '../registry/rest-storage.js';
import type { RequestScope, ServerContext } from './context.js';
import { applyPatch, recordManager, serverSideApply, type PatchType } from './operations.js';
import { checkUnknownFields, fieldValidationOf, sendWarnings } from './field-validation.js';

function dryRunOf(q: URLSearchParams): boolean {
  const v = q.getAll('dryRun');
  for (const x of v) if (x !== 'All') throw badRequest(`Invalid dry run value: ${x}`);
  return v.length > 0;
}

function asObject(storage: RestStorage, body: unknown): KubeObject {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Object \'Kind\' is missing in request body');
  const obj = body as KubeObject;
  const info = storage.info;
  if (obj.apiVersion !== undefined || obj.kind !== undefined) {
    const gv = parseApiVersion(String(obj.apiVersion ?? ''));
    if (obj.kind !== undefined && obj.kind !== info.kind)
      throw badRequest(`the object provided is unrecognized (must be of type ${info.kind}): couldn't get version/kind; json parse error (kind ${obj.kind})`);
    if (obj.apiVersion !== undefined && (gv.group !== info.group || gv.version !== info.version))
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${storage.apiVersion})`);
  }
  obj.metadata ??= {};
  return obj;
}

export async function handleCreate(scope: RequestScope): Promise<void> {
  const { server: ctx, req, res, info, storage, url } = scope;
  const q = url.searchParams;
  const mode = fieldValidationOf(q);
  const obj = asObject(storage, decodeRequestObject(storage.info, await readBody(req), req.headers['content-type']));
  sendWarnings(res, checkUnknownFields(storage.info, obj, mode));
  const manager = q.get('fieldManager') ?? managerFromAgent(req);
  const created = await storage.create(info.namespace, obj, { dryRun: dryRunOf(q), finalize: recorder(ctx, storage, manager) });
  sendObject(res, 201, created);
}

export async function handleUpdate(scope: RequestScope): Promise<void> {
  const { server: ctx, req, res, info, storage, url } = scope;
  const q = url.searchParams;
  const mode = fieldValidationOf(q);
  const obj = asObject(storage, decodeRequestObject(storage.info, await readBody(req), req.headers['content-type']));
  // a subresource write moves one part of the object: unknown fields elsewhere are not the request's
  if (!info.subresource) sendWarnings(res, checkUnknownFields(storage.info, obj, mode));
  const manager = q.get('fieldManager') ?? managerFromAgent(req);
  const partial = info.subresource ? storage.kind.updateSubresources?.[info.subresource] : undefined;
  if (partial) {
    sendJSON(res, 200, await storage.guaranteedUpdate(info.namespace, info.name!, (cur) => partial(cur, obj), { dryRun: dryRunOf(q) }));
    return;
  }
  const subresource = info.subresource === 'status' ? 'status' : undefined;
  const { object, created } = await storage.update(info.namespace, info.name!, obj, { dryRun: dryRunOf(q), subresource, finalize: recorder(ctx, storage, manager, subresource) });
  sendObject(res, created ? 201 : 200, object);
}

/** A write's result as the response: the JSON the write made of it when there is one. */
function sendObject(res: ServerResponse, code: number, obj: KubeObject): void {
  sendJSONText(res, code, writtenJSON(obj) ?? JSON.stringify(obj));
}

function patchTypeOf(contentType: string | undefined): PatchType {
  const ct = (contentType ?? '').split(';')[0]!.trim();
  switch (ct) {
    case 'application/json-patch+json':
      return 'json';
    case 'application/merge-patch+json':
      return 'merge';
    case 'application/strategic-merge-patch+json':
      return 'strategic';
    case 'application/apply-patch+yaml':
    case 'application/apply-patch+cbor':
      return 'apply';
  }
  throw unsupportedMediaType(ct);
}

export async function handlePatch(scope: RequestScope): Promise<void> {
  const { server: ctx, req, res, info, storage, url } = scope;
  const q = url.searchParams;
  const type = patchTypeOf(req.headers['content-type']);
  const raw = await readBody(req);
  const body = decodeBody(raw, type === 'apply' ? 'application/yaml' : 'application/json');
  const mode = fieldValidationOf(q);
  const dryRun = dryRunOf(q);
  const manager = q.get('fieldManager') ?? (type === 'apply' ? '' : managerFromAgent(req));
  const sub = info.subresource === 'status' ? ('status' as const) : undefined;
  const now = ctx.clock.now();
  if (type === 'apply') {
    if (!manager) throw badRequest('PATCH, application/apply-patch+yaml requests must have a fieldManager');
    const applied = asObject(storage, body);
    checkAppliedObject(storage.info, applied);
    sendWarnings(res, checkUnknownFields(storage.info, applied, mode));
    const force = q.get('force') === 'true';
    try {
      const result = await storage.guaranteedUpdate(info.namespace, info.name!, (live) => serverSideApply(storage.info, live, applied, { manager, force, now }), { dryRun, subresource: sub });
      sendJSON(res, 200, result);
    } catch (err) {
      if (!isStatusError(err, 'NotFound') || sub) throw err;
      const fresh = serverSideApply(storage.info, undefined, { ...applied, metadata: { ...applied.metadata, name: info.name } }, { manager, force, now });
      sendJSON(res, 201, await storage.create(info.namespace, fresh, { dryRun }));
    }
    return;
  }
  if (type !== 'json' && (body === null || typeof body !== 'object' || Array.isArray(body))) throw badRequest('the body of the request was in an unknown format');
  let warnings: string[] = [];
  const result = await storage.guaranteedUpdate(
    info.namespace,
    info.name!,
    (current) => {
      const patched = checkPatchedObject(storage.info, applyPatch(storage.info, type, current, body));
      if (!sub) warnings = checkUnknownFields(storage.info, patched, mode, raw.toString('utf8'));
      // a patch without resourceVersion must not trip optimistic concurrency
      if (!hasResourceVersion(body)) patched.metadata.resourceVersion = current.metadata.resourceVersion;
      return patched;
    },
    { dryRun, subresource: sub, finalize: recorder(ctx, storage, manager, sub) },
  );
  sendWarnings(res, warnings);
  sendObject(res, 200, result);
}

function hasResourceVersion(patch: unknown): boolean {
  if (Array.isArray(patch)) return patch.some((op) => typeof op?.path === 'string' && op.path === '/metadata/resourceVersion');
  const md = (patch as { metadata?: { resourceVersion?: unknown } })?.metadata;
  return md?.resourceVersion !== undefined && md.resourceVersion !== null;
}

function recorder(ctx: ServerContext, storage: RestStorage, manager: string, subresource?: string) {
  return (obj: KubeObject, old: KubeObject | undefined) => recordManager(storage.info, old, obj, { manager, now: ctx.clock.now(), subresource });
}

/** The default field manager is the User-Agent's program name, as kube-apiserver derives it. */
function managerFromAgent(req: IncomingMessage): string {
  const ua = req.headers['user-agent'] ?? 'unknown';
  return ua.split('/')[0]!.slice(0, 128) || 'unknown';
}

