import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultClusterName, lbPoolCIDRs, ownsNetns, planTopology, upperHalf, validateClusterName } from './plan.js';

const spec = { cluster: 'c1', nodes: 2, nodeCIDR: '10.41.0.0/24', clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16', lbPool: '10.41.0.128/25' };

test('names and addresses follow the netns contract', () => {
  const p = planTopology(spec);
  assert.equal(p.clusterNetns, 'skiff-c1');
  assert.equal(p.hostLink, 'skf-c1');
  assert.equal(p.hostIP, '10.41.0.1');
  assert.deepEqual(p.nodes.map((n) => [n.netns, n.ip, n.bridgePort]), [['skiff-c1-n1', '10.41.0.2', 'n1'], ['skiff-c1-n2', '10.41.0.3', 'n2']]);
  assert.deepEqual(p.ranges, ['10.41.0.0/24', '10.42.0.0/16', '10.43.0.0/16', '10.41.0.128/25']);
});

test('the default pool is the node CIDR\'s upper half; ranges become CIDRs', () => {
  assert.equal(upperHalf('10.41.0.0/24'), '10.41.0.128/25');
  assert.equal(upperHalf('10.7.0.0/16'), '10.7.128.0/17');
  assert.deepEqual(lbPoolCIDRs('10.41.0.200-10.41.0.203, 10.50.0.0/30'), ['10.41.0.200/30', '10.50.0.0/30']);
  assert.deepEqual(lbPoolCIDRs(''), []);
  assert.throws(() => lbPoolCIDRs('10.1.1.9-10.1.1.2'), /--lb-pool: invalid range "10.1.1.9-10.1.1.2"/);
});

test('overlapping or loopback ranges, bad names and too many nodes are refused with the flag named', () => {
  assert.throws(() => planTopology({ ...spec, serviceCIDR: '10.42.128.0/17' }), /--cluster-cidr 10.42.0.0\/16 overlaps --service-cidr 10.42.128.0\/17/);
  assert.throws(() => planTopology({ ...spec, clusterCIDR: '127.42.0.0/16' }), /--cluster-cidr: 127.42.0.0\/16 is in 127.0.0.0\/8/);
  assert.throws(() => planTopology({ ...spec, nodeCIDR: 'nope' }), /--node-cidr: invalid IPv4 CIDR "nope"/);
  assert.throws(() => planTopology({ ...spec, nodes: 127 }), /no room for 127 node IPs below the LoadBalancer pool/);
  assert.match(validateClusterName('Toolong')!, /must be 1 to 5 characters of \[a-z0-9\]/);
  assert.throws(() => planTopology({ ...spec, cluster: 'a-b' }), /--cluster-name: "a-b"/);
});

test('cluster names: from the data dir, and netns ownership by exact prefix', () => {
  assert.equal(defaultClusterName('/tmp/dev1'), 'dev1');
  assert.match(defaultClusterName('/root/.skiff'), /^skiff$/);
  assert.match(defaultClusterName('/tmp/skiff-e2e-abc123'), /^s[a-z0-9]{1,4}$/);
  assert.equal(ownsNetns('h1', 'skiff-h1'), true);
  assert.equal(ownsNetns('h1', 'skiff-h1-n2-0123456789'), true);
  assert.equal(ownsNetns('h1', 'skiff-h12'), false);
  assert.equal(ownsNetns('h1', 'skiff-h12-n1'), false);
});
