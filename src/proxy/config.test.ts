import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultKubeProxyConfiguration, schedulerForConfiguration } from './config.js';

describe('schedulerForConfiguration', () => {
  it('keeps the server flag for the default (empty) mode', () => {
    assert.deepEqual(schedulerForConfiguration(defaultKubeProxyConfiguration('127.42.0.0/16'), 'lc'), { mode: '', scheduler: 'lc' });
  });
  it('maps seed 000 (mode ipvs, no scheduler) to rr, as kube-proxy defaults it', () => {
    const seed = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "ipvs"\nipvs:\n  strictARP: true\n';
    assert.deepEqual(schedulerForConfiguration(seed, 'random'), { mode: 'ipvs', scheduler: 'rr' });
  });
  it('takes an IPVS scheduler by name and refuses unknown ones', () => {
    assert.equal(schedulerForConfiguration('mode: ipvs\nipvs:\n  scheduler: sh\n', 'random').scheduler, 'sh');
    const bad = schedulerForConfiguration('mode: ipvs\nipvs:\n  scheduler: mh\n', 'random');
    assert.equal(bad.scheduler, 'random');
    assert.match(bad.error!, /unsupported IPVS scheduler "mh"/);
  });
  it('iptables and nftables choose at random; a bad document keeps the fallback with an error', () => {
    assert.equal(schedulerForConfiguration('mode: iptables\n', 'rr').scheduler, 'random');
    assert.equal(schedulerForConfiguration('mode: nftables\n', 'rr').scheduler, 'random');
    assert.match(schedulerForConfiguration('mode: [', 'rr').error!, /invalid config\.conf/);
    assert.match(schedulerForConfiguration('mode: kernelspace\n', 'rr').error!, /unknown proxy mode/);
  });
});
