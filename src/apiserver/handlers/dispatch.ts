import type { IncomingMessage, ServerResponse } from 'node:http';
import { findResource } from '../../api/resources.js';
import { conflict, methodNotSupported, notFound, StatusError } from '../../api/status.js';
import { checkBody } from '../decode/body.js';
import { decodeBody, readBody, sendJSON } from '../http.js';
import type { RequestInfo } from '../request-info.js';
import type { HandlerContext } from './context.js';
import { handleSelfSubjectReview, handleTokenRequest } from './auth.js';
import { handleDelete, handleDeleteCollection } from './delete.js';
import { handleGet, handleList, handleWatch } from './read.js';
import { handleScale } from './scale.js';
import { handleCreate, handlePatch, handleUpdate } from './write.js';

function notFoundPath(): StatusError {
  return new StatusError({ reason: 'NotFound', code: 404, message: 'the server could not find the requested resource', details: {} });
}

/** Routes one resource request to its handler. */
export async function dispatchResource(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, info: RequestInfo, url: URL): Promise<void> {
  // a virtual resource (no storage): what the caller authenticated as
  if (info.group === 'authentication.k8s.io' && info.version === 'v1' && info.resource === 'selfsubjectreviews' && !info.namespace && !info.name) return handleSelfSubjectReview(req, res, info);
  const storage = ctx.storage(info.group, info.version, info.resource);
  const resInfo = findResource(info.group, info.version, info.resource);
  if (!storage || !resInfo) throw notFoundPath();
  if (resInfo.namespaced === false && info.namespace) throw notFoundPath();
  if (info.verb === 'connect') {
    if (!ctx.connect || !info.name) throw notFoundPath();
    await ctx.connect(req, res, info);
    return;
  }
  const gr = { group: resInfo.group, resource: resInfo.resource };
  if (info.subresource) {
    if (!(resInfo.subresources as string[]).includes(info.subresource) && !(info.subresource === 'finalize' && resInfo.kind === 'Namespace')) throw notFoundPath();
    if (info.subresource === 'scale') return handleScale(ctx, req, res, info, storage, url);
    if (info.subresource === 'status' || info.subresource === 'finalize') {
      if (info.verb === 'get') return handleGet(ctx, req, res, info, storage, url);
      if (info.verb === 'update') return handleUpdate(ctx, req, res, info, storage, url);
      if (info.verb === 'patch') return handlePatch(ctx, req, res, info, storage, url);
      throw methodNotSupported(gr, info.verb);
    }
    if (info.subresource === 'binding' && info.verb === 'create') return handleBinding(ctx, req, res, info, url);
    if (info.subresource === 'token' && info.verb === 'create') return handleTokenRequest(ctx, req, res, info);
    throw notFoundPath();
  }
  switch (info.verb) {
    case 'get':
      return handleGet(ctx, req, res, info, storage, url);
    case 'list':
      return handleList(ctx, req, res, info, storage, url);
    case 'watch':
      return handleWatch(ctx, req, res, info, storage, url);
    case 'create':
      if (info.name) throw methodNotSupported(gr, 'create');
      return handleCreate(ctx, req, res, info, storage, url);
    case 'update':
      return handleUpdate(ctx, req, res, info, storage, url);
    case 'patch':
      return handlePatch(ctx, req, res, info, storage, url);
    case 'delete':
      return handleDelete(ctx, req, res, info, storage, url);
    case 'deletecollection':
      return handleDeleteCollection(ctx, req, res, info, storage, url);
  }
  throw notFound(gr, info.name ?? '');
}

/** POST pods/X/binding: the scheduler's bind, setting spec.nodeName once. */
async function handleBinding(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, info: RequestInfo, _url: URL): Promise<void> {
  const binding = checkBody({ group: '', version: 'v1', kind: 'Binding' }, decodeBody(await readBody(req), 'application/json')) as { target?: { name?: string } };
  const pods = ctx.storage('', 'v1', 'pods')!;
  const node = binding.target?.name ?? '';
  await pods.guaranteedUpdate(info.namespace, info.name!, (pod) => {
    const spec = pod.spec as { nodeName?: string };
    if (spec.nodeName) throw conflict(pods.gr, info.name!, `pod ${info.name} is already assigned to node "${spec.nodeName}"`);
    spec.nodeName = node;
    return pod;
  }, { skipValidation: true });
  sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}
