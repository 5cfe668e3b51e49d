import { findResource } from '../../api/resources.js';
import { methodNotSupported, notFound, StatusError } from '../../api/status.js';
import type { SubresourceCreate } from '../../api/strategy.js';
import type { KubeObject } from '../../api/types.js';
import { checkBody } from '../decode/body.js';
import { decodeBody, readBody, sendJSON } from '../http.js';
import type { RequestInfo } from '../request-info.js';
import { handleSelfSubjectReview, handleTokenRequest } from './auth.js';
import type { Handler, RequestScope, ServerContext } from './context.js';
import { handleDelete, handleDeleteCollection } from './delete.js';
import { handleGet, handleList, handleWatch } from './read.js';
import { handleScale } from './scale.js';
import { handleCreate, handlePatch, handleUpdate } from './write.js';

type Verb = RequestInfo['verb'];
type Routes = Partial<Record<Verb, Handler>>;

function notFoundPath(): StatusError {
  return new StatusError({ reason: 'NotFound', code: 404, message: 'the server could not find the requested resource', details: {} });
}

/** The main resource's verbs. */
const resourceRoutes: Routes = {
  get: handleGet,
  list: handleList,
  watch: handleWatch,
  create: async (scope) => {
    if (scope.info.name) throw methodNotSupported(scope.storage.gr, 'create');
    return handleCreate(scope);
  },
  update: handleUpdate,
  patch: handlePatch,
  delete: handleDelete,
  deletecollection: handleDeleteCollection,
};

/** Subresources that move one part of the object (status, and those a strategy declares: namespaces/finalize). */
const partialRoutes: Routes = { get: handleGet, update: handleUpdate, patch: handlePatch };

/** Subresources with their own handlers; `scale` answers every verb itself. */
const subresourceRoutes: Record<string, Routes | Handler> = {
  status: partialRoutes,
  scale: handleScale,
  token: { create: handleTokenRequest },
};

/** The handler for a subresource request, or the error Kubernetes answers. */
function subresourceHandler(scope: RequestScope, subresource: string): Handler {
  const { info, storage } = scope;
  const kind = storage.kind;
  const creates = kind.createSubresources?.[subresource];
  const routes = kind.updateSubresources?.[subresource] ? partialRoutes : creates ? { create: createSubresource(creates) } : subresourceRoutes[subresource];
  const served = (storage.info.subresources as string[]).includes(subresource) || !!kind.updateSubresources?.[subresource];
  if (!served || !routes) throw notFoundPath();
  if (typeof routes === 'function') return routes;
  const handler = routes[info.verb];
  if (handler) return handler;
  if (routes === partialRoutes) throw methodNotSupported(storage.gr, info.verb);
  throw notFoundPath();
}

/** Routes one resource request to its handler. */
export async function dispatchResource(server: ServerContext, request: Omit<RequestScope, 'server' | 'storage'>): Promise<void> {
  const { info, req, res, url, user } = request;
  if (info.group === 'authentication.k8s.io' && info.version === 'v1' && info.resource === 'selfsubjectreviews' && !info.namespace && !info.name) return handleSelfSubjectReview({ server, req, res, info, url, user });
  const storage = server.storage(info.group, info.version, info.resource);
  const resInfo = findResource(info.group, info.version, info.resource);
  if (!storage || !resInfo) throw notFoundPath();
  if (resInfo.namespaced === false && info.namespace) throw notFoundPath();
  if (info.verb === 'connect') {
    if (!server.connect || !info.name) throw notFoundPath();
    await server.connect(req, res, info);
    return;
  }
  const scope: RequestScope = { server, info, req, res, url, storage, user };
  if (info.subresource) return subresourceHandler(scope, info.subresource)(scope);
  const handler = resourceRoutes[info.verb];
  if (!handler) throw notFound(storage.gr, info.name ?? '');
  return handler(scope);
}

/** POST to a subresource the kind's strategy applies to the object (pods/NAME/binding): 201 with a Success Status. */
function createSubresource(sub: SubresourceCreate): Handler {
  return async ({ req, res, info, storage }) => {
    const body = checkBody(sub.bodyKind, decodeBody(await readBody(req), 'application/json')) as KubeObject;
    await storage.guaranteedUpdate(info.namespace, info.name!, (current) => sub.apply(current, body), { skipValidation: true });
    sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  };
}
