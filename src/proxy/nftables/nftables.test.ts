import assert from 'node:assert/strict';
import { runKernelDatapathConformance } from '../kernel-conformance.js';
import { NftablesDatapath } from './datapath.js';
import { hashAndTruncate, servicePortChainNameBase } from './rules.js';

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
