import type { IncomingMessage, ServerResponse } from 'node:http';
import { findResource } from '../../api/resources.js';
import { methodNotSupported, notFound, StatusError } from '../../api/status.js';
import type { SubresourceCreate } from '../../api/strategy.js';
import type { KubeObject } from '../../api/types.js';
import { checkBody } from '../decode/body.js';
import { decodeBody, readBody, sendJSON } from '../http.js';
import type { RestStorage } from '../registry/rest-storage.js';
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
    const sub = info.subresource;
    const updates = storage.kind.updateSubresources?.[sub];
    const creates = storage.kind.createSubresources?.[sub];
    if (!(resInfo.subresources as string[]).includes(sub) && !updates) throw notFoundPath();
    if (sub === 'scale') return handleScale(ctx, req, res, info, storage, url);
    if (sub === 'status' || updates) {
      if (info.verb === 'get') return handleGet(ctx, req, res, info, storage, url);
      if (info.verb === 'update') return handleUpdate(ctx, req, res, info, storage, url);
      if (info.verb === 'patch') return handlePatch(ctx, req, res, info, storage, url);
      throw methodNotSupported(gr, info.verb);
    }
    if (creates && info.verb === 'create') return handleSubresourceCreate(req, res, info, storage, creates);
    if (sub === 'token' && info.verb === 'create') return handleTokenRequest(ctx, req, res, info);
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

/** POST to a subresource the kind's strategy applies to the object (pods/NAME/binding): 201 with a Success Status. */
async function handleSubresourceCreate(req: IncomingMessage, res: ServerResponse, info: RequestInfo, storage: RestStorage, sub: SubresourceCreate): Promise<void> {
  const body = checkBody(sub.bodyKind, decodeBody(await readBody(req), 'application/json')) as KubeObject;
  await storage.guaranteedUpdate(info.namespace, info.name!, (current) => sub.apply(current, body), { skipValidation: true });
  sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}
