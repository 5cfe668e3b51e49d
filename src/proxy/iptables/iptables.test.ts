import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { serviceInfo } from '../conformance.js';
import { runKernelDatapathConformance } from '../kernel-conformance.js';
import { canRunLab, DatapathLab } from '../kernel/lab.js';
import type { Endpoint, ServicePortInfo } from '../types.js';
import { IptablesDatapath } from './datapath.js';
import { servicePortChainName } from './rules.js';

runKernelDatapathConformance('iptables', (o) => new IptablesDatapath({ netns: o.netns, clusterCIDR: o.clusterCIDR }), {
  async inspect(lab, spn) {
    const nat = await lab.inNode('iptables-save', ['-t', 'nat']);
    const svc = servicePortChainName('KUBE-SVC-', spn, 'tcp');
    assert.match(nat, /-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES/);
    assert.match(nat, new RegExp(`-A KUBE-SERVICES -d ${lab.vip(10)}/32 -p tcp -m comment --comment "${spn} cluster IP" -m tcp --dport 80 -j ${svc}`));
    // what seed 002 prints: iptables-save shows kube-proxy's 0.3333333333 as the kernel stores it
    assert.match(nat, new RegExp(`-A ${svc} -m comment --comment "${spn} -> ${lab.backends[0].ip}:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-`));
    assert.match(nat, /-A KUBE-POSTROUTING -m mark ! --mark 0x4000\/0x4000 -j RETURN/);
  },
  async assertClean(lab) {
    const all = (await lab.inNode('iptables-save', [])).split('\n').filter((l) => l.includes('KUBE-'));
    assert.deepEqual(all, [], 'close() leaves no kube-proxy rules or chains');
  },
});

describe('iptables partial syncs', { skip: canRunLab() }, () => {
  test('only the changed Service\'s chains are rewritten; a removed Service\'s chains are deleted', async (t) => {
    const lab = await DatapathLab.create({ backends: 1, tag: 'ipp' });
    const dp = new IptablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR });
    t.after(async () => (await dp.close(), await lab.destroy()));
    const ep = (port: number): Endpoint => ({ ip: lab.backends[0].ip, port, ready: true, serving: true, terminating: false, nodeName: 'n', isLocal: true });
    const a = serviceInfo({ clusterIP: lab.vip(1), port: 80 });
    const b = serviceInfo({ clusterIP: lab.vip(2), port: 80 });
    const sync = (svcs: Array<[string, ServicePortInfo, Endpoint[]]>) =>
      dp.sync({ services: new Map(svcs.map(([n, s]) => [n, s])), endpoints: new Map(svcs.map(([n, , e]) => [n, e])), nodeIPs: [] });
    const [chainA, chainB] = ['default/a', 'default/b'].map((s) => servicePortChainName('KUBE-SVC-', s, 'tcp'));
    await sync([['default/a', a, [ep(8080)]], ['default/b', b, [ep(8080)]]]);
    assert.equal(dp.fullSyncs, 1);
    await sync([['default/a', a, [ep(8080)]], ['default/b', b, [ep(8080), ep(8081)]]]);
    assert.equal(dp.partialSyncs, 1);
    assert.ok(dp.lastRestore.includes(`:${chainB} - [0:0]`) && !dp.lastRestore.includes(`:${chainA} - [0:0]`), dp.lastRestore);
    assert.match(await lab.inNode('iptables-save', ['-t', 'nat']), new RegExp(`-A ${chainA} `), 'the untouched chain is still there');
    await sync([['default/a', a, [ep(8080)]]]);
    assert.ok(dp.lastRestore.includes(`-X ${chainB}`));
    assert.doesNotMatch(await lab.inNode('iptables-save', ['-t', 'nat']), new RegExp(chainB));
  });
});

describe('iptables restore input', { skip: canRunLab() }, () => {
  const ep = (ip: string, port: number): Endpoint => ({ ip, port, ready: true, serving: true, terminating: false, nodeName: 'n', isLocal: true });
  const state = (svcs: Array<[string, ServicePortInfo, Endpoint[]]>) =>
    ({ services: new Map(svcs.map(([n, s]) => [n, s])), endpoints: new Map(svcs.map(([n, , e]) => [n, e])), nodeIPs: [] });

  test('an endpoint change leaves KUBE-SERVICES out of the restore, a new Service rewrites it whole', async (t) => {
    const lab = await DatapathLab.create({ backends: 1, tag: 'ipr' });
    const dp = new IptablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR });
    t.after(async () => (await dp.close(), await lab.destroy()));
    const b = lab.backends[0].ip;
    const a = serviceInfo({ clusterIP: lab.vip(1), port: 80, nodePort: 30080 });
    await dp.sync(state([['default/a', a, [ep(b, 8080)]]]));
    await dp.sync(state([['default/a', a, [ep(b, 8081)]]]));
    assert.doesNotMatch(dp.lastRestore, /KUBE-SERVICES|KUBE-NODEPORTS|\*filter/, dp.lastRestore);
    const svc = servicePortChainName('KUBE-SVC-', 'default/a', 'tcp');
    assert.match(dp.lastRestore, new RegExp(`^:${svc} - \\[0:0\\]$`, 'm'));
    assert.match(await lab.inNode('iptables-save', ['-t', 'nat']), new RegExp(`-A KUBE-SERVICES -d ${lab.vip(1)}/32 .* -j ${svc}`), 'KUBE-SERVICES keeps the rule it had');
    await dp.sync(state([]));
    await dp.sync(state([['default/a', a, [ep(b, 8081)]]]));
    assert.equal(dp.partialSyncs, 3);
    const c: [string, ServicePortInfo, Endpoint[]] = ['default/c', serviceInfo({ clusterIP: lab.vip(3), port: 80 }), []];
    await dp.sync(state([['default/a', a, [ep(b, 8081)]], c]));
    assert.match(dp.lastRestore, /^\*filter\n:KUBE-SERVICES - \[0:0\]\n/);
    assert.doesNotMatch(dp.lastRestore, /\*nat/, 'a Service without endpoints is a filter rule only');
    const filter = await lab.inNode('iptables-save', ['-t', 'filter']);
    assert.match(filter, /-A KUBE-SERVICES -d \S+ -p tcp -m comment --comment "default\/c has no endpoints" -m tcp --dport 80 -j REJECT/);
    await dp.sync(state([['default/a', a, [ep(b, 8081)]], c, ['default/d', serviceInfo({ clusterIP: lab.vip(4), port: 80 }), [ep(b, 8082)]]]));
    assert.match(dp.lastRestore, /^\*nat\n:KUBE-SERVICES - \[0:0\]$/m);
    assert.ok(dp.lastRestore.includes(`-A KUBE-SERVICES -m comment --comment "default/a cluster IP"`), 'KUBE-SERVICES is written whole');
    await dp.sync(state([['default/a', a, [ep(b, 8081)]], c, ['default/d', serviceInfo({ clusterIP: lab.vip(4), port: 80 }), [ep(b, 8082)]]]));
    assert.equal(dp.lastRestore, '', 'nothing changed: no restore');
  });

  const backends = (['nft', 'legacy'] as const).filter((b) => spawnSync('sh', ['-c', `command -v iptables-${b}-restore`]).status === 0);
  for (const backend of backends) test(`iptables-${backend}: full syncs insert the jump rules once; chunked transactions; a restarted proxy deletes the chains it left`, async (t) => {
    const lab = await DatapathLab.create({ backends: 1, tag: 'ipj' });
    const b = lab.backends[0].ip;
    const svcs = [1, 2, 3, 4, 5].map((i): [string, ServicePortInfo, Endpoint[]] => [`default/s${i}`, serviceInfo({ clusterIP: lab.vip(i), port: 80 }), [ep(b, 8080)]]);
    const opts = { netns: lab.node, clusterCIDR: lab.clusterCIDR, servicesPerTransaction: 2, backend };
    const first = new IptablesDatapath({ ...opts, cleanupOnClose: false, fullSyncPeriodMs: 0 });
    const second = new IptablesDatapath(opts);
    t.after(async () => (await second.close(), await lab.destroy()));
    const save = () => lab.inNode(`iptables-${backend}-save`, ['-t', 'nat']);
    await first.sync(state(svcs));
    await first.sync(state(svcs));
    assert.equal(first.fullSyncs, 2);
    const nat = await save();
    assert.equal(nat.split('\n').filter((l) => l.includes('-j KUBE-SERVICES')).length, 2, 'PREROUTING and OUTPUT jump once each');
    const transactions = first.lastRestore.split('\n').filter((l) => l === '*nat').length;
    assert.equal(transactions, backend === 'nft' ? 4 : 1, 'iptables-nft: shared chains, then Services 2 at a time, KUBE-SERVICES with the last');
    for (const [spn] of svcs) assert.match(nat, new RegExp(`-A KUBE-SERVICES .*"${spn} cluster IP".* -j ${servicePortChainName('KUBE-SVC-', spn, 'tcp')}`));
    await first.close();
    await second.sync(state(svcs.slice(0, 2)));
    const after = await save();
    assert.doesNotMatch(after, new RegExp(servicePortChainName('KUBE-SVC-', 'default/s5', 'tcp')), 'the old run\'s chain of a Service gone meanwhile is deleted');
    assert.match(after, new RegExp(`^:${servicePortChainName('KUBE-SVC-', 'default/s1', 'tcp')} `, 'm'));
  });
});
