import assert from 'node:assert/strict';
import { runKernelDatapathConformance } from '../kernel-conformance.js';
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
