import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { checkBody } from '../decode/body.js';
import { parseInt64 } from '../decode/query.js';
import { decodeBody, readBody, sendJSON } from '../http.js';
import type { RequestInfo } from '../request-info.js';
import { deleteObject, type DeleteOptions } from '../registry/delete.js';
import type { RestStorage } from '../registry/rest-storage.js';
import type { RequestScope } from './context.js';
import { selectorFilter } from './operations.js';

const deleteOptionsKind = { group: '', version: 'v1', kind: 'DeleteOptions' };

async function deleteOptionsOf(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
  const body = await readBody(req);
  const opts = (body.length ? checkBody(deleteOptionsKind, decodeBody(body, 'application/json')) : {}) as DeleteOptions;
  const grace = q.get('gracePeriodSeconds');
  if (grace !== null && grace !== '') opts.gracePeriodSeconds = parseInt64('gracePeriodSeconds', grace);
  const policy = q.get('propagationPolicy');
  if (policy) opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  if (opts.propagationPolicy && !['Background', 'Foreground', 'Orphan'].includes(opts.propagationPolicy))
    throw badRequest(`DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"`);
  const dry = [...q.getAll('dryRun'), ...(((opts as { dryRun?: string[] }).dryRun as string[] | undefined) ?? [])];
  opts.dryRun = dry.includes('All');
  return opts;
}

/** The body of a completed delete: the object for kinds whose strategy says so, otherwise a Success Status (as in Kubernetes). */
function deletedBody(storage: RestStorage, obj: KubeObject): unknown {
  if (storage.kind.returnDeletedObject) return obj;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: obj.metadata.name, group: storage.info.group || undefined, kind: storage.info.resource, uid: obj.metadata.uid },
  };
}

export async function handleDelete(scope: RequestScope): Promise<void> {
  const { server: ctx, req, res, info, storage, url } = scope;
  const opts = await deleteOptionsOf(req, url.searchParams);
  const result = await deleteObject(storage, info.namespace, info.name!, opts, ctx.clock.now());
  sendJSON(res, 200, result.deleted ? deletedBody(storage, result.object) : result.object);
}

/** Deletes of one DELETE collection request in flight at once. */
const deleteCollectionWorkers = 16;

export async function handleDeleteCollection(scope: RequestScope): Promise<void> {
  const { server: ctx, req, res, info, storage, url } = scope;
  const q = url.searchParams;
  const opts = await deleteOptionsOf(req, q);
  const filter = selectorFilter(storage.info, q.get('labelSelector'), q.get('fieldSelector'));
  const list = await storage.list(info.namespace, { filter });
  // several deletes in flight (kube-apiserver's --delete-collection-workers): writes of one turn share a commit
  const deleted: Array<KubeObject | undefined> = new Array(list.items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < list.items.length; i = next++) {
      const item = list.items[i]!;
      try {
        deleted[i] = (await deleteObject(storage, item.metadata.namespace, item.metadata.name!, opts, ctx.clock.now())).object;
      } catch (err) {
        if ((err as { status?: { reason?: string } }).status?.reason !== 'NotFound') throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deleteCollectionWorkers, list.items.length) }, worker));
  sendJSON(res, 200, { ...list, items: deleted.filter((o) => o !== undefined) });
}
