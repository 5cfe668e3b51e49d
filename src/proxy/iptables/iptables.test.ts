import assert from 'node:assert/strict';
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
