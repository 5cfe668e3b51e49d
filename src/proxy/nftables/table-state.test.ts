import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serviceInfo } from '../conformance.js';
import type { Endpoint, ProxyState, ServicePortInfo } from '../types.js';
import { buildNftRules, endpointChainNameBase, hashAndTruncate, type ServiceMemo } from './rules.js';
import { addElements, chainWithRules, deleteElements, needsCache, rewriteChain } from './statements.js';
import { NftTableState, staleDeleteDelayMs } from './table-state.js';

const ep = (ip: string): Endpoint => ({ ip, port: 8080, ready: true, serving: true, terminating: false, nodeName: 'n', isLocal: true });
const state = (svcs: Array<[string, ServicePortInfo, Endpoint[]]>): ProxyState =>
  ({ services: new Map(svcs.map(([n, s]) => [n, s])), endpoints: new Map(svcs.map(([n, , e]) => [n, e])), nodeIPs: ['10.0.0.2'] });
const epChain = (svc: number, ip: string) => `endpoint-${hashAndTruncate(endpointChainNameBase(`ns/s${svc}:http`, 'tcp', ip, 8080))}`;
/** 20 Services of 2 endpoints; Service 7's endpoints shifted by `shift` (the bench's "one endpoint change"). */
const many = (shift = 0, count = 20) => state(Array.from({ length: count }, (_, i) => [`ns/s${i}:http`,
  serviceInfo({ clusterIP: `10.96.0.${i + 1}`, port: 80, nodePort: 30000 + i }),
  [ep(`10.1.${i}.${1 + (i === 7 ? shift : 0)}`), ep(`10.1.${i}.${2 + (i === 7 ? shift : 0)}`)]]));

test('statement forms: rules inside add chain, elements inside the set declaration', () => {
  assert.equal(chainWithRules('c1', ['ip saddr 10.1.0.1 jump mark-for-masquerade', 'meta l4proto tcp dnat to 10.1.0.1:80']),
    'add chain ip kube-proxy c1 { ip saddr 10.1.0.1 jump mark-for-masquerade ; meta l4proto tcp dnat to 10.1.0.1:80 ; }');
  assert.equal(chainWithRules('c1', []), 'add chain ip kube-proxy c1');
  assert.deepEqual(rewriteChain('c2', ['goto x']), ['add chain ip kube-proxy c2', 'flush chain ip kube-proxy c2', 'add chain ip kube-proxy c2 { goto x ; }']);
  assert.deepEqual(addElements('service-ips', ['10.96.0.1 . tcp . 80 : goto s1', '10.96.0.2 . tcp . 80 : goto s2']), [
    'add map ip kube-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; elements = { 10.96.0.1 . tcp . 80 : goto s1, 10.96.0.2 . tcp . 80 : goto s2 } }',
  ]);
  assert.deepEqual(addElements('cluster-ips', ['10.96.0.1']), ['add set ip kube-proxy cluster-ips { type ipv4_addr ; comment "Active ClusterIPs" ; elements = { 10.96.0.1 } }']);
  assert.deepEqual(addElements('cluster-ips', []), []);
  assert.deepEqual(deleteElements('service-nodeports', ['tcp . 30001']), ['delete element ip kube-proxy service-nodeports { tcp . 30001 }']);
  assert.throws(() => addElements('no-such-map', ['x']), /unknown shared set/);
});

test('needsCache: the statements nft 1.0.6 lists the table for', () => {
  for (const s of ['add rule ip kube-proxy c ip saddr 1.2.3.4 drop', 'add element ip kube-proxy cluster-ips { 10.96.0.1 }', 'delete chain ip kube-proxy c',
    'delete element ip kube-proxy cluster-ips { 10.96.0.1 }', 'delete set ip kube-proxy a', 'flush map ip kube-proxy service-ips', 'insert rule ip kube-proxy c drop']) assert.ok(needsCache(s), s);
  for (const s of [chainWithRules('c', ['drop']), ...rewriteChain('c', ['drop']), ...addElements('service-ips', ['10.96.0.1 . tcp . 80 : drop']),
    'add set ip kube-proxy a { type ipv4_addr ; flags dynamic,timeout ; timeout 10800s ; }', 'add table ip kube-proxy']) assert.ok(!needsCache(s), s);
});

test('one endpoint change: a transaction nft can run without listing the table; the stale chain is deleted a second later', () => {
  const memo = new Map<string, ServiceMemo>();
  const kernel = new NftTableState();
  const full = kernel.full(buildNftRules(many(), { memo }), ['10.96.0.0/16']);
  assert.equal(full.loadBalancing.length, 20);
  assert.ok(full.loadBalancing.every((s) => s.includes(' vmap { ') && !needsCache(s)));
  assert.ok(full.setup.concat(full.elements).slice(2).every((s) => !needsCache(s)), 'a full sync, past its delete table, needs no cache either');

  const { statements, needsCache: cache } = kernel.partial(buildNftRules(many(1), { memo }), 0);
  assert.equal(cache, false);
  assert.deepEqual(statements.filter(needsCache), [], statements.join('\n'));
  assert.ok(!statements.some((s) => /^add (rule|element) /.test(s)), 'no add rule / add element in a partial sync');
  const svc7 = statements.filter((s) => s.includes('ns/s7/'));
  assert.equal(svc7.length, statements.length, 'only Service 7 is touched');
  const old = epChain(7, '10.1.7.1');
  assert.ok(statements.includes(`flush chain ip kube-proxy ${old}`), 'the gone endpoint\'s chain is flushed at once');
  assert.ok(statements.some((s) => /^add chain ip kube-proxy service-\S+ns\/s7\/tcp\/http \{ .*numgen random mod 2 vmap \{ 0 : goto endpoint-\S+10\.1\.7\.2\/8080 , 1 : goto endpoint-\S+10\.1\.7\.3\/8080 \} ; \}$/.test(s)));
  assert.ok(!statements.some((s) => s.includes('10.1.7.2/8080 {')), 'the endpoint chain that stays is not rewritten');
  assert.deepEqual(kernel.dueDeletes(staleDeleteDelayMs - 1), []);
  assert.deepEqual(kernel.dueDeletes(staleDeleteDelayMs), [`delete chain ip kube-proxy ${old}`]);
  assert.deepEqual(kernel.dueDeletes(staleDeleteDelayMs * 5), [], 'deleted once');
  assert.deepEqual(kernel.partial(buildNftRules(many(1), { memo }), 2000).statements, [], 'nothing changed, nothing sent');
});

test('a deleted Service: its elements go in the same transaction (nft cache), its chains are flushed now, deleted later', () => {
  const memo = new Map<string, ServiceMemo>();
  const kernel = new NftTableState();
  kernel.full(buildNftRules(many(0, 3), { memo }), []);
  const { statements, needsCache: cache } = kernel.partial(buildNftRules(many(0, 2), { memo }), 0);
  assert.equal(cache, true);
  assert.deepEqual(statements.filter((s) => s.startsWith('delete ')), [
    'delete element ip kube-proxy cluster-ips { 10.96.0.3 }',
    'delete element ip kube-proxy service-ips { 10.96.0.3 . tcp . 80 }',
    'delete element ip kube-proxy service-nodeports { tcp . 30002 }',
  ]);
  const flushed = statements.filter((s) => s.startsWith('flush chain '));
  assert.equal(flushed.length, 4, 'service, external and 2 endpoint chains');
  assert.equal(kernel.dueDeletes(1000).length, 4);
});

test('a chain that comes back before its delete is rewritten and kept', () => {
  const memo = new Map<string, ServiceMemo>();
  const kernel = new NftTableState();
  kernel.full(buildNftRules(many(0, 10), { memo }), []);
  kernel.partial(buildNftRules(many(1, 10), { memo }), 0);
  const back = kernel.partial(buildNftRules(many(0, 10), { memo }), 500).statements;
  assert.ok(back.includes(`add chain ip kube-proxy ${epChain(7, '10.1.7.1')} { ip saddr 10.1.7.1 jump mark-for-masquerade ; meta l4proto tcp dnat to 10.1.7.1:8080 ; }`), back.join('\n'));
  assert.deepEqual(kernel.dueDeletes(5000), [`delete chain ip kube-proxy ${epChain(7, '10.1.7.3')}`]);
});

test('affinity: a gone endpoint\'s set is deleted with its chain; a changed timeout recreates the set', () => {
  const memo = new Map<string, ServiceMemo>();
  const kernel = new NftTableState();
  const aff = (timeoutSeconds: number, eps: Endpoint[]) => state([['ns/a:http', serviceInfo({ clusterIP: '10.96.1.1', port: 80, sessionAffinity: { type: 'ClientIP', timeoutSeconds } }), eps]]);
  kernel.full(buildNftRules(aff(600, [ep('10.1.0.1'), ep('10.1.0.2')]), { memo }), []);
  const one = kernel.partial(buildNftRules(aff(600, [ep('10.1.0.1')]), { memo }), 0);
  assert.equal(one.needsCache, false);
  assert.ok(!one.statements.some((s) => s.includes('add set')), 'the set that stays keeps its entries');
  assert.deepEqual(kernel.dueDeletes(1000).map((s) => s.split(' ').slice(0, 2).join(' ')), ['delete chain', 'delete set']);
  const longer = kernel.partial(buildNftRules(aff(900, [ep('10.1.0.1')]), { memo }), 2000);
  assert.equal(longer.needsCache, true);
  assert.deepEqual(longer.statements.filter((s) => s.includes(' set ')).map((s) => s.replace(/affinity-\S+/, 'A')),
    ['delete set ip kube-proxy A', 'add set ip kube-proxy A { type ipv4_addr ; flags dynamic,timeout ; timeout 900s ; }']);
});
