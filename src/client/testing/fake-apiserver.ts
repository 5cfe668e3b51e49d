import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { resources, type ResourceInfo } from '../../api/resources.js';
import { apiVersionOf, clone, type KubeObject, type WatchEvent } from '../../api/types.js';
import { RestClient } from '../rest.js';
import { readBody } from '../transport.js';

/**
 * A tiny in-memory API server for client and controller tests (plain HTTP on 127.0.0.1):
 * list (with limit/continue), watch (chunked JSON lines, bookmarks, 410 for expired versions),
 * get, create, update, merge patch, delete with finalizers/propagation, namespace finalize.
 * It is deliberately small: no selectors, no validation, no defaulting.
 */
export interface RecordedRequest {
  method: string;
  url: string;
  body: unknown;
  authorization?: string;
}

interface Route {
  info: ResourceInfo;
  namespace: string;
  name?: string;
  subresource?: string;
}

interface Logged {
  rv: number;
  event: WatchEvent;
  info: ResourceInfo;
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message };
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface DeleteBody {
  propagationPolicy?: string;
  preconditions?: { uid?: string };
}

export class FakeApiServer {
  readonly requests: RecordedRequest[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly log: Logged[] = [];
  private readonly watchers = new Set<{ info: ResourceInfo; namespace: string; res: http.ServerResponse }>();
  private rv = 1;
  /** Watches from a resourceVersion older than this get a 410 ERROR event. */
  compactedBelow = 0;
  /** When set, a handler can fail requests: return a [code, reason, message] to answer with it. */
  failRequest?: (method: string, url: string) => [number, string, string] | undefined;
  private readonly server: http.Server;
  url = '';

  /** With `tls` it serves HTTPS (certificate and key in PEM), otherwise plain HTTP. */
  constructor(private readonly opts: { tls?: { cert: string; key: string } } = {}) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    this.server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.closeWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  /** Ends every open watch cleanly (as a server-side timeout does). */
  closeWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** Kills every open watch connection mid-stream. */
  dropWatches(): void {
    for (const w of this.watchers) w.res.destroy();
    this.watchers.clear();
  }

  watcherCount(): number {
    return this.watchers.size;
  }

  sendBookmark(): void {
    const rv = String(this.rv);
    for (const w of this.watchers) w.res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind: w.info.kind, apiVersion: apiVersionOf(w.info), metadata: { resourceVersion: rv } } }) + '\n');
  }

  /** Sends a 410 ERROR event on every open watch and closes it. */
  expireWatches(): void {
    for (const w of this.watchers) w.res.end(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', 'too old resource version') }) + '\n');
    this.watchers.clear();
  }

  // ---- direct access for tests (bypasses HTTP, still emits watch events) ----

  put(info: ResourceInfo, obj: KubeObject): KubeObject {
    const stored = clone(obj);
    stored.apiVersion = apiVersionOf(info);
    stored.kind = info.kind;
    stored.metadata.uid ??= randomUUID();
    stored.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const key = this.key(info, stored.metadata.namespace ?? '', stored.metadata.name!);
    const existed = this.objects.has(key);
    this.write(info, key, stored, existed ? 'MODIFIED' : 'ADDED');
    return clone(stored);
  }

  getObject(info: ResourceInfo, namespace: string, name: string): KubeObject | undefined {
    const o = this.objects.get(this.key(info, namespace, name));
    return o && clone(o);
  }

  listObjects(info: ResourceInfo, namespace?: string): KubeObject[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(this.prefix(info, namespace))).map(([, o]) => clone(o));
  }

  remove(info: ResourceInfo, namespace: string, name: string): void {
    const key = this.key(info, namespace, name);
    const obj = this.objects.get(key);
    if (obj) this.erase(info, key, obj);
  }

  // ---- internals ----

  private prefix(info: ResourceInfo, namespace?: string): string {
    return `${info.group}/${info.resource}/` + (namespace !== undefined && info.namespaced ? `${namespace}/` : '');
  }

  private key(info: ResourceInfo, namespace: string, name: string): string {
    return `${info.group}/${info.resource}/${info.namespaced ? namespace : ''}/${name}`;
  }

  private write(info: ResourceInfo, key: string, obj: KubeObject, type: 'ADDED' | 'MODIFIED'): void {
    obj.metadata.resourceVersion = String(++this.rv);
    this.objects.set(key, obj);
    this.emit(info, { type, object: clone(obj) });
  }

  private erase(info: ResourceInfo, key: string, obj: KubeObject): void {
    this.objects.delete(key);
    const gone = clone(obj);
    gone.metadata.resourceVersion = String(++this.rv);
    this.emit(info, { type: 'DELETED', object: gone });
  }

  private emit(info: ResourceInfo, event: WatchEvent): void {
    this.log.push({ rv: this.rv, event, info });
    for (const w of this.watchers) if (this.matches(w, info, event.object)) w.res.write(JSON.stringify(event) + '\n');
  }

  private matches(w: { info: ResourceInfo; namespace: string }, info: ResourceInfo, obj: KubeObject): boolean {
    return w.info === info && (!w.namespace || obj.metadata.namespace === w.namespace);
  }

  private route(path: string): Route | undefined {
    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group = '';
    let version: string;
    let rest: string[];
    if (segs[0] === 'api') [version, rest] = [segs[1], segs.slice(2)];
    else if (segs[0] === 'apis') [group, version, rest] = [segs[1], segs[2], segs.slice(3)];
    else return undefined;
    let namespace = '';
    const nsScoped = rest[0] === 'namespaces' && rest.length >= 3 && resources.some((r) => r.group === group && r.namespaced && r.resource === rest[2]);
    if (nsScoped) [namespace, rest] = [rest[1], rest.slice(2)];
    const info = resources.find((r) => r.group === group && r.version === version && r.resource === rest[0]);
    return info && { info, namespace, name: rest[1], subresource: rest[2] };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const raw = await readBody(req);
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', body, authorization: req.headers.authorization });
    const send = (code: number, obj: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const failure = this.failRequest?.(req.method ?? '', req.url ?? '');
    if (failure) return send(failure[0], status(...failure));
    const route = this.route(url.pathname);
    if (!route) return send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    const { info, namespace, name, subresource } = route;
    const notFound = () => send(404, status(404, 'NotFound', `${info.group ? `${info.resource}.${info.group}` : info.resource} "${name}" not found`));
    const key = name ? this.key(info, namespace, name) : '';
    const current = key ? this.objects.get(key) : undefined;
    switch (req.method) {
      case 'GET':
        if (name) return current ? send(200, current) : notFound();
        if (url.searchParams.get('watch') === 'true') return this.watch(route, url, res);
        return this.list(route, url, send);
      case 'POST': {
        const obj = body as KubeObject;
        obj.metadata.namespace = info.namespaced ? namespace || obj.metadata.namespace : undefined;
        const k = this.key(info, obj.metadata.namespace ?? '', obj.metadata.name!);
        if (this.objects.has(k)) return send(409, status(409, 'AlreadyExists', `${info.resource} "${obj.metadata.name}" already exists`));
        return send(201, this.put(info, obj));
      }
      case 'PUT':
      case 'PATCH': {
        if (!current) return notFound();
        let next: KubeObject;
        if (req.method === 'PUT') next = body as KubeObject;
        else next = mergePatch(current, body) as KubeObject;
        const wantRv = next.metadata?.resourceVersion;
        if (wantRv && wantRv !== current.metadata.resourceVersion)
          return send(409, status(409, 'Conflict', `Operation cannot be fulfilled on ${info.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`));
        next.metadata = { ...next.metadata, uid: current.metadata.uid, deletionTimestamp: current.metadata.deletionTimestamp };
        if (subresource === 'finalize') next = { ...current, spec: next.spec };
        if (current.metadata.deletionTimestamp && !next.metadata.finalizers?.length && !(next.spec as { finalizers?: string[] })?.finalizers?.length) {
          this.erase(info, key, current);
          return send(200, next);
        }
        this.write(info, key, next, 'MODIFIED');
        return send(200, next);
      }
      case 'DELETE': {
        const opts = (body ?? {}) as DeleteBody;
        if (!name) {
          // DELETE collection: every object of the namespace (no selectors here)
          const items = this.listObjects(info, info.namespaced && namespace ? namespace : undefined).map((o) => this.deleteObject(info, this.key(info, o.metadata.namespace ?? '', o.metadata.name!), o, { propagationPolicy: opts.propagationPolicy })[1]);
          return send(200, { kind: `${info.kind}List`, apiVersion: info.group ? `${info.group}/${info.version}` : info.version, metadata: {}, items });
        }
        if (!current) return notFound();
        const [code, out] = this.deleteObject(info, key, current, opts);
        return send(code, out);
      }
      default:
        return send(405, status(405, 'MethodNotAllowed', 'method not allowed'));
    }
  }

  /** One object's DELETE: erased, or marked for deletion while finalizers remain. */
  private deleteObject(info: ResourceInfo, key: string, current: KubeObject, opts: DeleteBody): [number, unknown] {
    const name = current.metadata.name!;
    if (opts.preconditions?.uid && opts.preconditions.uid !== current.metadata.uid)
      return [409, status(409, 'Conflict', `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${current.metadata.uid}`)];
    const finalizers = [...(current.metadata.finalizers ?? [])];
    if (!current.metadata.deletionTimestamp) {
      if (opts.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
      if (opts.propagationPolicy === 'Orphan' && !finalizers.includes('orphan')) finalizers.push('orphan');
    }
    const nsFinalizers = info.resource === 'namespaces' ? ((current.spec as { finalizers?: string[] })?.finalizers ?? []) : [];
    if (finalizers.length === 0 && nsFinalizers.length === 0) {
      this.erase(info, key, current);
      return [200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: info.resource, uid: current.metadata.uid } }];
    }
    const next = clone(current);
    next.metadata.finalizers = finalizers;
    next.metadata.deletionTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    if (info.resource === 'namespaces') next.status = { ...(next.status as object), phase: 'Terminating' };
    this.write(info, key, next, 'MODIFIED');
    return [200, next];
  }

  private list(route: Route, url: URL, send: (code: number, obj: unknown) => void): void {
    const all = this.listObjects(route.info, route.info.namespaced && route.namespace ? route.namespace : undefined);
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const offset = Number(url.searchParams.get('continue') ?? 0);
    const page = limit > 0 ? all.slice(offset, offset + limit) : all;
    const more = limit > 0 && offset + limit < all.length;
    const items = page.map((o) => {
      const { apiVersion: _a, kind: _k, ...rest } = o; // typed lists omit these per item
      return rest;
    });
    send(200, {
      kind: `${route.info.kind}List`,
      apiVersion: apiVersionOf(route.info),
      metadata: { resourceVersion: String(this.rv), ...(more ? { continue: String(offset + limit) } : {}) },
      items,
    });
  }

  private watch(route: Route, url: URL, res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const from = Number(url.searchParams.get('resourceVersion') || 0);
    if (from && from < this.compactedBelow) {
      res.end(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.compactedBelow})`) }) + '\n');
      return;
    }
    const w = { info: route.info, namespace: route.info.namespaced ? route.namespace : '', res };
    for (const l of this.log) if (l.rv > from && this.matches(w, l.info, l.event.object)) res.write(JSON.stringify(l.event) + '\n');
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
  }
}

/** A started fake API server and a client of it (token `t`), both closed when the test ends. */
export async function startFakeApiServer(t: { after(fn: () => Promise<void>): void }): Promise<{ server: FakeApiServer; client: RestClient }> {
  const server = new FakeApiServer();
  await server.start();
  const client = new RestClient({ server: server.url, token: 't' });
  t.after(async () => {
    client.close();
    await server.stop();
  });
  return { server, client };
}

/**
 * Runs a controller until the test ends; then aborts it and waits for it, flushes its Events, and
 * closes the client and the server, in that order. Returns the signal it runs under.
 */
export function runUntilTestEnds(
  t: { after(fn: () => Promise<void>): void },
  o: { server: FakeApiServer; client?: RestClient; recorder?: { flush(): Promise<void> }; run(signal: AbortSignal): Promise<unknown> },
): AbortSignal {
  const ac = new AbortController();
  const running = o.run(ac.signal);
  t.after(async () => {
    ac.abort();
    await running;
    await o.recorder?.flush();
    o.client?.close();
    await o.server.stop();
  });
  return ac.signal;
}
