import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { formatResolvConf, parseResolvConf, podDNSConfig, type KubeletDNSSettings } from './dns-config.js';

const host = parseResolvConf('# host\nsearch corp.example.com. example.com\nnameserver 192.0.2.53\nnameserver 192.0.2.54\noptions edns0 timeout:2\n');
const settings: KubeletDNSSettings = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', host };
const pod = (spec: Pod['spec'] = { containers: [] }): Pod => ({ metadata: { name: 'p', namespace: 'team-a', uid: 'u1' }, spec });

describe('pod resolv.conf (kubelet dns.go)', () => {
  it('parses the host resolv.conf', () => {
    assert.deepEqual(host, { nameservers: ['192.0.2.53', '192.0.2.54'], searches: ['corp.example.com', 'example.com'], options: ['edns0', 'timeout:2'] });
  });

  it('ClusterFirst: cluster DNS, namespace search path then the host searches, ndots:5', () => {
    const { config, events } = podDNSConfig(pod(), settings);
    assert.deepEqual(events, []);
    assert.equal(
      formatResolvConf(config),
      'search team-a.svc.cluster.local svc.cluster.local cluster.local corp.example.com example.com\nnameserver 10.96.0.10\noptions ndots:5\n',
    );
  });

  it('ClusterFirst with hostNetwork uses the host; ClusterFirstWithHostNet the cluster', () => {
    assert.deepEqual(podDNSConfig(pod({ containers: [], hostNetwork: true }), settings).config, host);
    assert.deepEqual(podDNSConfig(pod({ containers: [], hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), settings).config.nameservers, ['10.96.0.10']);
  });

  it('Default copies the host resolv.conf; without one it is localhost and "."', () => {
    assert.deepEqual(podDNSConfig(pod({ containers: [], dnsPolicy: 'Default' }), settings).config, host);
    assert.deepEqual(podDNSConfig(pod({ containers: [], dnsPolicy: 'Default' }), { ...settings, host: undefined }).config, { nameservers: ['127.0.0.1'], searches: ['.'], options: [] });
  });

  it('None takes only dnsConfig; dnsConfig merges (options by name, pod wins)', () => {
    const none = podDNSConfig(pod({ containers: [], dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'], searches: ['a.test'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }), settings);
    assert.equal(formatResolvConf(none.config), 'search a.test\nnameserver 1.1.1.1\noptions ndots:2 edns0\n');
    const merged = podDNSConfig(pod({ containers: [], dnsConfig: { nameservers: ['10.96.0.10', '1.1.1.1'], searches: ['svc.cluster.local', 'x.test'], options: [{ name: 'ndots', value: '1' }] } }), settings);
    assert.deepEqual(merged.config.nameservers, ['10.96.0.10', '1.1.1.1']);
    assert.deepEqual(merged.config.searches.slice(-1), ['x.test']);
    assert.deepEqual(merged.config.options, ['ndots:1']);
  });

  it('falls back to Default without cluster DNS, and trims to 3 nameservers with events', () => {
    const fallback = podDNSConfig(pod(), { ...settings, clusterDNS: [] });
    assert.deepEqual(fallback.config, host);
    assert.equal(fallback.events[0]!.reason, 'MissingClusterDNS');
    const many = podDNSConfig(pod({ containers: [], dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'] } }), settings);
    assert.deepEqual(many.config.nameservers, ['10.96.0.10', '1.1.1.1', '2.2.2.2']);
    assert.equal(many.events[0]!.message, 'Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 1.1.1.1 2.2.2.2');
  });
});
