// The connection observer of the userspace datapath and the /metrics text of the metered datapath.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { addressBlock, startBackend, udpExchange, whoami } from './conformance-backends.js';
import { freePort } from '../util/testing.js';
import { endpointOf, serviceInfo } from './conformance.js';
import { MeteredDatapath, renderMetrics } from './metrics.js';
import type { ConnectionClosed, ConnectionOpened } from './observe.js';
import { UserspaceDatapath } from './userspace/index.js';

test('the userspace datapath reports each connection: client, dialled address, endpoint, reason, bytes', async (t) => {
  const addr = addressBlock();
  const a = await startBackend(addr(11), 'pod-a');
  const u = await startBackend(addr(12), 'pod-u', 'UDP');
  const dp = new MeteredDatapath(new UserspaceDatapath({ scheduler: 'rr', clock: new FakeClock() }));
  t.after(async () => {
    await dp.close();
    await a.close();
    await u.close();
  });
  const vip = addr(1);
  const port = await freePort(vip);
  const uport = await freePort(vip, 'UDP');
  const affinity = { type: 'ClientIP' as const, timeoutSeconds: 60 };
  await dp.sync({
    services: new Map([
      ['default/web:http', serviceInfo({ clusterIP: vip, port, sessionAffinity: affinity })],
      ['default/dns:dns', serviceInfo({ clusterIP: vip, port: uport, protocol: 'UDP' })],
    ]),
    endpoints: new Map([['default/web:http', [endpointOf(a)]], ['default/dns:dns', [endpointOf(u)]]]),
    nodeIPs: [],
  });
  const opened: ConnectionOpened[] = [];
  const closed: ConnectionClosed[] = [];
  assert.equal(await whoami(vip, port), 'pod-a'); // not observed: nothing reported
  dp.setObserver({ opened: (e) => opened.push(e), closed: (e) => closed.push(e) });
  assert.equal(await whoami(vip, port, addr(50)), 'pod-a');
  assert.equal(await whoami(vip, port, addr(50)), 'pod-a');
  await udpExchange(vip, uport, 'hello');
  const deadline = Date.now() + 2000;
  const tcp = opened.filter((e) => e.protocol === 'TCP');
  while (!tcp.every((o) => closed.some((c) => c.id === o.id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(tcp.length, 2);
  assert.deepEqual(
    { client: tcp[0]!.clientIP, dialled: `${tcp[0]!.dialledIP}:${tcp[0]!.dialledPort}`, role: tcp[0]!.role, spn: tcp[0]!.servicePortName, ep: tcp[0]!.endpoint, local: tcp[0]!.localPolicy },
    { client: addr(50), dialled: `${vip}:${port}`, role: 'ClusterIP', spn: 'default/web:http', ep: `${a.ip}:${a.port}`, local: false },
  );
  assert.deepEqual(tcp[0]!.reason, { kind: 'scheduler', scheduler: 'rr' });
  assert.deepEqual(tcp[1]!.reason, { kind: 'affinity' }, 'the second connection of the client is an affinity hit');
  const c = closed.find((x) => x.id === tcp[0]!.id);
  assert.ok(c && c.bytesOut > 0, `bytes of the closed connection: ${JSON.stringify(c)}`);
  const udp = opened.find((e) => e.protocol === 'UDP');
  assert.equal(udp?.servicePortName, 'default/dns:dns');
  const rules = dp.rules();
  assert.equal(rules.mode, 'userspace');
  assert.equal(rules.scheduler, 'rr');
  assert.deepEqual(rules.listeners.map((l) => `${l.protocol}/${l.address}:${l.port} ${l.role} ${l.servicePortName}`).sort(),
    [`TCP/${vip}:${port} ClusterIP default/web:http`, `UDP/${vip}:${uport} ClusterIP default/dns:dns`].sort());
  dp.setObserver(undefined);
  const before = opened.length;
  await whoami(vip, port);
  assert.equal(opened.length, before, 'no reports after the observer is removed');

  const text = renderMetrics(dp.metrics, dp.stats());
  assert.match(text, /^# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram$/m);
  assert.match(text, /^kubeproxy_sync_proxy_rules_duration_seconds_count 1$/m);
  assert.match(text, /^kubeproxy_sync_proxy_rules_duration_seconds_bucket\{le="\+Inf"\} 1$/m);
  assert.match(text, /^kubeproxy_sync_proxy_rules_last_timestamp_seconds [1-9]\d*(\.\d+)?$/m);
  assert.ok(text.includes(`skiff_proxy_endpoint_connections_total{service_port_name="default/web:http",protocol="TCP",endpoint="${a.ip}:${a.port}"} 4`), text);
});
