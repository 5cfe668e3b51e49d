import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IPAllocator, ipRangeOffset } from './ipallocator.js';
import { parseCIDR } from '../../util/net.js';
import { parsePortRange, PortAllocator, portRangeOffset } from './portallocator.js';

const zero = (): number => 0;

test('static band sizes', () => {
  assert.equal(ipRangeOffset(parseCIDR('10.96.0.0/12')!), 256);
  assert.equal(ipRangeOffset(parseCIDR('10.0.0.0/24')!), 16);
  assert.equal(ipRangeOffset(parseCIDR('10.0.0.0/20')!), 256);
  assert.equal(ipRangeOffset(parseCIDR('10.0.0.0/22')!), 64);
  assert.equal(ipRangeOffset(parseCIDR('10.0.0.0/29')!), 0);
  assert.equal(portRangeOffset({ base: 30000, size: 2768 }), 86);
  assert.equal(portRangeOffset({ base: 30000, size: 10 }), 0);
  assert.equal(portRangeOffset({ base: 1, size: 65535 }), 128);
});

test('IP allocator: range, network/broadcast, reserved .1, upper band first', () => {
  const a = new IPAllocator({ cidr: '10.96.0.0/12', random: zero });
  assert.equal(a.kubernetesServiceIP, '10.96.0.1');
  assert.equal(a.free(), (1 << 20) - 2);
  assert.equal(a.allocateNext(), '10.96.1.1'); // base .1 + static band of 256
  assert.equal(a.allocateNext(), '10.96.1.2');
  a.allocate('10.96.0.1');
  assert.throws(() => a.allocate('10.96.0.1'), { message: 'provided IP is already allocated' });
  for (const ip of ['10.96.0.0', '10.111.255.255', '1.1.1.1', '::1', 'junk']) {
    assert.throws(() => a.allocate(ip), { message: 'provided IP is not in the valid range. The range of valid IPs is 10.96.0.0/12' }, ip);
  }
  a.allocate('10.111.255.254');
  assert.ok(a.has('10.96.1.1'));
  a.release('10.96.1.1');
  assert.ok(!a.has('10.96.1.1'));
  assert.equal(a.allocateNext(), '10.96.1.1');
});

test('IP allocator: falls back to the static band, never hands out .1, reports full', () => {
  const a = new IPAllocator({ cidr: '192.168.0.0/28', random: zero }); // 14 usable, static band 16 > 14
  const got = new Set<string>();
  for (let i = 0; i < 13; i++) got.add(a.allocateNext());
  assert.equal(got.size, 13);
  assert.ok(!got.has('192.168.0.1'));
  assert.throws(() => a.allocateNext(), { message: 'range is full' });
  a.allocate('192.168.0.1');
  assert.equal(a.free(), 0);
});

test('IP allocator: IPv6', () => {
  const a = new IPAllocator({ cidr: 'fd00:10:96::/108', random: zero });
  assert.equal(a.kubernetesServiceIP, 'fd00:10:96::1');
  assert.equal(a.allocateNext(), 'fd00:10:96::101');
  a.allocate('fd00:10:96::f:ffff'); // no broadcast in IPv6
  assert.throws(() => a.allocate('10.0.0.1'), /not in the valid range. The range of valid IPs is fd00:10:96::\/108/);
});

test('port allocator', () => {
  assert.deepEqual(parsePortRange('30000-32767'), { base: 30000, size: 2768 });
  assert.deepEqual(parsePortRange('30000+2767'), { base: 30000, size: 2768 });
  assert.throws(() => parsePortRange('x'));
  const p = new PortAllocator({ random: zero });
  assert.equal(p.allocateNext(), 30086);
  p.allocate(30008);
  assert.throws(() => p.allocate(30008), { message: 'provided port is already allocated' });
  assert.throws(() => p.allocate(29999), { message: 'provided port is not in the valid range. The range of valid ports is 30000-32767' });
  assert.throws(() => p.allocate(32768), /not in the valid range/);
  p.release(30008);
  p.allocate(30008);
  const small = new PortAllocator({ range: '40000-40002', random: zero });
  const got = [small.allocateNext(), small.allocateNext(), small.allocateNext()].sort();
  assert.deepEqual(got, [40000, 40001, 40002]);
  assert.throws(() => small.allocateNext(), { message: 'range is full' });
});

test('random start within the dynamic band', () => {
  const p = new PortAllocator({ random: () => 0.5 });
  const port = p.allocateNext();
  assert.equal(port, 30086 + Math.floor(0.5 * (2768 - 86)));
});
