import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { managedHostsFile, nodeHostsFile, podHostnameAndDomain, truncateHostname } from './pod-files.js';

test('the hosts file of a pod, as kubelet writes it', () => {
  assert.equal(
    managedHostsFile({ podIPs: ['10.42.0.4'], hostname: 'nginx', domain: '' }),
    '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n10.42.0.4\tnginx\n',
  );
  const withAliases = managedHostsFile({
    podIPs: ['10.42.0.5'],
    hostname: 'busybox-1',
    domain: 'busybox-subdomain.default.svc.cluster.local',
    hostAliases: [{ ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] }, { ip: '10.1.2.3', hostnames: ['foo.remote'] }],
  });
  assert.ok(withAliases.endsWith('10.42.0.5\tbusybox-1.busybox-subdomain.default.svc.cluster.local\tbusybox-1\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n'));
});

test('a hostNetwork pod gets the node hosts file under its own header', () => {
  assert.equal(nodeHostsFile({ nodeHosts: '127.0.0.1 localhost\n', hostAliases: [] }), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n');
});

test('the pod hostname: spec.hostname or the name, at most 63 characters without a trailing - or .', () => {
  const pod = (name: string, spec: Partial<NonNullable<Pod['spec']>> = {}): Pod => ({ metadata: { name, namespace: 'ns1' }, spec: { containers: [], ...spec } });
  assert.deepEqual(podHostnameAndDomain(pod('web-0'), 'cluster.local'), { hostname: 'web-0', domain: '' });
  assert.deepEqual(podHostnameAndDomain(pod('web-0', { hostname: 'h', subdomain: 'sub' }), 'cluster.local'), { hostname: 'h', domain: 'sub.ns1.svc.cluster.local' });
  assert.equal(truncateHostname(`${'a'.repeat(61)}.-bc`), 'a'.repeat(61));
  assert.equal(truncateHostname('a'.repeat(63)), 'a'.repeat(63));
});
