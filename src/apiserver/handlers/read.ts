import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import { sendJSON } from '../http.js';
import { outputFormat } from '../negotiation.js';
import type { RequestInfo } from '../request-info.js';
import type { RestStorage } from '../registry/rest-storage.js';
import type { HandlerContext } from './context.js';
import { serveWatch } from './watch.js';

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export async function handleGet(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, info: RequestInfo, storage: RestStorage, url: URL): Promise<void> {
  const obj = await storage.get(info.namespace, info.name!);
  const fmt = outputFormat(req.headers.accept, url.searchParams);
  if (fmt.table) {
    sendJSON(res, 200, ctx.fns.toTable(storage.info, [obj], { now: ctx.clock.now(), includeObject: fmt.includeObject, resourceVersion: obj.metadata.resourceVersion }));
    return;
  }
  sendJSON(res, 200, obj);
}

export async function handleList(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, info: RequestInfo, storage: RestStorage, url: URL): Promise<void> {
  const q = url.searchParams;
  const filter = ctx.fns.selectorFilter(storage.info, q.get('labelSelector'), q.get('fieldSelector'));
  const list = await storage.list(info.namespace, { filter, filtered: !!filter, limit: intParam(q, 'limit'), continue: q.get('continue') ?? undefined });
  const fmt = outputFormat(req.headers.accept, q);
  if (fmt.table) {
    sendJSON(res, 200, ctx.fns.toTable(storage.info, list.items, { now: ctx.clock.now(), includeObject: fmt.includeObject, resourceVersion: list.metadata.resourceVersion, continue: list.metadata.continue }));
    return;
  }
  sendJSON(res, 200, list);
}

export async function handleWatch(ctx: HandlerContext, req: IncomingMessage, res: ServerResponse, info: RequestInfo, storage: RestStorage, url: URL): Promise<void> {
  const q = url.searchParams;
  let filter = ctx.fns.selectorFilter(storage.info, q.get('labelSelector'), q.get('fieldSelector')) ?? (() => true);
  if (info.name) {
    // GET .../NAME?watch=true watches one object
    const inner = filter;
    filter = (obj: KubeObject) => obj.metadata.name === info.name && inner(obj);
  }
  const fmt = outputFormat(req.headers.accept, q);
  const render = fmt.table
    ? (obj: KubeObject) => ctx.fns.toTable(storage.info, [obj], { now: ctx.clock.now(), includeObject: fmt.includeObject, resourceVersion: obj.metadata.resourceVersion })
    : (obj: KubeObject) => obj;
  await serveWatch(req, res, {
    storage,
    namespace: info.namespace,
    filter,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    timeoutSeconds: intParam(q, 'timeoutSeconds'),
    allowBookmarks: q.get('allowWatchBookmarks') === 'true',
    render,
    contentType: 'application/json',
  });
}
