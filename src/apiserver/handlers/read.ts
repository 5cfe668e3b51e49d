import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import { listQuery, parseResourceVersion, tooLargeResourceVersion } from '../decode/query.js';
import { sendJSON } from '../http.js';
import { decodeContinue } from '../registry/continue-token.js';
import { outputFormat } from '../negotiation.js';
import type { RequestInfo } from '../request-info.js';
import type { RestStorage } from '../registry/rest-storage.js';
import type { RequestScope } from './context.js';
import { selectorFilter, toTable } from './operations.js';
import { serveWatch } from './watch.js';

/** A list/watch at a resourceVersion the store has not reached answers at once (no cache to wait for). */
async function checkNotFuture(storage: RestStorage, rv: number): Promise<void> {
  if (!rv) return;
  const current = await storage.storeForWatch.currentRevision();
  if (rv > current) throw tooLargeResourceVersion(rv, current);
}

export async function handleGet(scope: RequestScope): Promise<void> {
  const { server: ctx, req, res, info, storage, url } = scope;
  parseResourceVersion(url.searchParams.get('resourceVersion') ?? undefined);
  const obj = await storage.get(info.namespace, info.name!);
  const fmt = outputFormat(req.headers.accept, url.searchParams);
  if (fmt.table) {
    sendJSON(res, 200, toTable(storage.info, [obj], { now: ctx.clock.now(), includeObject: fmt.includeObject, resourceVersion: obj.metadata.resourceVersion }));
    return;
  }
  sendJSON(res, 200, obj);
}

export async function handleList(scope: RequestScope): Promise<void> {
  const { server: ctx, req, res, info, storage, url } = scope;
  const q = url.searchParams;
  const lq = listQuery(q, false);
  const filter = selectorFilter(storage.info, q.get('labelSelector'), q.get('fieldSelector'));
  const token = lq.continue ? decodeContinue(lq.continue) : undefined;
  await checkNotFuture(storage, token?.rv ?? lq.rv);
  const exact = lq.resourceVersionMatch === 'Exact' ? lq.rv : undefined;
  const list = await storage.list(info.namespace, { filter, filtered: !!filter, limit: lq.limit, continue: lq.continue, revision: exact });
  const fmt = outputFormat(req.headers.accept, q);
  if (fmt.table) {
    sendJSON(res, 200, toTable(storage.info, list.items, { now: ctx.clock.now(), includeObject: fmt.includeObject, resourceVersion: list.metadata.resourceVersion, continue: list.metadata.continue }));
    return;
  }
  sendJSON(res, 200, list);
}

export async function handleWatch(scope: RequestScope): Promise<void> {
  const { server: ctx, req, res, info, storage, url } = scope;
  const q = url.searchParams;
  const lq = listQuery(q, true);
  await checkNotFuture(storage, lq.rv);
  const selector = selectorFilter(storage.info, q.get('labelSelector'), q.get('fieldSelector'));
  let filter = selector ?? (() => true);
  if (info.name) {
    // GET .../NAME?watch=true watches one object
    const inner = filter;
    filter = (obj: KubeObject) => obj.metadata.name === info.name && inner(obj);
  }
  const fmt = outputFormat(req.headers.accept, q);
  const render = fmt.table
    ? (obj: KubeObject) => toTable(storage.info, [obj], { now: ctx.clock.now(), includeObject: fmt.includeObject, resourceVersion: obj.metadata.resourceVersion })
    : (obj: KubeObject) => obj;
  await serveWatch(req, res, {
    storage,
    namespace: info.namespace,
    filter,
    resourceVersion: lq.resourceVersion,
    timeoutSeconds: lq.timeoutSeconds,
    allowBookmarks: lq.allowWatchBookmarks,
    render,
    contentType: 'application/json',
    plain: !selector && !info.name && !fmt.table,
  });
}
