import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError } from '../api/status.js';
import * as discovery from './discovery.js';
import { sendJSON } from './http.js';
import * as openapi from './openapi/index.js';


function sendRaw(res: ServerResponse, json: string, cacheControl: string): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), 'Cache-Control': cacheControl });
  res.end(json);
}

export const aggregatedContentType = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

function wantsAggregated(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const clause of (accept ?? '').split(',')) {
    if (!clause.includes('as=APIGroupDiscoveryList') || !clause.includes('g=apidiscovery.k8s.io')) continue;
    if (clause.includes('v=v2beta1')) return 'v2beta1';
    if (clause.includes('v=v2')) return 'v2';
  }
  return undefined;
}

export function versionInfo(): Record<string, string> {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.4+skiff',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-11-28T00:00:00Z',
    goVersion: 'go1.23.8',
    compiler: 'gc',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

function notFoundPage(): StatusError {
  return new StatusError({ reason: 'NotFound', code: 404, message: 'the server could not find the requested resource', details: {} });
}

/** Returns true when the path was a non-resource path and has been answered. */
export function serveNonResource(req: IncomingMessage, res: ServerResponse, url: URL, ready: () => boolean, extras: { caPem?: string } = {}): boolean {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path === '/cacerts' && extras.caPem) {
    // k3s' bootstrap endpoint: agents fetch the cluster CA here, then authenticate with the token
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(extras.caPem) });
    res.end(extras.caPem);
    return true;
  }
  if (path === '/version') {
    sendJSON(res, 200, versionInfo());
    return true;
  }
  if (path === '/healthz' || path === '/livez' || path === '/readyz' || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) {
    const ok = path.startsWith('/livez') || ready();
    res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    res.end(ok ? 'ok' : '[-]poststarthook/skiff-bootstrap failed: not finished\nreadyz check failed');
    return true;
  }
  if (path === '/api' || path === '/apis') {
    const agg = wantsAggregated(req.headers.accept);
    if (agg) {
      const body = discovery.aggregatedDiscovery(path === '/api') as Record<string, unknown>;
      const ct = agg === 'v2' ? aggregatedContentType : aggregatedContentType.replace('v=v2', 'v=v2beta1');
      sendJSON(res, 200, agg === 'v2' ? body : { ...body, apiVersion: 'apidiscovery.k8s.io/v2beta1' }, ct);
    } else sendJSON(res, 200, path === '/api' ? discovery.apiVersions() : discovery.apiGroupList());
    return true;
  }
  let m = /^\/api\/(v1)$/.exec(path) ?? /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
  if (m) {
    const [group, version] = m.length === 2 ? ['', m[1]!] : [m[1]!, m[2]!];
    const doc = discovery.apiResourceList(group, version);
    if (!doc) throw notFoundPage();
    sendJSON(res, 200, doc);
    return true;
  }
  m = /^\/apis\/([^/]+)$/.exec(path);
  if (m) {
    const doc = discovery.apiGroup(m[1]!);
    if (!doc) throw notFoundPage();
    sendJSON(res, 200, doc);
    return true;
  }
  if (path === '/openapi/v3') {
    sendJSON(res, 200, openapi.openapiV3Index());
    return true;
  }
  if (path.startsWith('/openapi/v3/')) {
    const doc = openapi.openapiV3Doc(path.slice('/openapi/v3/'.length));
    if (!doc) throw notFoundPage();
    sendRaw(res, doc.json, url.searchParams.get('hash') === doc.hash ? 'public, immutable' : 'no-cache, private');
    return true;
  }
  if (path === '/openapi/v2' || path === '/swagger.json') {
    if ((req.headers.accept ?? '').includes('protobuf')) {
      // kubectl only reads v2 (as gnostic protobuf) to validate kinds v3 does not know: an empty
      // Document ({swagger: "2.0"}) lets it skip them and report the missing kind as Kubernetes does
      const empty = Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]);
      res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': empty.length });
      res.end(empty);
      return true;
    }
    const doc = openapi.openapiV2Acceptable(req.headers.accept) ? openapi.openapiV2() : undefined;
    if (!doc) throw notFoundPage();
    sendRaw(res, doc.json, 'no-cache, private');
    return true;
  }
  if (path === '/apis/apiextensions.k8s.io/v1/customresourcedefinitions' && req.method === 'GET') {
    // kubectl's validator asks for CRDs when a kind is unknown; skiff serves none (MetalLB's kinds are built in)
    sendJSON(res, 200, { kind: 'CustomResourceDefinitionList', apiVersion: 'apiextensions.k8s.io/v1', metadata: { resourceVersion: '1' }, items: [] });
    return true;
  }
  if (path === '/') {
    sendJSON(res, 200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/openapi/v2', '/openapi/v3', '/readyz', '/version'] });
    return true;
  }
  return false;
}
