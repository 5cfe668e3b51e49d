import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import { serviceInfo } from '../conformance.js';
import { runKernelDatapathConformance } from '../kernel-conformance.js';
import { canRunLab, DatapathLab } from '../kernel/lab.js';
import type { Endpoint, ServicePortInfo } from '../types.js';
import { NftablesDatapath } from './datapath.js';
import { endpointChainNameBase, hashAndTruncate, servicePortChainNameBase } from './rules.js';
import { needsCache } from './statements.js';

runKernelDatapathConformance('nftables', (o) => new NftablesDatapath({ netns: o.netns, clusterCIDR: o.clusterCIDR, serviceCIDRs: [o.serviceCIDR] }), {
  async inspect(lab, spn) {
    const out = await lab.inNode('nft', ['list', 'table', 'ip', 'kube-proxy']);
    const chain = `service-${hashAndTruncate(servicePortChainNameBase(spn, 'tcp'))}`;
    assert.match(out, /map service-ips \{/);
    assert.ok(out.includes(`${lab.vip(10)} . tcp . 80 : goto ${chain}`), out);
    assert.match(out, /numgen random mod 3 vmap \{ 0 : goto endpoint-/);
    assert.match(out, /meta mark set meta mark \| 0x00004000/);
  },
  async assertClean(lab) {
    assert.equal((await lab.inNode('nft', ['list', 'tables'])).trim(), '', 'close() deletes table ip kube-proxy');
  },
});

describe('nftables cold start', { skip: canRunLab() }, () => {
  test('a first sync split into chunks programs every Service; the next sync is one partial transaction', async (t) => {
    const lab = await DatapathLab.create({ backends: 2, tag: 'nfc' });
    const clock = new FakeClock();
    const dp = new NftablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR, serviceCIDRs: [lab.serviceCIDR], coldStartChunk: 2, clock });
    t.after(async () => (await dp.close(), await lab.destroy()));
    const ep = (b: number, port = lab.port): Endpoint => ({ ip: lab.backends[b].ip, port, ready: true, serving: true, terminating: false, nodeName: 'n', isLocal: true });
    const services = (extra: number): Array<[string, ServicePortInfo, Endpoint[]]> =>
      [1, 2, 3, 4, 5].map((i) => [`default/s${i}`, serviceInfo({ clusterIP: lab.vip(i), port: 80 }), [ep(0), ep(1, i === 5 ? extra : lab.port)]]);
    const sync = (svcs: Array<[string, ServicePortInfo, Endpoint[]]>) =>
      dp.sync({ services: new Map(svcs.map(([n, s]) => [n, s])), endpoints: new Map(svcs.map(([n, , e]) => [n, e])), nodeIPs: [lab.nodeIP] });
    await sync(services(lab.port));
    const out = await lab.inNode('nft', ['list', 'table', 'ip', 'kube-proxy']);
    assert.equal(out.match(/numgen random mod 2 vmap/g)?.length, 5, out);
    for (const i of [1, 2, 3, 4, 5]) assert.ok(out.includes(`${lab.vip(i)} . tcp . 80 : goto service-`), out);
    // the service reached through the chunked rules answers
    const seen = new Set((await lab.client.whoami(lab.vip(3), 80, 20)).map((h) => h.id));
    assert.deepEqual([...seen].sort(), lab.backends.map((b) => b.id).sort());
    const gone = `endpoint-${hashAndTruncate(endpointChainNameBase('default/s5', 'tcp', lab.backends[1].ip, lab.port))}`;
    await sync(services(8082));
    assert.equal(dp.partialSyncs, 1);
    assert.equal(dp.lastTransaction.match(/numgen/g)?.length, 1, dp.lastTransaction);
    // one endpoint change: nothing in it makes nft list the table first (no add rule / add element / delete)
    assert.deepEqual(dp.lastTransaction.split('\n').filter(needsCache), [], dp.lastTransaction);
    assert.match(await lab.inNode('nft', ['list', 'chain', 'ip', 'kube-proxy', gone]), /chain \S+ \{\s*\}/, 'the gone endpoint\'s chain is flushed');
    // a second on, the next sync deletes it (kube-proxy's staleChains)
    clock.step(1000);
    await sync(services(8082));
    assert.equal(dp.lastDeferred, `delete chain ip kube-proxy ${gone}\n`);
    assert.ok(!(await lab.inNode('nft', ['list', 'table', 'ip', 'kube-proxy'])).includes(gone));
    // steady churn, a change every 0.9 s: no pause for that housekeeping, so a sync takes the deletes along
    // once the oldest stale chain has waited 10 s
    const deletedIn: number[] = [];
    for (let k = 0; k < 13; k++) {
      clock.step(900);
      await sync(services(9000 + k));
      if (dp.lastTransaction.includes('delete chain')) deletedIn.push(k);
    }
    assert.deepEqual(deletedIn, [12], 'the first sync >= 10 s after the first churn sync made a chain stale');
    assert.equal(dp.lastDeferred, `delete chain ip kube-proxy ${gone}\n`, 'no housekeeping between syncs meanwhile');
  });
});
