import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { FakeClock, type Clock } from '../util/clock.js';
import {
  addressBlock, canBind, converse, expectRejected, startBackend, udpExchange, whoami, type Backend,
} from './conformance-backends.js';
import { freePort, freePorts } from '../util/testing.js';
import type { SchedulerName } from './schedulers/index.js';
import type { Datapath, Endpoint, Protocol, ServicePortInfo, ServicePortName } from './types.js';

export interface DatapathFactoryOptions {
  scheduler: SchedulerName;
  clock: Clock;
}

export interface ConformanceOptions {
  /** Schedulers besides `random` that the datapath implements (`rr` gets the exactly-even test). */
  schedulers?: SchedulerName[];
  /** The datapath times session affinity with the injected clock (so expiry can be tested). */
  usesInjectedClock?: boolean;
}

type Factory = (opts: DatapathFactoryOptions) => Datapath | Promise<Datapath>;

export function serviceInfo(over: Partial<ServicePortInfo> & { clusterIP: string; port: number }): ServicePortInfo {
  return {
    protocol: 'TCP', nodePort: 0, externalIPs: [], loadBalancerIPs: [],
    sessionAffinity: { type: 'None', timeoutSeconds: 10800 }, externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster', healthCheckNodePort: 0, ...over,
  };
}

export function endpointOf(b: Backend, over: Partial<Endpoint> = {}): Endpoint {
  return { ip: b.ip, port: b.port, ready: true, serving: true, terminating: false, nodeName: 'node-a', isLocal: true, ...over };
}

const SPN: ServicePortName = 'default/echo';

/** Every datapath must pass this suite; it uses real sockets on 127.77.0.0/16 and ephemeral ports. */
export function runDatapathConformance(name: string, factory: Factory, options: ConformanceOptions = {}): void {
  const supports = (s: SchedulerName) => s === 'random' || (options.schedulers ?? []).includes(s);

  async function fixture(t: TestContext, opts: Partial<DatapathFactoryOptions> = {}) {
    const addr = addressBlock();
    const backends: Backend[] = [];
    const dp = await factory({ scheduler: opts.scheduler ?? 'random', clock: opts.clock ?? new FakeClock() });
    t.after(async () => {
      await dp.close();
      await Promise.all(backends.map((b) => b.close()));
    });
    const backend = async (host: number, protocol: Protocol = 'TCP') => {
      const b = await startBackend(addr(host), `pod-${host}`, protocol);
      backends.push(b);
      return b;
    };
    const sync = (services: Array<[ServicePortName, ServicePortInfo, Endpoint[]]>, nodeIPs: string[] = []) =>
      dp.sync({
        services: new Map(services.map(([n, s]) => [n, s])),
        endpoints: new Map(services.map(([n, , e]) => [n, e])),
        nodeIPs,
      });
    const vip = addr(1);
    return { addr, dp, backend, sync, vip, port: await freePort(vip) };
  }

  const tally = (ids: string[]) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());

  describe(`datapath conformance: ${name}`, () => {
    test('a ClusterIP reaches every endpoint (random, within tolerance)', async (t) => {
      const f = await fixture(t);
      const bs = [await f.backend(11), await f.backend(12), await f.backend(13)];
      const r = await f.sync([[SPN, serviceInfo({ clusterIP: f.vip, port: f.port }), bs.map((b) => endpointOf(b))]]);
      assert.deepEqual(r.bindErrors, []);
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) ids.push(await whoami(f.vip, f.port));
      const counts = tally(ids);
      assert.equal(counts.size, 3);
      for (const [id, c] of counts) assert.ok(c >= 60 && c <= 140, `${id} got ${c}/300`);
      const stats = f.dp.stats().filter((s) => s.servicePortName === SPN);
      assert.equal(stats.reduce((n, s) => n + s.totalConnections, 0), 300);
      assert.ok(stats.every((s) => s.bytesOut > 0), 'bytes from endpoints are counted');
    });

    test('rr spreads 300 connections exactly evenly', { skip: !supports('rr') }, async (t) => {
      const f = await fixture(t, { scheduler: 'rr' });
      const bs = [await f.backend(11), await f.backend(12), await f.backend(13)];
      await f.sync([[SPN, serviceInfo({ clusterIP: f.vip, port: f.port }), bs.map((b) => endpointOf(b))]]);
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) ids.push(await whoami(f.vip, f.port));
      assert.deepEqual([...tally(ids).values()], [100, 100, 100]);
    });

    test('sessionAffinity ClientIP pins each client to one endpoint', async (t) => {
      const clock = new FakeClock();
      const scheduler = supports('rr') ? 'rr' : 'random';
      const f = await fixture(t, { clock, scheduler });
      const bs = [await f.backend(11), await f.backend(12), await f.backend(13)];
      const svc = serviceInfo({ clusterIP: f.vip, port: f.port, sessionAffinity: { type: 'ClientIP', timeoutSeconds: 60 } });
      await f.sync([[SPN, svc, bs.map((b) => endpointOf(b))]]);
      for (const client of [f.addr(201), f.addr(202)]) {
        const ids = new Set<string>();
        for (let i = 0; i < 20; i++) ids.add(await whoami(f.vip, f.port, client));
        assert.equal(ids.size, 1, `client ${client} saw ${[...ids]}`);
      }
      if (options.usesInjectedClock && scheduler === 'rr') {
        const before = await whoami(f.vip, f.port, f.addr(203));
        clock.step(61_000);
        assert.notEqual(await whoami(f.vip, f.port, f.addr(203)), before, 'the pin expires after timeoutSeconds');
      }
    });

    test('a Service without usable endpoints refuses at once', async (t) => {
      const f = await fixture(t);
      const notReady = endpointOf(await f.backend(11), { ready: false, serving: false });
      const r = await f.sync([[SPN, serviceInfo({ clusterIP: f.vip, port: f.port }), [notReady]]]);
      assert.deepEqual(r.bindErrors, []);
      const ms = await expectRejected(f.vip, f.port);
      assert.ok(ms < 1000, `rejected after ${ms}ms`);
    });

    test('serving-terminating endpoints carry traffic when none is ready', async (t) => {
      const f = await fixture(t);
      const b = await f.backend(11);
      await f.sync([[SPN, serviceInfo({ clusterIP: f.vip, port: f.port }), [endpointOf(b, { ready: false, terminating: true })]]]);
      assert.equal(await whoami(f.vip, f.port), b.id);
    });

    test('removing an endpoint keeps its established connections; new ones avoid it', async (t) => {
      const f = await fixture(t, { scheduler: supports('rr') ? 'rr' : 'random' });
      const [a, b] = [await f.backend(11), await f.backend(12)];
      const svc = serviceInfo({ clusterIP: f.vip, port: f.port });
      await f.sync([[SPN, svc, [endpointOf(a), endpointOf(b)]]]);
      const open = [];
      for (let i = 0; i < 6; i++) open.push(await converse(f.vip, f.port));
      const onA = open.find((c) => c.id === a.id);
      assert.ok(onA, 'some connection reached pod-11');
      await f.sync([[SPN, svc, [endpointOf(b)]]]);
      assert.equal(await onA.echo('still-here'), 'still-here');
      for (let i = 0; i < 10; i++) assert.equal(await whoami(f.vip, f.port), b.id);
      for (const c of open) c.socket.destroy();
    });

    test('a sync that adds a Service leaves existing listeners and connections alone', async (t) => {
      const f = await fixture(t);
      const [a, b] = [await f.backend(11), await f.backend(12)];
      const one: [ServicePortName, ServicePortInfo, Endpoint[]] = [SPN, serviceInfo({ clusterIP: f.vip, port: f.port }), [endpointOf(a)]];
      await f.sync([one]);
      const c = await converse(f.vip, f.port);
      const vip2 = f.addr(2);
      const r = await f.sync([one, ['default/other', serviceInfo({ clusterIP: vip2, port: f.port }), [endpointOf(b)]]]);
      assert.deepEqual(r.bindErrors, []);
      assert.equal(await c.echo('x'), 'x');
      assert.equal(await whoami(vip2, f.port), b.id);
      c.socket.destroy();
    });

    test('removing a Service closes its listeners', async (t) => {
      const f = await fixture(t);
      const b = await f.backend(11);
      await f.sync([[SPN, serviceInfo({ clusterIP: f.vip, port: f.port, externalIPs: [f.addr(150)] }), [endpointOf(b)]]]);
      assert.equal(await whoami(f.addr(150), f.port), b.id);
      const r = await f.sync([]);
      assert.deepEqual(r.bindErrors, []);
      assert.ok(await canBind(f.vip, f.port, 'TCP'), 'ClusterIP port released');
      assert.ok(await canBind(f.addr(150), f.port, 'TCP'), 'external IP port released');
    });

    test('an endpoint that refuses is skipped for another', async (t) => {
      const f = await fixture(t);
      const live = await f.backend(11);
      const dead = await f.backend(12);
      await dead.close();
      await f.sync([[SPN, serviceInfo({ clusterIP: f.vip, port: f.port }), [endpointOf(live), endpointOf(dead)]]]);
      for (let i = 0; i < 20; i++) assert.equal(await whoami(f.vip, f.port), live.id);
    });

    test('a NodePort answers on every node IP', async (t) => {
      const f = await fixture(t);
      const b = await f.backend(11);
      const nodeIPs = [f.addr(101), f.addr(102)];
      const nodePort = await freePort(nodeIPs[0]);
      await f.sync([[SPN, serviceInfo({ clusterIP: f.vip, port: f.port, nodePort }), [endpointOf(b)]]], nodeIPs);
      for (const ip of nodeIPs) assert.equal(await whoami(ip, nodePort), b.id);
    });

    test('externalIPs and LoadBalancer IPs carry traffic', async (t) => {
      const f = await fixture(t);
      const b = await f.backend(11);
      const svc = serviceInfo({ clusterIP: f.vip, port: f.port, externalIPs: [f.addr(150)], loadBalancerIPs: [f.addr(160)] });
      await f.sync([[SPN, svc, [endpointOf(b)]]]);
      assert.equal(await whoami(f.addr(150), f.port), b.id);
      assert.equal(await whoami(f.addr(160), f.port), b.id);
    });

    test('externalTrafficPolicy Local: node traffic only to local endpoints, with a health check', async (t) => {
      const f = await fixture(t);
      const [local, remote] = [await f.backend(11), await f.backend(12)];
      const nodeIP = f.addr(101);
      const [nodePort, healthCheckNodePort] = await freePorts(nodeIP, 2);
      const svc = serviceInfo({ clusterIP: f.vip, port: f.port, nodePort, healthCheckNodePort, externalTrafficPolicy: 'Local' });
      const eps = [endpointOf(local), endpointOf(remote, { isLocal: false, nodeName: 'node-b' })];
      await f.sync([[SPN, svc, eps]], [nodeIP]);
      for (let i = 0; i < 20; i++) assert.equal(await whoami(nodeIP, nodePort), local.id);
      const viaCluster = new Set<string>();
      for (let i = 0; i < 40; i++) viaCluster.add(await whoami(f.vip, f.port));
      assert.equal(viaCluster.size, 2, 'ClusterIP traffic still uses every endpoint');
      const ok = await httpGet(nodeIP, healthCheckNodePort);
      assert.equal(ok.status, 200);
      assert.equal(ok.headers['x-load-balancing-endpoint-weight'], '1');
      assert.deepEqual(JSON.parse(ok.body), { service: { namespace: 'default', name: 'echo' }, localEndpoints: 1, serviceProxyHealthy: true });
      await f.sync([[SPN, svc, [eps[1]]]], [nodeIP]);
      const down = await httpGet(nodeIP, healthCheckNodePort);
      assert.equal(down.status, 503);
      assert.equal(JSON.parse(down.body).localEndpoints, 0);
      const ms = await expectRejected(nodeIP, nodePort);
      assert.ok(ms < 1000);
    });

    test('externalTrafficPolicy Local per node IP: each node IP reaches only its own node\'s endpoints', async (t) => {
      const f = await fixture(t);
      const [onA, onB] = [await f.backend(11), await f.backend(12)];
      const [ipA, ipB] = [f.addr(101), f.addr(102)];
      const [nodePort, healthCheckNodePort] = await freePorts(ipA, 2);
      const svc = serviceInfo({ clusterIP: f.vip, port: f.port, nodePort, healthCheckNodePort, externalTrafficPolicy: 'Local' });
      const eps = [endpointOf(onA, { nodeName: 'node-a' }), endpointOf(onB, { nodeName: 'node-b' })];
      const nodeNames = new Map([[ipA, 'node-a'], [ipB, 'node-b']]);
      await f.dp.sync({ services: new Map([[SPN, svc]]), endpoints: new Map([[SPN, eps]]), nodeIPs: [ipA, ipB], nodeNames });
      for (let i = 0; i < 10; i++) {
        assert.equal(await whoami(ipA, nodePort), onA.id);
        assert.equal(await whoami(ipB, nodePort), onB.id);
      }
      assert.equal(JSON.parse((await httpGet(ipB, healthCheckNodePort)).body).localEndpoints, 1);
      await f.dp.sync({ services: new Map([[SPN, svc]]), endpoints: new Map([[SPN, [eps[0]]]]), nodeIPs: [ipA, ipB], nodeNames });
      assert.equal((await httpGet(ipB, healthCheckNodePort)).status, 503);
      assert.equal((await httpGet(ipA, healthCheckNodePort)).status, 200);
      assert.ok((await expectRejected(ipB, nodePort)) < 1000, 'no endpoint on node-b: refused');
      assert.equal(await whoami(ipA, nodePort), onA.id);
    });

    test('internalTrafficPolicy Local: ClusterIP traffic only to local endpoints', async (t) => {
      const f = await fixture(t);
      const [local, remote] = [await f.backend(11), await f.backend(12)];
      const svc = serviceInfo({ clusterIP: f.vip, port: f.port, internalTrafficPolicy: 'Local' });
      await f.sync([[SPN, svc, [endpointOf(local), endpointOf(remote, { isLocal: false })]]]);
      for (let i = 0; i < 20; i++) assert.equal(await whoami(f.vip, f.port), local.id);
    });

    test('UDP round-trips, replies come from the service address', async (t) => {
      const f = await fixture(t);
      const b = await f.backend(11, 'UDP');
      const port = await freePort(f.vip, 'UDP');
      await f.sync([['kube-system/dns:dns', serviceInfo({ clusterIP: f.vip, port, protocol: 'UDP' }), [endpointOf(b)]]]);
      for (const payload of ['one', 'two']) {
        const { reply, from } = await udpExchange(f.vip, port, payload);
        assert.equal(reply, `${b.id}:${payload}`);
        assert.deepEqual([from.address, from.port], [f.vip, port]);
      }
    });

    test('a taken port is reported in SyncResult; the rest still works', async (t) => {
      const f = await fixture(t);
      const b = await f.backend(11);
      const squatter = net.createServer();
      await new Promise<void>((r) => squatter.listen(0, f.addr(150), r));
      t.after(() => new Promise<void>((r) => squatter.close(() => r())));
      const taken = (squatter.address() as net.AddressInfo).port;
      const svc = serviceInfo({ clusterIP: f.vip, port: taken, externalIPs: [f.addr(150)] });
      const r = await f.sync([[SPN, svc, [endpointOf(b)]]]);
      assert.equal(r.bindErrors.length, 1);
      assert.equal(r.bindErrors[0].address, f.addr(150));
      assert.equal(r.bindErrors[0].port, taken);
      assert.equal(r.bindErrors[0].code, 'EADDRINUSE');
      assert.equal(r.bindErrors[0].servicePortName, SPN);
      assert.equal(await whoami(f.vip, taken), b.id);
    });

    test('close() releases every port', async (t) => {
      const f = await fixture(t);
      const [b, u] = [await f.backend(11), await f.backend(12, 'UDP')];
      const nodeIP = f.addr(101);
      const [[nodePort, hc], udpPort] = [await freePorts(nodeIP, 2), await freePort(f.vip, 'UDP')];
      const tcp = serviceInfo({ clusterIP: f.vip, port: f.port, nodePort, healthCheckNodePort: hc, externalTrafficPolicy: 'Local', loadBalancerIPs: [f.addr(160)] });
      await f.sync([[SPN, tcp, [endpointOf(b)]], ['default/udp', serviceInfo({ clusterIP: f.vip, port: udpPort, protocol: 'UDP' }), [endpointOf(u)]]], [nodeIP]);
      const held = await converse(f.vip, f.port);
      await udpExchange(f.vip, udpPort, 'x');
      await f.dp.close();
      const bound: Array<[string, number, Protocol]> = [[f.vip, f.port, 'TCP'], [nodeIP, nodePort, 'TCP'], [nodeIP, hc, 'TCP'], [f.addr(160), f.port, 'TCP'], [f.vip, udpPort, 'UDP']];
      for (const [ip, port, proto] of bound) assert.ok(await canBind(ip, port, proto), `${proto} ${ip}:${port} is free`);
      assert.ok(held.socket.destroyed || (await new Promise((r) => held.socket.once('close', () => r(true)))));
    });
  });
}

function httpGet(host: string, port: number): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host, port, path: '/healthz', agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}
