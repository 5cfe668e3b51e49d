/**
 * The datapath conformance suite for kernel datapaths (iptables, nftables): the same behaviours as
 * conformance.ts checks for the userspace datapath, asserted with real packets between network
 * namespaces (see kernel/lab.ts), since the rules act on forwarded traffic, not on sockets of this process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { serviceInfo } from './conformance.js';
import { canRunLab, DatapathLab, type LabBackend } from './kernel/lab.js';
import { tally } from './kernel/tally.js';
import type { Datapath, Endpoint, ServicePortInfo, ServicePortName } from './types.js';

export interface KernelDatapathFactoryOptions {
  netns: string;
  clusterCIDR: string;
  serviceCIDR: string;
}

export interface KernelConformanceOptions {
  /** Checks the rules as `kubectl debug node` would see them (iptables-save / nft list). */
  inspect(lab: DatapathLab, spn: ServicePortName): Promise<void>;
  /** The datapath after close() left nothing in the node netns. */
  assertClean(lab: DatapathLab): Promise<void>;
}

const SPN = 'default/echo:http';

export function runKernelDatapathConformance(name: string, factory: (o: KernelDatapathFactoryOptions) => Datapath, options: KernelConformanceOptions): void {
  const why = canRunLab();
  describe(`kernel datapath conformance: ${name}`, { skip: why ? `${why}: kernel datapath tests skipped` : false }, () => {
    let lab: DatapathLab;
    before(async () => {
      lab = await DatapathLab.create({ backends: 3, tag: name.slice(0, 3) });
    });
    after(async () => {
      await lab?.destroy();
    });

    async function fixture(t: TestContext) {
      const dp = factory({ netns: lab.node, clusterCIDR: lab.clusterCIDR, serviceCIDR: lab.serviceCIDR });
      t.after(async () => {
        await dp.close();
        await options.assertClean(lab);
      });
      const sync = async (services: Array<[ServicePortName, ServicePortInfo, Endpoint[]]>) => {
        const r = await dp.sync({
          services: new Map(services.map(([n, s]) => [n, s])),
          endpoints: new Map(services.map(([n, , e]) => [n, e])),
          nodeIPs: [lab.nodeIP],
        });
        assert.deepEqual(r.bindErrors, []);
      };
      return { dp, sync };
    }
    const ep = (b: LabBackend, over: Partial<Endpoint> = {}): Endpoint => ({
      ip: b.ip, port: lab.port, ready: true, serving: true, terminating: false, nodeName: 'node-a', isLocal: true, ...over,
    });
    const eps = () => lab.backends.map((b) => ep(b));

    test('a ClusterIP spreads over every endpoint; off-cluster clients are masqueraded, pods keep their IP', async (t) => {
      const f = await fixture(t);
      await f.sync([[SPN, serviceInfo({ clusterIP: lab.vip(10), port: 80 }), eps()]]);
      const got = await lab.client.whoami(lab.vip(10), 80, 150);
      const counts = tally(got.map((g) => g.id));
      assert.equal(counts.size, 3, `endpoints seen: ${[...counts]}`);
      for (const [id, c] of counts) assert.ok(c >= 20 && c <= 85, `${id} got ${c}/150`);
      assert.deepEqual(new Set(got.map((g) => g.source)), new Set([`10.${lab.octet}.1.1`]), 'off-cluster client masqueraded to the node');
      const fromPod = await lab.podClient.whoami(lab.vip(10), 80, 10);
      assert.deepEqual(new Set(fromPod.map((g) => g.source)), new Set([lab.podClientIP]), 'pod traffic keeps its source');
      await options.inspect(lab, SPN);
    });

    test('NodePort, externalIPs and LoadBalancer IPs carry traffic', async (t) => {
      const f = await fixture(t);
      const svc = serviceInfo({ clusterIP: lab.vip(11), port: 80, nodePort: 30080, externalIPs: [lab.externalIP(1)], loadBalancerIPs: [lab.lbIP(1)] });
      await f.sync([[SPN, svc, eps()]]);
      for (const [host, port] of [[lab.nodeIP, 30080], [lab.externalIP(1), 80], [lab.lbIP(1), 80]] as const) {
        const got = await lab.client.whoami(host, port, 30);
        assert.ok(tally(got.map((g) => g.id)).size >= 2, `${host}:${port} spreads`);
        assert.ok(got.every((g) => g.source === `10.${lab.octet}.1.1`), `${host}:${port}: external traffic masqueraded (ETP Cluster)`);
      }
    });

    test('a Service without endpoints refuses at once on every address (REJECT)', async (t) => {
      const f = await fixture(t);
      const notReady = ep(lab.backends[0], { ready: false, serving: false });
      await f.sync([[SPN, serviceInfo({ clusterIP: lab.vip(12), port: 80, nodePort: 30081, externalIPs: [lab.externalIP(2)] }), [notReady]]]);
      for (const [host, port] of [[lab.vip(12), 80], [lab.nodeIP, 30081], [lab.externalIP(2), 80]] as const) {
        const r = await lab.client.connect(host, port);
        assert.equal(r.error, 'ECONNREFUSED', `${host}:${port}`);
        assert.ok(r.ms < 1000, `refused after ${r.ms}ms`);
      }
      await f.sync([[SPN, serviceInfo({ clusterIP: lab.vip(12), port: 80, nodePort: 30081, externalIPs: [lab.externalIP(2)] }), eps()]]);
      assert.equal((await lab.client.whoami(lab.vip(12), 80)).length, 1, 'endpoints appearing take effect');
    });

    test('externalTrafficPolicy Local: local endpoints only, client source kept; none local → DROP', async (t) => {
      const f = await fixture(t);
      const [local, remote] = lab.backends;
      const svc = serviceInfo({ clusterIP: lab.vip(13), port: 80, nodePort: 30082, loadBalancerIPs: [lab.lbIP(3)], externalTrafficPolicy: 'Local' });
      await f.sync([[SPN, svc, [ep(local), ep(remote, { isLocal: false, nodeName: 'node-b' })]]]);
      for (const [host, port] of [[lab.nodeIP, 30082], [lab.lbIP(3), 80]] as const) {
        const got = await lab.client.whoami(host, port, 20);
        assert.deepEqual(new Set(got.map((g) => g.id)), new Set([local.id]), `${host}:${port} only the local endpoint`);
        assert.deepEqual(new Set(got.map((g) => g.source)), new Set([lab.clientIP()]), 'client source IP preserved');
      }
      assert.equal(tally((await lab.client.whoami(lab.vip(13), 80, 40)).map((g) => g.id)).size, 2, 'ClusterIP still uses every endpoint');
      await f.sync([[SPN, svc, [ep(remote, { isLocal: false, nodeName: 'node-b' })]]]);
      const dropped = await lab.client.connect(lab.nodeIP, 30082, 800);
      assert.equal(dropped.error, 'TIMEOUT', `no local endpoint: dropped, not ${dropped.error ?? dropped.line}`);
      assert.equal((await lab.client.whoami(lab.vip(13), 80))[0].id, remote.id);
    });

    test('sessionAffinity ClientIP pins each client (-m recent / affinity sets)', async (t) => {
      const f = await fixture(t);
      const svc = serviceInfo({ clusterIP: lab.vip(14), port: 80, sessionAffinity: { type: 'ClientIP', timeoutSeconds: 60 } });
      await f.sync([[SPN, svc, eps()]]);
      const pinned = new Set<string>();
      for (const k of [0, 1, 2]) {
        const ids = new Set((await lab.client.whoami(lab.vip(14), 80, 15, lab.clientIP(k))).map((g) => g.id));
        assert.equal(ids.size, 1, `client ${lab.clientIP(k)} saw ${[...ids]}`);
        pinned.add([...ids][0]);
      }
      // a sync that changes another Service leaves the pins alone (partial sync)
      await f.sync([[SPN, svc, eps()], ['default/other', serviceInfo({ clusterIP: lab.vip(15), port: 80 }), eps()]]);
      const again = new Set((await lab.client.whoami(lab.vip(14), 80, 5, lab.clientIP(0))).map((g) => g.id));
      assert.equal(again.size, 1);
    });

    test('removing an endpoint: new connections avoid it, established ones carry on', async (t) => {
      const f = await fixture(t);
      const svc = serviceInfo({ clusterIP: lab.vip(16), port: 80 });
      await f.sync([[SPN, svc, eps()]]);
      let held: string | undefined;
      for (let i = 0; i < 30 && !held; i++) {
        const r = await lab.client.call<{ line?: string }>('open', { name: `c${i}`, host: lab.vip(16), port: 80 });
        if (r.line?.startsWith(lab.backends[0].id + ' ')) held = `c${i}`;
        else await lab.client.call('close', { name: `c${i}` });
      }
      assert.ok(held, 'a connection reached pod-1');
      await f.sync([[SPN, svc, eps().slice(1)]]);
      const got = await lab.client.whoami(lab.vip(16), 80, 30);
      assert.ok(got.every((g) => g.id !== lab.backends[0].id), 'removed endpoint gets no new connections');
      assert.equal((await lab.client.call<{ text: string }>('echo', { name: held, text: 'still-here' })).text, 'still-here');
      await lab.client.call('close', { name: held });
    });

    test('UDP round-trips; replies come from the service address; endpoint changes apply', async (t) => {
      const f = await fixture(t);
      const svc = serviceInfo({ clusterIP: lab.vip(17), port: 53, protocol: 'UDP' });
      await f.sync([['kube-system/dns:dns', svc, [ep(lab.backends[1])]]]);
      const r = await lab.client.udp(lab.vip(17), 53, 'one');
      assert.equal(r.reply, `${lab.backends[1].id}:10.${lab.octet}.1.1:one`);
      assert.equal(r.from, `${lab.vip(17)}:53`);
      await f.sync([['kube-system/dns:dns', svc, [ep(lab.backends[2])]]]);
      assert.match((await lab.client.udp(lab.vip(17), 53, 'two')).reply ?? '', new RegExp(`^${lab.backends[2].id}:`));
    });
  });
}
