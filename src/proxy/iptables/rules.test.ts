import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endpointOf, serviceInfo } from '../conformance.js';
import { buildNftRules, endpointChainNameBase, hashAndTruncate, servicePortChainNameBase } from '../nftables/rules.js';
import type { SetElement } from '../nftables/statements.js';
import type { Endpoint, ProxyState, ServicePortInfo } from '../types.js';
import { jumpKey, jumpsIn, nftChainsIn, serviceChainsIn } from './restore.js';
import { buildIptablesRules, endpointChainName, jumpRules, probability, servicePortChainName } from './rules.js';

test('chain names are kube-proxy\'s (test vectors from kube-proxy tests and seed 002)', () => {
  assert.equal(servicePortChainName('KUBE-SVC-', 'default/kubernetes:https', 'TCP'), 'KUBE-SVC-NPX46M4PTMTKRN6Y');
  assert.equal(servicePortChainName('KUBE-SVC-', 'kube-system/kube-dns:dns', 'UDP'), 'KUBE-SVC-TCOU7JCQXEZGVUNU');
  assert.equal(servicePortChainName('KUBE-SVC-', 'default/clusterip-service', 'tcp'), 'KUBE-SVC-KUSV3H3OUX7H3MDQ');
  assert.equal(endpointChainName('default/clusterip-service', 'tcp', '10.36.0.1:80'), 'KUBE-SEP-KPNE4OMUFKEDG6YL');
  assert.equal(endpointChainName('default/clusterip-service', 'tcp', '10.44.0.1:80'), 'KUBE-SEP-HRLSFD7UJD73STE6');
  assert.equal(servicePortChainName('KUBE-SVC-', 'ns1/svc1:p80', 'tcp'), 'KUBE-SVC-XPGD46QRK7WJZT7O');
  assert.equal(servicePortChainName('KUBE-EXT-', 'ns2/svc2:p80', 'tcp'), 'KUBE-EXT-GNZBNJ2PO5MGZ6GT');
  assert.equal(endpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80'), 'KUBE-SEP-SXIVWICOYRO3J4NJ');
  assert.equal(hashAndTruncate(servicePortChainNameBase('ns1/svc1:p80', 'TCP')), 'ULMVA6XW-ns1/svc1/tcp/p80');
  assert.equal(hashAndTruncate(endpointChainNameBase('ns1/svc1:p80', 'TCP', '10.180.0.1', 80)), '5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80');
  assert.equal(hashAndTruncate(endpointChainNameBase('ns5/svc5:p80', 'TCP', '10.180.0.3', 80)), 'GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80');
  assert.deepEqual([probability(3), probability(2)], ['0.3333333333', '0.5000000000']);
});

const ep = (ip: string, over: Partial<Endpoint> = {}): Endpoint => endpointOf({ id: ip, ip, port: 80, close: async () => {} }, over);
function state(services: Array<[string, ServicePortInfo, Endpoint[]]>): ProxyState {
  return { services: new Map(services.map(([n, s]) => [n, s])), endpoints: new Map(services.map(([n, , e]) => [n, e])), nodeIPs: ['192.168.0.2'] };
}

test('iptables: seed 002\'s three endpoints, kube-proxy\'s ETP Local and no-endpoint rules', () => {
  const r = buildIptablesRules(state([
    ['default/clusterip-service', serviceInfo({ clusterIP: '10.100.100.100', port: 80 }), [ep('10.36.0.1'), ep('10.44.0.1'), ep('10.44.0.2')]],
    ['ns2/svc2:p80', serviceInfo({ clusterIP: '172.30.0.42', port: 80, nodePort: 3001, externalIPs: ['192.168.99.22'], loadBalancerIPs: ['1.2.3.4'], externalTrafficPolicy: 'Local', healthCheckNodePort: 30000 }), [ep('10.180.0.2', { isLocal: false })]],
    ['ns6/svc6:p80', serviceInfo({ clusterIP: '172.30.0.46', port: 80 }), []],
  ]), { clusterCIDR: '10.0.0.0/8' });
  const svc = r.services.get('default/clusterip-service')!.rules;
  assert.ok(svc.includes('-A KUBE-SVC-KUSV3H3OUX7H3MDQ -m comment --comment "default/clusterip-service -> 10.36.0.1:80" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-KPNE4OMUFKEDG6YL'));
  assert.ok(svc.includes('-A KUBE-SVC-KUSV3H3OUX7H3MDQ -m comment --comment "default/clusterip-service -> 10.44.0.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-HRLSFD7UJD73STE6'));
  assert.ok(svc.includes('-A KUBE-SEP-KPNE4OMUFKEDG6YL -m comment --comment default/clusterip-service -m tcp -p tcp -j DNAT --to-destination 10.36.0.1:80'));
  assert.equal(svc[0], '-A KUBE-SVC-KUSV3H3OUX7H3MDQ -m comment --comment "default/clusterip-service cluster IP" -m tcp -p tcp -d 10.100.100.100 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ');
  assert.deepEqual(r.services.get('ns2/svc2:p80')!.rules.filter((l) => l.startsWith('-A KUBE-EXT')), [
    '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT',
    '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ',
    '-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT',
  ]);
  for (const l of [
    '-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT',
    '-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT',
    '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP',
    '-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP',
  ]) assert.ok(r.filterRules.includes(l), l);
  for (const l of [
    '-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT',
    '-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
  ]) assert.ok(r.natRules.includes(l), l);
  assert.match(r.natRules.at(-5)!, /kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS$/);
});

test('iptables and nftables: ClientIP affinity', () => {
  const svc = serviceInfo({ clusterIP: '172.30.0.45', port: 80, sessionAffinity: { type: 'ClientIP', timeoutSeconds: 10800 } });
  const ipt = buildIptablesRules(state([['ns5/svc5:p80', svc, [ep('10.180.0.3')]]])).services.get('ns5/svc5:p80')!.rules;
  assert.ok(ipt.includes('-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN'));
  assert.ok(ipt.includes('-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80'));
  const nft = buildNftRules(state([['ns5/svc5:p80', svc, [ep('10.180.0.3')]]]), { clusterCIDR: '10.0.0.0/8' }).services.get('ns5/svc5:p80')!;
  assert.deepEqual(nft.chains.get('service-HVFWP5L3-ns5/svc5/tcp/p80'), [
    'ip daddr 172.30.0.45 ip saddr != 10.0.0.0/8 jump mark-for-masquerade',
    'ip saddr @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80',
    'numgen random mod 1 vmap { 0 : goto endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 }',
  ]);
  assert.deepEqual(nft.chains.get('endpoint-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80'), [
    'ip saddr 10.180.0.3 jump mark-for-masquerade',
    'update @affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80 { ip saddr }',
    'meta l4proto tcp dnat to 10.180.0.3:80',
  ]);
  assert.equal(nft.sets.get('affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80'), '{ type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }');
});

/** The elements as kube-proxy's `add element` lines (what nft -f would take one by one). */
const elementStatements = (els: SetElement[]) => els.map((e) => `add element ip kube-proxy ${e.set} { ${e.body} }`);

test('nftables: kube-proxy\'s elements for no endpoints and ETP Local', () => {
  const r = buildNftRules(state([
    ['ns2/svc2:p80', serviceInfo({ clusterIP: '172.30.0.42', port: 80, nodePort: 3001, externalIPs: ['192.168.99.22'], loadBalancerIPs: ['1.2.3.4'], externalTrafficPolicy: 'Local' }), [ep('10.180.0.2', { isLocal: false })]],
    ['ns6/svc6:p80', serviceInfo({ clusterIP: '172.30.0.46', port: 80 }), []],
  ]), { clusterCIDR: '10.0.0.0/8' });
  const svc2 = r.services.get('ns2/svc2:p80')!;
  for (const l of [
    'add element ip kube-proxy service-ips { 1.2.3.4 . tcp . 80 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }',
    'add element ip kube-proxy service-nodeports { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }',
    'add element ip kube-proxy no-endpoint-nodeports { tcp . 3001 comment "ns2/svc2:p80" : drop }',
    'add element ip kube-proxy no-endpoint-services { 192.168.99.22 . tcp . 80 comment "ns2/svc2:p80" : drop }',
  ]) assert.ok(elementStatements(svc2.elements).includes(l), l);
  assert.deepEqual(svc2.chains.get('external-42NFTM6N-ns2/svc2/tcp/p80'), [
    'ip saddr 10.0.0.0/8 goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit pod traffic"',
    'fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"',
    'fib saddr type local goto service-42NFTM6N-ns2/svc2/tcp/p80 comment "short-circuit local traffic"',
  ]);
  assert.deepEqual(elementStatements(r.services.get('ns6/svc6:p80')!.elements), [
    'add element ip kube-proxy cluster-ips { 172.30.0.46 }',
    'add element ip kube-proxy no-endpoint-services { 172.30.0.46 . tcp . 80 comment "ns6/svc6:p80" : goto reject-chain }',
  ]);
});

test('iptables: a full sync reads jump rules and stale chains back from iptables-save and nft list chains', () => {
  const save = [
    '*filter', ':INPUT ACCEPT [0:0]',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS', 'COMMIT',
    '*nat', ':PREROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-SVC-AAAA - [0:0]', ':SKIFF-POSTROUTING - [0:0]',
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES', 'COMMIT',
  ].join('\n');
  const jumps = jumpsIn(save);
  const missing = jumpRules.filter((j) => !jumps.has(jumpKey(j))).map((j) => `${j.table} ${j.from} ${j.to}`);
  assert.ok(!missing.includes('filter INPUT KUBE-EXTERNAL-SERVICES') && !missing.includes('nat PREROUTING KUBE-SERVICES'));
  assert.equal(missing.length, jumpRules.length - 3);
  assert.deepEqual(serviceChainsIn(save, 'nat'), ['KUBE-SVC-AAAA']);
  const list = 'table ip nat {\n\tchain KUBE-SEP-BBBB {\n\t}\n\tchain PREROUTING {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t}\n}\ntable ip kube-proxy {\n\tchain KUBE-SVC-CCCC {\n\t}\n}\n';
  assert.deepEqual(nftChainsIn(list, 'nat'), ['KUBE-SEP-BBBB']);
});
