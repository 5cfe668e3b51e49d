import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';

describe('skiff server with the real kubectl', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start();
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('reports Kubernetes 1.32 to kubectl version', async () => {
    const out = await cluster.k('version', '-o', 'json');
    const v = JSON.parse(out) as { serverVersion: { major: string; minor: string } };
    assert.equal(v.serverVersion.major, '1');
    assert.equal(v.serverVersion.minor, '32');
  });

  it('has the default namespaces and the kubernetes Service', async () => {
    const ns = await cluster.k('get', 'ns', '-o', 'name');
    assert.deepEqual(ns.trim().split('\n').sort(), ['namespace/default', 'namespace/kube-node-lease', 'namespace/kube-public', 'namespace/kube-system', 'namespace/metallb-system']);
    const svc = await cluster.k('get', 'svc', 'kubernetes');
    assert.match(svc, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\n/);
    // the first address of the service range, which the harness gives each cluster on its own
    const first = cluster.serviceCIDR.replace(/\.0\/\d+$/, '.1');
    assert.match(svc, new RegExp(`kubernetes\\s+ClusterIP\\s+${first.replace(/\./g, '\\.')}\\s+<none>\\s+443/TCP\\s+\\d+s`));
  });

  it('rejects a request without the bearer token with a 401 Status', async () => {
    const r = await cluster.kubectl(['get', 'ns', '--token', 'wrong']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /error: You must be logged in to the server \(Unauthorized\)/);
  });
});
