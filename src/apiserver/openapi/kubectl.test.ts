/**
 * Drives the real kubectl against a minimal loopback server that serves only skiff's discovery and OpenAPI
 * documents (plus a POST that echoes the body, with strict field validation), to prove kubectl accepts them.
 * Skipped when no kubectl is installed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApiVersion } from '../../api/types.js';
import {
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  wantsAggregatedDiscovery,
} from '../discovery.js';
import { openapiV2, openapiV2Acceptable, openapiV3Doc, openapiV3Headers, openapiV3Index } from './index.js';
import { strictBodyError, unknownFields } from './strict.js';

const KUBECTL = process.env.KUBECTL ?? 'kubectl';

interface Seen { method: string; url: string; accept: string; contentType?: string; body?: string }

function startServer(opts: { legacyDiscovery: boolean }): Promise<{ server: http.Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const stored = new Map<string, unknown>(); // item path → object, so a second apply finds it
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: Seen = { method: req.method ?? '', url: req.url ?? '', accept: req.headers.accept ?? '', contentType: req.headers['content-type'] };
    seen.push(entry);
    const send = (code: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(code, { 'Content-Type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const notFound = (): void => send(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', message: 'not found', code: 404 });
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      entry.body = raw;
      const p = url.pathname;
      if (p === '/version') return send(200, { major: '1', minor: '32', gitVersion: 'v1.32.4' });
      if ((p === '/api' || p === '/apis') && !opts.legacyDiscovery && wantsAggregatedDiscovery(req.headers.accept)) {
        return send(200, aggregatedDiscovery(p === '/api'), { 'Content-Type': AGGREGATED_DISCOVERY_CONTENT_TYPE });
      }
      if (p === '/api') return send(200, apiVersions());
      if (p === '/apis') return send(200, apiGroupList());
      if (p === '/openapi/v3') return send(200, openapiV3Index());
      if (p.startsWith('/openapi/v3/')) {
        const doc = openapiV3Doc(p.slice('/openapi/v3/'.length));
        return doc ? send(200, doc.json, openapiV3Headers(doc, url.searchParams.get('hash') ?? undefined)) : notFound();
      }
      if (p === '/openapi/v2') return openapiV2Acceptable(req.headers.accept) ? send(200, openapiV2().json) : notFound();
      const gv = /^\/api\/(v1)$/.exec(p) ?? /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
      if (gv) {
        const list = gv.length === 2 ? apiResourceList('', gv[1]!) : apiResourceList(gv[1]!, gv[2]!);
        return list ? send(200, list) : notFound();
      }
      const group = /^\/apis\/([^/]+)$/.exec(p);
      if (group) return apiGroup(group[1]!) ? send(200, apiGroup(group[1]!)) : notFound();
      if (req.method === 'POST') {
        const obj = JSON.parse(raw) as { apiVersion: string; kind: string };
        const gvk = { ...parseApiVersion(obj.apiVersion), kind: obj.kind };
        const unknown = unknownFields(obj, gvk);
        if (unknown.length && url.searchParams.get('fieldValidation') === 'Strict') {
          const err = strictBodyError(gvk, unknown);
          return send(err.httpCode, err.status);
        }
        stored.set(`${p}/${(obj as { metadata?: { name?: string } }).metadata?.name}`, obj);
        return send(201, obj);
      }
      const existing = stored.get(p);
      if (existing && (req.method === 'GET' || req.method === 'PATCH')) return send(200, existing);
      notFound();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port, seen })));
}

function kubectl(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, HOME: dir, KUBECACHEDIR: path.join(dir, 'cache'), KUBECONFIG: path.join(dir, 'kubeconfig') };
    execFile(KUBECTL, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function kubectlAvailable(): Promise<boolean> {
  return new Promise((resolve) => execFile(KUBECTL, ['version', '--client'], { timeout: 30_000 }, (err) => resolve(!err)));
}

/** Splits `kubectl api-resources` output into rows of whitespace-separated cells, keyed by NAME+APIVERSION. */
function apiResourceRows(out: string): Map<string, string> {
  const lines = out.trim().split('\n');
  assert.match(lines[0]!, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
  const rows = new Map<string, string>();
  for (const line of lines.slice(1)) rows.set(line.split(/\s+/).filter((c) => c).join(' '), line);
  return rows;
}

const hasKubectl = await kubectlAvailable();

for (const legacyDiscovery of [false, true]) {
  describe(`real kubectl against skiff discovery + OpenAPI (${legacyDiscovery ? 'legacy' : 'aggregated'} discovery)`, { skip: !hasKubectl && 'kubectl not installed' }, () => {
    let dir: string;
    let srv: Awaited<ReturnType<typeof startServer>>;

    before(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'skiff-kubectl-'));
      srv = await startServer({ legacyDiscovery });
      writeFileSync(
        path.join(dir, 'kubeconfig'),
        [
          'apiVersion: v1',
          'kind: Config',
          `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${srv.port}"}}]`,
          'users: [{name: u, user: {}}]',
          'contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]',
          'current-context: c',
          '',
        ].join('\n'),
      );
    });
    after(() => {
      srv.server.closeAllConnections();
      srv.server.close();
      rmSync(dir, { recursive: true, force: true });
    });

    test('api-resources lists every kind with shortnames, apiVersion, scope and kind', async () => {
      const r = await kubectl(dir, ['api-resources']);
      assert.equal(r.code, 0, r.stderr);
      const rows = apiResourceRows(r.stdout);
      for (const row of [
        'services svc v1 true Service',
        'pods po v1 true Pod',
        'namespaces ns v1 false Namespace',
        'nodes no v1 false Node',
        'secrets v1 true Secret',
        'deployments deploy apps/v1 true Deployment',
        'replicasets rs apps/v1 true ReplicaSet',
        'endpointslices discovery.k8s.io/v1 true EndpointSlice',
        'ingresses ing networking.k8s.io/v1 true Ingress',
        'ingressclasses networking.k8s.io/v1 false IngressClass',
        'ipaddresspools metallb.io/v1beta1 true IPAddressPool',
        'l2advertisements metallb.io/v1beta1 true L2Advertisement',
      ]) {
        assert.ok(rows.has(row), `missing row "${row}" in\n${r.stdout}`);
      }
      const discovery = srv.seen.filter((s) => s.url.startsWith('/api'));
      if (legacyDiscovery) assert.ok(discovery.some((s) => s.url.startsWith('/apis/apps/v1')), 'legacy discovery fetches each group-version');
      else assert.ok(!discovery.some((s) => s.url.startsWith('/apis/apps')), 'aggregated discovery needs no per-group requests');
    });

    test('explain service.spec.ports prints the field descriptions', async () => {
      const r = await kubectl(dir, ['explain', 'service.spec.ports']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^KIND:\s+Service\nVERSION:\s+v1\n/);
      assert.match(r.stdout, /FIELD: ports <\[\]ServicePort>/);
      assert.match(r.stdout, /The list of ports that are exposed by this service\./);
      assert.match(r.stdout, /\n {2}port\t<integer> -required-\n {4}The port that will be exposed by this service\./);
      assert.match(r.stdout, /\n {2}targetPort\t<string>\n {4}Number or name of the port to access on the pods/);
      assert.match(r.stdout, /\n {2}protocol\t<string>\n/);
    });

    test('explain deploy --recursive walks the whole schema', async () => {
      const r = await kubectl(dir, ['explain', 'deploy', '--recursive']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
      assert.match(r.stdout, /DESCRIPTION:\n {4}Deployment enables declarative updates for Pods and ReplicaSets\./);
      assert.match(r.stdout, /\n {4}replicas\t<integer>\n/);
      assert.match(r.stdout, /\n {6}spec\t<PodSpec>\n {8}activeDeadlineSeconds\t<integer>\n/);
      assert.match(r.stdout, /\n {8}containers\t<\[\]Container> -required-\n/);
      assert.match(r.stdout, /\n {10}ports\t<\[\]ContainerPort>\n {12}containerPort\t<integer> -required-\n/);
    });

    test('create -f sends fieldValidation=Strict and succeeds; unknown fields are refused with Kubernetes\' message', async () => {
      const good = path.join(dir, 'svc.yaml');
      writeFileSync(good, 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}]\n');
      const ok = await kubectl(dir, ['create', '-f', good]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout.trim(), 'service/web created');
      assert.ok(srv.seen.some((s) => s.method === 'POST' && s.url === '/api/v1/namespaces/default/services?fieldManager=kubectl-create&fieldValidation=Strict'), 'kubectl leaves validation to the server');
      assert.ok(srv.seen.some((s) => s.url.startsWith('/openapi/v3/api/v1?hash=')));

      const dry = await kubectl(dir, ['create', '-f', good, '--dry-run=server']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(dry.stdout.trim(), 'service/web created (server dry run)');

      const bad = path.join(dir, 'bad.yaml');
      writeFileSync(bad, 'apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec:\n  foo: 1\n  ports: [{port: 80, bogus: 2}]\n');
      const refused = await kubectl(dir, ['create', '-f', bad]);
      assert.equal(refused.code, 1);
      assert.equal(
        refused.stderr.trim(),
        'Error from server (BadRequest): error when creating "' + bad + '": Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo", unknown field "spec.ports[0].bogus"',
      );
    });

    test('apply -f of a MetalLB pool and a Deployment creates them', async () => {
      const file = path.join(dir, 'apply.yaml');
      writeFileSync(
        file,
        [
          'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: pool}\nspec: {addresses: [10.0.0.0/24], autoAssign: true}',
          'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 80}], resources: {limits: {cpu: 1}}}]}',
        ].join('\n---\n'),
      );
      const r = await kubectl(dir, ['apply', '-f', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'ipaddresspool.metallb.io/pool created\ndeployment.apps/web created');

      // A second apply with a change patches. With full v3 schemas kubectl 1.32 computes the strategic merge
      // patch from them and does not ask /openapi/v2 (which it would ask only as protobuf, taking a 404).
      writeFileSync(file, readFileSync(file, 'utf8').replace('autoAssign: true', 'autoAssign: false').replace('image: nginx', 'image: nginx:1.27'));
      const again = await kubectl(dir, ['apply', '-f', file]);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout.trim(), 'ipaddresspool.metallb.io/pool configured\ndeployment.apps/web configured');
      const v2 = srv.seen.filter((s) => s.url.startsWith('/openapi/v2'));
      assert.ok(v2.every((s) => !openapiV2Acceptable(s.accept)), `v2 requests: ${JSON.stringify(v2)}`);
      assert.ok(srv.seen.some((s) => s.method === 'PATCH' && s.url.startsWith('/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools/pool?')));
      const patch = srv.seen.find((s) => s.method === 'PATCH' && s.url.startsWith('/apis/apps/v1/namespaces/default/deployments/web?'));
      assert.equal(patch?.contentType, 'application/strategic-merge-patch+json');
      assert.match(patch?.body ?? '', /"\$setElementOrder\/containers":\[\{"name":"c"\}\]/);
    });
  });
}
