// Decodes protobuf bodies that the real kubectl sends, comparing each with the JSON that
// `kubectl create ... --dry-run=client -o json` prints for the same command (the same object).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeKubernetesProtobuf } from './decode.js';

interface Captured { method: string; url: string; contentType: string; body: Buffer }

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('decodeKubernetesProtobuf with bodies from the real kubectl', () => {
  let dir: string;
  let server: Server;
  let env: NodeJS.ProcessEnv;
  const captured: Captured[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-protobuf-'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method === 'GET' && req.url?.startsWith('/version')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.4' }));
          return;
        }
        if (req.method === 'POST') {
          captured.push({ method: req.method, url: req.url ?? '', contentType: req.headers['content-type'] ?? '', body });
          try {
            const { object } = decodeKubernetesProtobuf(body);
            res.writeHead(201, { 'content-type': 'application/json' });
            res.end(JSON.stringify(object));
          } catch (err) {
            res.writeHead(400, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: (err as Error).message, reason: 'BadRequest', code: 400 }));
          }
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: t',
      `clusters: [{name: t, cluster: {server: "http://127.0.0.1:${port}"}}]`,
      'users: [{name: t, user: {}}]',
      'contexts: [{name: t, context: {cluster: t, user: t, namespace: default}}]', '',
    ].join('\n'));
    env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache') };
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `kubectl create ARGS` for real and as a client-side dry run; returns the decoded body and the printed JSON. */
  async function create(args: string[]): Promise<{ decoded: ReturnType<typeof decodeKubernetesProtobuf>; expected: Record<string, unknown>; url: string }> {
    const dry = await run(['create', ...args, '--dry-run=client', '-o', 'json'], env);
    assert.equal(dry.code, 0, dry.stderr);
    const before = captured.length;
    const real = await run(['create', ...args], env);
    assert.equal(real.code, 0, real.stderr);
    const posts = captured.slice(before);
    assert.equal(posts.length, 1, `one POST expected, got ${posts.map((p) => p.url).join(', ')}`);
    const post = posts[0]!;
    assert.match(post.contentType, /^application\/vnd\.kubernetes\.protobuf/);
    return { decoded: decodeKubernetesProtobuf(post.body), expected: JSON.parse(dry.stdout) as Record<string, unknown>, url: post.url };
  }

  const cases: Array<{ name: string; args: string[]; url: string; kind: string; apiVersion: string }> = [
    { name: 'namespace', args: ['namespace', 'x'], url: '/api/v1/namespaces', kind: 'Namespace', apiVersion: 'v1' },
    { name: 'configmap', args: ['configmap', 'c', '--from-literal=a=b', '--from-literal=n=1'], url: '/api/v1/namespaces/default/configmaps', kind: 'ConfigMap', apiVersion: 'v1' },
    { name: 'secret generic', args: ['secret', 'generic', 's', '--from-literal=k=v'], url: '/api/v1/namespaces/default/secrets', kind: 'Secret', apiVersion: 'v1' },
    { name: 'deployment', args: ['deployment', 'd', '--image=nginx', '--replicas=3', '--port=80'], url: '/apis/apps/v1/namespaces/default/deployments', kind: 'Deployment', apiVersion: 'apps/v1' },
    { name: 'deployment with zero replicas', args: ['deployment', 'z', '--image=nginx', '--replicas=0'], url: '/apis/apps/v1/namespaces/default/deployments', kind: 'Deployment', apiVersion: 'apps/v1' },
    { name: 'service nodeport', args: ['service', 'nodeport', 'n', '--tcp=80:8080', '--node-port=30080'], url: '/api/v1/namespaces/default/services', kind: 'Service', apiVersion: 'v1' },
    { name: 'service clusterip, named target port', args: ['service', 'clusterip', 'c', '--tcp=5678:http'], url: '/api/v1/namespaces/default/services', kind: 'Service', apiVersion: 'v1' },
    { name: 'service headless', args: ['service', 'clusterip', 'h', '--clusterip=None'], url: '/api/v1/namespaces/default/services', kind: 'Service', apiVersion: 'v1' },
    { name: 'service loadbalancer', args: ['service', 'loadbalancer', 'lb', '--tcp=443:8443'], url: '/api/v1/namespaces/default/services', kind: 'Service', apiVersion: 'v1' },
    { name: 'service externalname', args: ['service', 'externalname', 'e', '--external-name=example.com'], url: '/api/v1/namespaces/default/services', kind: 'Service', apiVersion: 'v1' },
    { name: 'serviceaccount', args: ['serviceaccount', 'sa'], url: '/api/v1/namespaces/default/serviceaccounts', kind: 'ServiceAccount', apiVersion: 'v1' },
    { name: 'ingress', args: ['ingress', 'i', '--rule=a.com/foo*=svc:80,tls=sec', '--class=skiff', '--annotation=a=b'], url: '/apis/networking.k8s.io/v1/namespaces/default/ingresses', kind: 'Ingress', apiVersion: 'networking.k8s.io/v1' },
    { name: 'ingress with a named port and default backend', args: ['ingress', 'j', '--rule=b.com/=svc:http', '--default-backend=def:8080'], url: '/apis/networking.k8s.io/v1/namespaces/default/ingresses', kind: 'Ingress', apiVersion: 'networking.k8s.io/v1' },
  ];
  for (const c of cases) {
    it(`kubectl create ${c.args.join(' ')} (${c.name})`, async () => {
      const { decoded, expected, url } = await create(c.args);
      assert.equal(url.replace(/\?.*$/, ''), c.url);
      assert.equal(decoded.kind, c.kind);
      assert.equal(decoded.apiVersion, c.apiVersion);
      assert.deepEqual(decoded.object, expected);
    });
  }

  it('kubectl create secret tls (bytes fields as base64)', async () => {
    const key = join(dir, 'tls.key'), cert = join(dir, 'tls.crt');
    const gen = await new Promise<number>((resolve) => execFile('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=skiff.test'], (err) => resolve(err ? 1 : 0)));
    assert.equal(gen, 0, 'openssl failed');
    const { decoded, expected } = await create(['secret', 'tls', 't', `--cert=${cert}`, `--key=${key}`]);
    assert.equal(decoded.kind, 'Secret');
    assert.deepEqual(decoded.object, expected);
    assert.equal((decoded.object as { type?: string }).type, 'kubernetes.io/tls');
  });
});
