import type { IncomingMessage, ServerResponse } from 'node:http';
import { expired, toStatusError, type Status } from '../../api/status.js';
import type { KubeObject, WatchEvent } from '../../api/types.js';
import { isStorageError, type StoreEvent } from '../../storage/store.js';
import type { RestStorage } from '../registry/rest-storage.js';
import { servedJSON } from '../registry/codec.js';

export interface WatchRequest {
  storage: RestStorage;
  namespace?: string;
  filter: (obj: KubeObject) => boolean;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowBookmarks: boolean;
  /** Renders each event's object (a Table row set, or the object itself). */
  render: (obj: KubeObject) => unknown;
  contentType: string;
  /** Every object of the resource, as itself (no selector, no Table): events are sent as stored (servedJSON). */
  plain?: boolean;
}

const bookmarkEveryMs = 60_000;

/** Maps a store event to the watch event a filtered watcher sees (selector transitions included). */
export function toWatchEvent(ev: StoreEvent, filter: (obj: KubeObject) => boolean, decode: (kv: StoreEvent['kv']) => KubeObject): WatchEvent | undefined {
  const obj = decode(ev.kv);
  if (ev.type === 'create') return filter(obj) ? { type: 'ADDED', object: obj } : undefined;
  if (ev.type === 'delete') return filter(obj) ? { type: 'DELETED', object: obj } : undefined;
  const now = filter(obj);
  const before = ev.prevKv ? filter(decode(ev.prevKv)) : false;
  if (now && before) return { type: 'MODIFIED', object: obj };
  if (now) return { type: 'ADDED', object: obj };
  if (before) return { type: 'DELETED', object: obj };
  return undefined;
}

/** Streams watch events as JSON lines: headers at once, replay, live events, bookmarks, timeout. */
export async function serveWatch(req: IncomingMessage, res: ServerResponse, w: WatchRequest): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  // setTimeout overflows past 2^31-1 ms (it would fire at once): longer timeouts are capped there
  const timeoutMs = Math.min((w.timeoutSeconds && w.timeoutSeconds > 0 ? w.timeoutSeconds : 1800 + Math.random() * 1800) * 1000, 2 ** 31 - 1);
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  res.writeHead(200, { 'Content-Type': w.contentType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  const info = w.storage.info;
  const send = (ev: WatchEvent | { type: 'ERROR'; object: Status }) => {
    if (!res.writableEnded) res.write(`${JSON.stringify(ev.type === 'ERROR' ? ev : { type: ev.type, object: w.render(stamp(ev.object as KubeObject)) })}\n`);
  };
  const stamp = (obj: KubeObject) => {
    obj.apiVersion = w.storage.apiVersion;
    obj.kind = info.kind;
    return obj;
  };
  let lastRV = 0;
  const bookmark = w.allowBookmarks
    ? setInterval(() => {
        if (!lastRV) return;
        res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: info.kind, apiVersion: w.storage.apiVersion, metadata: { resourceVersion: String(lastRV) } } })}\n`);
      }, bookmarkEveryMs)
    : undefined;
  try {
    let after: number;
    if (!w.resourceVersion || w.resourceVersion === '0') {
      // "Get State and Start at Most Recent": synthetic ADDED events for what exists now
      const list = await w.storage.list(w.namespace, { filter: w.filter });
      for (const item of list.items) send({ type: 'ADDED', object: item });
      after = Number(list.metadata.resourceVersion);
    } else {
      after = Number(w.resourceVersion);
      if (!Number.isInteger(after) || after < 0) throw expired(`too old resource version: ${w.resourceVersion}`);
    }
    lastRV = after;
    const watcher = w.storage.storeForWatch.watch(w.storage.prefixOf(w.namespace), { afterRevision: after, signal: abort.signal });
    // the stored JSON is the event's object but for its resourceVersion: no decode and encode per event
    const prefix = w.plain ? w.storage.prefix : undefined;
    for await (const ev of watcher.events) {
      lastRV = ev.kv.modRevision;
      const json = prefix === undefined ? undefined : servedJSON(ev.kv, prefix);
      if (json !== undefined) {
        // the types toWatchEvent gives when the filter takes everything
        const type = ev.type === 'create' ? 'ADDED' : ev.type === 'delete' ? 'DELETED' : ev.prevKv ? 'MODIFIED' : 'ADDED';
        if (!res.writableEnded) res.write(`{"type":"${type}","object":${json}}\n`);
        continue;
      }
      const out = toWatchEvent(ev, w.filter, (kv) => w.storage.decode(kv));
      if (out) send(out);
    }
  } catch (err) {
    if (isStorageError(err, 'Compacted')) {
      const current = await w.storage.storeForWatch.currentRevision().catch(() => 0);
      send({ type: 'ERROR', object: expired(`too old resource version: ${w.resourceVersion} (${current})`).status });
    } else if (!abort.signal.aborted) {
      send({ type: 'ERROR', object: toStatusError(err).status });
    }
  } finally {
    clearTimeout(timer);
    if (bookmark) clearInterval(bookmark);
    if (!res.writableEnded) res.end();
  }
}
