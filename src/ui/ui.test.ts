// Pure parts of the web view: DNS records of a Service, the token and origin checks, traffic rates, trimming.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkOrigin, checkToken, loadOrCreateUIToken, loginURL, uiTokenPath } from './auth.js';
import { serviceDnsRecords } from './dns-records.js';
import { trim } from './model.js';
import { reasonText, TrafficRecorder } from './traffic.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

test('DNS records: ClusterIP (A, SRV for named ports, PTR), headless (per endpoint), ExternalName (CNAME)', () => {
  const svc = { metadata: { name: 'web', namespace: 'shop' }, spec: { clusterIP: '127.43.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 81 }] } };
  assert.deepEqual(serviceDnsRecords(svc, []), [
    { name: 'web.shop.svc.cluster.local.', type: 'A', data: '127.43.0.20' },
    { name: '_http._tcp.web.shop.svc.cluster.local.', type: 'SRV', data: '0 100 80 web.shop.svc.cluster.local.' },
    { name: '20.0.43.127.in-addr.arpa.', type: 'PTR', data: 'web.shop.svc.cluster.local.' },
  ]);
  const headless = { metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } };
  const slices = [{ ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }], endpoints: [
    { addresses: ['127.42.0.12'], hostname: 'db-0', conditions: { ready: true } },
    { addresses: ['127.42.0.13'], conditions: { ready: true } },
    { addresses: ['127.42.0.14'], conditions: { ready: false } },
  ] }];
  const r = serviceDnsRecords(headless, slices, 'k.test');
  assert.deepEqual(r.filter((x) => x.name === 'db.default.svc.k.test.').map((x) => x.data), ['127.42.0.12', '127.42.0.13']);
  assert.ok(r.some((x) => x.name === 'db-0.db.default.svc.k.test.' && x.data === '127.42.0.12'));
  assert.ok(r.some((x) => x.name === '127-42-0-13.db.default.svc.k.test.' && x.type === 'A'));
  assert.ok(r.some((x) => x.type === 'SRV' && x.data === '0 50 5432 db-0.db.default.svc.k.test.'));
  assert.ok(!r.some((x) => x.data.includes('127.42.0.14')), 'not-ready endpoints have no records');
  assert.deepEqual(serviceDnsRecords({ metadata: { name: 'ext', namespace: 'a' }, spec: { type: 'ExternalName', externalName: 'example.com' } }, []),
    [{ name: 'ext.a.svc.cluster.local.', type: 'CNAME', data: 'example.com.' }]);
});

test('token: created once (0600), in the login URL fragment; requests need it and a loopback Host/Origin', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-ui-unit-'));
  try {
    const token = await loadOrCreateUIToken(dir);
    assert.match(token, /^[0-9a-f]{48}$/);
    assert.equal(await loadOrCreateUIToken(dir), token);
    assert.equal((await stat(uiTokenPath(dir))).mode & 0o777, 0o600);
    assert.equal((await readFile(uiTokenPath(dir), 'utf8')).trim(), token);
    assert.equal(loginURL('127.0.0.1', 8472, token), `http://127.0.0.1:8472/login#token=${token}`);
    assert.deepEqual(checkToken(req({}), token).ok, false);
    assert.equal(checkToken(req({ cookie: `a=b; skiff-ui=${token}` }), token).ok, true);
    assert.equal(checkToken(req({ authorization: `Bearer ${token}` }), token).ok, true);
    assert.equal(checkToken(req({ authorization: `Bearer ${token.slice(1)}x` }), token).ok, false);
    assert.equal(checkOrigin(req({ host: '127.0.0.1:8472' }), 8472).ok, true);
    assert.equal(checkOrigin(req({ host: 'localhost:8472', origin: 'http://localhost:8472' }), 8472).ok, true);
    assert.equal(checkOrigin(req({ host: 'evil.example:8472' }), 8472).ok, false, 'DNS rebinding');
    assert.equal(checkOrigin(req({ host: '127.0.0.1:8472', origin: 'http://evil.example' }), 8472).ok, false, 'cross-site');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('traffic: rows open and close; rates over the sample window', () => {
  const t = new TrafficRecorder();
  t.opened({ id: 1, time: 1000, protocol: 'TCP', clientIP: '127.0.0.9', clientPort: 5000, dialledIP: '127.43.0.20', dialledPort: 80, role: 'ClusterIP',
    servicePortName: 'shop/web:http', endpoint: '127.42.0.12:8080', reason: { kind: 'scheduler', scheduler: 'random' }, localPolicy: true });
  assert.equal(t.drainConnections()[0]!.reason, 'random (Local)');
  t.closed({ id: 1, time: 1500, bytesIn: 10, bytesOut: 20 });
  const [row] = t.drainConnections();
  assert.deepEqual([row!.open, row!.bytesIn, row!.bytesOut, row!.durationMs, row!.client, row!.dialled], [false, 10, 20, 500, '127.0.0.9:5000', '127.43.0.20:80']);
  assert.deepEqual(t.drainConnections(), []);
  assert.equal(reasonText({ reason: { kind: 'affinity' }, localPolicy: false }), 'affinity');
  const s = (total: number, bytes: number) => [{ servicePortName: 'shop/web:http', protocol: 'TCP' as const, ip: '127.42.0.12', port: 8080, activeConnections: 1, totalConnections: total, bytesIn: bytes, bytesOut: 0 }];
  t.sample(s(10, 100), 0);
  const [e] = t.sample(s(30, 600), 500);
  assert.equal(e!.connRate, 40);
  assert.equal(e!.byteRate, 1000);
});

test('traffic: the last 200 connections are kept, oldest overwritten; a close of a forgotten one is ignored', () => {
  const t = new TrafficRecorder();
  const open = (id: number) => t.opened({ id, time: id, protocol: 'TCP', clientIP: '127.0.0.9', clientPort: id, dialledIP: '127.43.0.20', dialledPort: 80, role: 'ClusterIP',
    servicePortName: 'shop/web:http', endpoint: '127.42.0.12:8080', reason: { kind: 'scheduler', scheduler: 'rr' }, localPolicy: false });
  for (let id = 1; id <= 450; id++) open(id);
  t.closed({ id: 3, time: 9, bytesIn: 1, bytesOut: 1 });
  t.closed({ id: 449, time: 500, bytesIn: 7, bytesOut: 8 });
  const rows = t.connections.list();
  assert.deepEqual([rows.length, rows[0]!.id, rows.at(-1)!.id], [200, 251, 450]);
  assert.deepEqual(rows.filter((r) => !r.open).map((r) => [r.id, r.bytesOut, r.durationMs]), [[449, 8, 51]]);
  const drained = t.drainConnections();
  assert.deepEqual(drained.map((r) => r.id), Array.from({ length: 200 }, (_, i) => i + 251), 'the newest 200 unsent rows, in order');
  assert.deepEqual(t.drainConnections(), []);
});

test('DNS queries through the proxy are matched to the flow that carried them', () => {
  const t = new TrafficRecorder();
  const flow = (id: number, client: string, time: number) => t.opened({ id, time, protocol: 'UDP', clientIP: client, clientPort: 40000 + id, dialledIP: '127.43.0.10', dialledPort: 53,
    role: 'ClusterIP', servicePortName: 'kube-system/kube-dns:dns', endpoint: '127.0.0.1:5353', reason: { kind: 'scheduler', scheduler: 'random' }, localPolicy: false });
  flow(1, '127.42.0.5', 1000);
  flow(2, '127.42.0.6', 1001);
  assert.equal(t.dnsClient('127.0.0.1:600', 1002), '127.42.0.5:40001');
  assert.equal(t.dnsClient('127.0.0.1:601', 1003), '127.42.0.6:40002');
  assert.equal(t.dnsClient('127.0.0.1:600', 1500), '127.42.0.5:40001', 'the same proxy socket is the same flow');
  assert.equal(t.dnsClient('127.0.0.9:53000', 1600), undefined, 'a direct query keeps its own client');
  flow(3, '127.42.0.7', 1000);
  assert.equal(t.dnsClient('127.0.0.1:602', 5000), undefined, 'a flow older than 2 s matches nothing');
});

test('trim keeps what the map draws and nothing else', () => {
  const pod = trim('pods', { metadata: { name: 'p', namespace: 'n', labels: { app: 'a' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'rs', controller: true }] },
    spec: { nodeName: 'vm', containers: [{ env: [{ name: 'SECRET', value: 'x' }] }] },
    status: { phase: 'Running', podIP: '127.42.0.3', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ restartCount: 2 }, { restartCount: 1 }] } });
  assert.equal(pod.restarts, 3);
  assert.equal(pod.ready, true);
  assert.deepEqual(pod.owner, { kind: 'ReplicaSet', name: 'rs' });
  assert.ok(!JSON.stringify(pod).includes('SECRET'));
});
