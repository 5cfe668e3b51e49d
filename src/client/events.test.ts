import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../api/resources.js';
import type { KubeObject } from '../api/types.js';
import { FakeClock } from '../util/clock.js';
import { EventRecorder } from './events.js';
import { startFakeApiServer } from './testing/fake-apiserver.js';

const events = findResource('', 'v1', 'events')!;

const rs: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { namespace: 'shop', name: 'web-7d9', uid: 'u-1', resourceVersion: '42' },
};

test('repeats bump count and lastTimestamp on one Event; a different message makes a new one', async (t) => {
  const { server, client } = await startFakeApiServer(t);
  const clock = new FakeClock(Date.parse('2026-03-01T10:00:00Z'));
  const logs: string[] = [];
  const rec = new EventRecorder({ client, component: 'replicaset-controller', clock, log: (m) => logs.push(m) });

  rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-7d9-abc');
  clock.step(5000);
  rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-7d9-abc');
  clock.step(5000);
  rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-7d9-abc');
  rec.event(rs, 'Warning', 'FailedCreate', 'quota exceeded');
  await rec.flush();
  assert.deepEqual(logs, []);

  const stored = server.listObjects(events, 'shop');
  assert.equal(stored.length, 2);
  const ok = stored.find((e) => e.reason === 'SuccessfulCreate')!;
  assert.match(ok.metadata.name!, /^web-7d9\.[0-9a-f]+$/);
  assert.equal(ok.metadata.name, `web-7d9.${(BigInt(Date.parse('2026-03-01T10:00:00Z')) * 1_000_000n).toString(16)}`);
  assert.equal(ok.count, 3);
  assert.equal(ok.type, 'Normal');
  assert.equal(ok.firstTimestamp, '2026-03-01T10:00:00Z');
  assert.equal(ok.lastTimestamp, '2026-03-01T10:00:10Z');
  assert.deepEqual(ok.source, { component: 'replicaset-controller' });
  assert.deepEqual(ok.involvedObject, { kind: 'ReplicaSet', namespace: 'shop', name: 'web-7d9', uid: 'u-1', apiVersion: 'apps/v1', resourceVersion: '42' });
  const patches = server.requests.filter((r) => r.method === 'PATCH');
  assert.equal(patches.length, 2);
  assert.deepEqual(patches[1].body, { count: 3, lastTimestamp: '2026-03-01T10:00:10Z', message: 'Created pod: web-7d9-abc' });
  const warn = stored.find((e) => e.reason === 'FailedCreate')!;
  assert.equal(warn.type, 'Warning');
  assert.equal(warn.count, 1);
  assert.notEqual(warn.metadata.name, ok.metadata.name);

  // Deleted meanwhile: the next repeat starts a fresh Event.
  server.remove(events, 'shop', ok.metadata.name!);
  rec.event(rs, 'Normal', 'SuccessfulCreate', 'Created pod: web-7d9-abc');
  await rec.flush();
  const again = server.listObjects(events, 'shop').filter((e) => e.reason === 'SuccessfulCreate');
  assert.equal(again.length, 1);
  assert.equal(again[0].count, 1);

  // Cluster-scoped objects' events go to the default namespace.
  rec.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n' } }, 'Normal', 'NodeReady', 'ready');
  await rec.flush();
  assert.equal(server.listObjects(events, 'default').length, 1);
});

test('a failing API server is logged, never thrown', async (t) => {
  const { server, client } = await startFakeApiServer(t);
  server.failRequest = () => [500, 'InternalError', 'disk full'];
  const logs: string[] = [];
  const rec = new EventRecorder({ client, component: 'c', log: (m) => logs.push(m) });
  rec.event(rs, 'Warning', 'X', 'y');
  await rec.flush();
  assert.equal(logs.length, 1);
  assert.match(logs[0], /disk full/);
});
