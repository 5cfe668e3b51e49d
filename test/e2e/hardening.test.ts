// Nothing leaked, nothing stuck: file modes of the data dir, Secrets encrypted at rest, pods the kubelet cannot
// finish, a watch in the future, malformed bodies (issues 13 and 14), against the real server and kubectl.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { apiOnly, writeManifest } from '../support/kubectl.js';
import { waitFor } from '../support/ports.js';

const modeOf = async (p: string) => (await stat(p)).mode & 0o777;

describe('hardening: data at rest, stuck deletions, bad input', () => {
  let cluster: TestCluster;
  let dataDir: string;
  let token: string;

  function api(method: string, path: string, body?: string, contentType = 'application/json'): Promise<{ code: number; body: string; headers: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      if (body !== undefined) Object.assign(headers, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)) });
      const req = request({ host: '127.0.0.1', port: cluster.port, method, path, headers, rejectUnauthorized: false }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: b, headers: res.headers }));
      });
      req.setTimeout(10_000, () => req.destroy(new Error(`no answer in 10 s: ${method} ${path}`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  before(async () => {
    // a data dir as an older skiff (or a careless mkdir) left it: world-readable
    const parent = await mkdtemp(join(tmpdir(), 'skiff-e2e-hard-'));
    dataDir = join(parent, 'data');
    await mkdir(dataDir, { mode: 0o755 });
    await chmod(dataDir, 0o755);
    cluster = await TestCluster.start({ ...apiOnly(), dataDir, extraArgs: [...apiOnly().extraArgs, '--secrets-encryption'] });
    token = await cluster.token();
  });
  after(async () => {
    await cluster?.destroy();
    if (dataDir) await rm(join(dataDir, '..'), { recursive: true, force: true });
  });

  it('the data dir is 0700 and the database files 0600, also when an older run left them readable', async () => {
    const db = join(dataDir, 'server', 'db', 'state.db');
    assert.equal(await modeOf(dataDir), 0o700);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(await modeOf(f), 0o600, f);
    await cluster.stop();
    const logDir = join(dataDir, 'agent', 'pods', 'x', 'logs', 'c');
    await mkdir(logDir, { recursive: true });
    await writeFile(join(logDir, '0.log'), 'old log\n', { mode: 0o644 });
    for (const f of [db, `${db}-wal`, `${db}-shm`]) await chmod(f, 0o644).catch(() => {});
    await chmod(dataDir, 0o755);
    await cluster.restart();
    assert.equal(await modeOf(dataDir), 0o700);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(await modeOf(f), 0o600, f);
    assert.equal(await modeOf(join(logDir, '0.log')), 0o600);
  });

  it('--secrets-encryption stores Secrets as k8s:enc:aescbc:v1: and kubectl reads them back', async () => {
    const cfg = JSON.parse(await readFile(join(dataDir, 'server', 'cred', 'encryption-config.json'), 'utf8')) as { kind: string; resources: Array<{ resources: string[]; providers: Array<Record<string, unknown>> }> };
    assert.equal(cfg.kind, 'EncryptionConfiguration');
    assert.deepEqual(cfg.resources[0]!.resources, ['secrets']);
    assert.deepEqual(Object.keys(cfg.resources[0]!.providers[0]!), ['aescbc']);
    assert.equal(await modeOf(join(dataDir, 'server', 'cred', 'encryption-config.json')), 0o600);
    const r = await cluster.kubectl(['create', 'secret', 'generic', 'topsecret', '--from-literal=password=hunter2-plaintext-marker']);
    assert.equal(r.code, 0, r.stderr);
    await cluster.k('create', 'configmap', 'visible', '--from-literal=k=configmap-plaintext-marker');
    const db = join(dataDir, 'server', 'db', 'state.db');
    const raw = Buffer.concat([await readFile(db), await readFile(`${db}-wal`).catch(() => Buffer.alloc(0))]);
    const b64 = Buffer.from('hunter2-plaintext-marker').toString('base64');
    assert.ok(!raw.includes(b64) && !raw.includes('hunter2-plaintext-marker'), 'the Secret value is not in the database file');
    assert.ok(raw.includes('k8s:enc:aescbc:v1:aescbckey'), 'the Secret is stored with the aescbc prefix');
    assert.ok(raw.includes('configmap-plaintext-marker'), 'other kinds stay plain');
    await cluster.restart();
    const got = await cluster.k('get', 'secret', 'topsecret', '-o', 'jsonpath={.data.password}');
    assert.equal(Buffer.from(got, 'base64').toString(), 'hunter2-plaintext-marker');
  });

  it('a pod whose image is not a string is rejected naming the field (it was stored, then never deleted)', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'badimage' }, spec: { containers: [{ name: 'c', image: [1] }] } };
    const a = await api('POST', '/api/v1/namespaces/default/pods', JSON.stringify(pod));
    assert.equal(a.code, 400, a.body);
    assert.equal(JSON.parse(a.body).message, 'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal array into Go struct field Container.spec.containers.image of type string');
    const f = await writeManifest('badimage.json', JSON.stringify(pod));
    const k = await cluster.kubectl(['create', '-f', f]);
    assert.equal(k.code, 1);
    assert.match(k.stderr, /cannot unmarshal array into Go struct field Container\.spec\.containers\.image of type string/);
    // a patch to the same effect is a 422 naming the patch
    await cluster.k('run', 'goodimage', '--image=busybox:1.36', '--restart=Never');
    const p = await api('PATCH', '/api/v1/namespaces/default/pods/goodimage', '{"spec":{"containers":[{"name":"goodimage","image":[1]}]}}', 'application/strategic-merge-patch+json');
    assert.equal(p.code, 422, p.body);
    assert.deepEqual(JSON.parse(p.body).details.causes.map((c: { field: string }) => c.field), ['patch']);
  });

  it('a namespace whose pod no kubelet will ever finish is still deleted', async () => {
    await cluster.k('create', 'namespace', 'stuck');
    // bound to a node that does not exist: nothing will ever stop it
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'orphan', namespace: 'stuck' }, spec: { nodeName: 'no-such-node', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox:1.36' }] } };
    const a = await api('POST', '/api/v1/namespaces/stuck/pods', JSON.stringify(pod));
    assert.equal(a.code, 201, a.body);
    await cluster.k('delete', 'namespace', 'stuck', '--wait=false');
    await waitFor('namespace stuck gone', async () => ((await cluster.kubectl(['get', 'namespace', 'stuck'])).code === 1 ? true : undefined), 30_000, 250);
  });

  it('a watch or list at a resourceVersion in the future answers 504 Too large resource version at once', async () => {
    for (const q of ['watch=1&resourceVersion=99999999999', 'resourceVersion=99999999999', 'resourceVersion=99999999999&resourceVersionMatch=Exact']) {
      const a = await api('GET', `/api/v1/namespaces/default/pods?${q}`);
      assert.equal(a.code, 504, `${q}: ${a.body}`);
      const s = JSON.parse(a.body);
      assert.equal(s.reason, 'Timeout');
      assert.match(s.message, /^Timeout: Too large resource version: 99999999999, current: \d+$/);
      assert.deepEqual(s.details.causes, [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }]);
      assert.equal(a.headers['retry-after'], '1');
    }
    const k = await cluster.kubectl(['get', '--raw', '/api/v1/namespaces/default/pods?watch=1&resourceVersion=99999999999', '--request-timeout=10s']);
    assert.notEqual(k.code, 0);
    assert.match(k.stderr, /^Error from server \(Timeout\): Timeout: Too large resource version: 99999999999, current: \d+\n$/);
  });

  it('a Service of 200 ports gets its EndpointSlice with all 200 ports (101 used to leave it empty)', async () => {
    const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'hard-node', labels: { 'kubernetes.io/hostname': 'hard-node' } } };
    assert.equal((await api('POST', '/api/v1/nodes', JSON.stringify(node))).code, 201);
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'many', labels: { app: 'many' } }, spec: { nodeName: 'hard-node', containers: [{ name: 'c', image: 'busybox:1.36' }] } };
    assert.equal((await api('POST', '/api/v1/namespaces/default/pods', JSON.stringify(pod))).code, 201);
    const ip = cluster.spare(7);
    const status = { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] } };
    const st = await api('PATCH', '/api/v1/namespaces/default/pods/many/status', JSON.stringify(status), 'application/merge-patch+json');
    assert.equal(st.code, 200, st.body);
    const ports = Array.from({ length: 200 }, (_, i) => ({ name: `p${i}`, port: 1000 + i, targetPort: 3000 + i }));
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'many' }, spec: { selector: { app: 'many' }, ports } };
    assert.equal((await api('POST', '/api/v1/namespaces/default/services', JSON.stringify(svc))).code, 201);
    const slice = await waitFor('a slice with the endpoint', async () => {
      const list = JSON.parse((await api('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dmany')).body) as { items: Array<{ ports?: unknown[]; endpoints?: Array<{ addresses: string[] }> }> };
      return list.items.find((s) => (s.endpoints ?? []).length > 0);
    });
    assert.equal(slice.ports!.length, 200);
    assert.deepEqual(slice.endpoints!.map((e) => e.addresses[0]), [ip]);
  });

  it('bodies over 3 MiB are 413 and unknown media types 415, as Status objects', async () => {
    const big = JSON.stringify({ metadata: { name: 'big' }, data: { k: 'x'.repeat(3 * 1024 * 1024 + 10) } });
    const a = await api('POST', '/api/v1/namespaces/default/configmaps', big);
    assert.equal(a.code, 413);
    assert.equal(JSON.parse(a.body).reason, 'RequestEntityTooLarge');
    const b = await api('POST', '/api/v1/namespaces/default/configmaps', '{"metadata":{"name":"x"}}', 'text/plain');
    assert.equal(b.code, 415);
    assert.equal(JSON.parse(b.body).reason, 'UnsupportedMediaType');
  });
});
