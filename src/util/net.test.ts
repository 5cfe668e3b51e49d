import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigIntToIP, canonicalIP, cidrContains, cidrLast, cidrSize, cidrString, cidrsOverlap, ipToBigInt, isIPv4, isIPv6, isLinkLocalMulticast, isLinkLocalUnicast, isLoopback, nthIP, parseCIDR, parseIP } from './net.js';

test('parses and formats IPv4, sloppy leading zeros included', () => {
  assert.equal(ipToBigInt('10.0.0.1'), 167772161n);
  assert.equal(bigIntToIP(167772161n, 'IPv4'), '10.0.0.1');
  assert.equal(canonicalIP('010.001.000.001'), '10.1.0.1');
  for (const bad of ['', '1.2.3', '1.2.3.256', '1.2.3.4.5', 'a.b.c.d', '1.2.3.-1', ' 1.2.3.4']) assert.equal(parseIP(bad), undefined, bad);
});

test('parses and formats IPv6 in RFC 5952 form', () => {
  assert.equal(canonicalIP('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(canonicalIP('::'), '::');
  assert.equal(canonicalIP('::1'), '::1');
  assert.equal(canonicalIP('fd00:10:96::'), 'fd00:10:96::');
  assert.equal(canonicalIP('1:0:0:1:0:0:0:1'), '1:0:0:1::1');
  assert.equal(canonicalIP('1:2:3:4:5:6:7:0'), '1:2:3:4:5:6:7:0');
  assert.equal(canonicalIP('::ffff:1.2.3.4'), '::ffff:102:304');
  for (const bad of ['1::2::3', '12345::', ':::', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7']) assert.equal(parseIP(bad), undefined, bad);
  assert.ok(isIPv6('fe80::1'));
  assert.ok(isIPv4('127.0.0.1'));
  assert.ok(!isIPv4('::1'));
});

test('CIDR maths', () => {
  const c = parseCIDR('10.96.0.5/12')!;
  assert.equal(cidrString(c), '10.96.0.0/12');
  assert.equal(cidrSize(c), 1n << 20n);
  assert.equal(bigIntToIP(cidrLast(c), 'IPv4'), '10.111.255.255');
  assert.ok(cidrContains(c, '10.111.0.1'));
  assert.ok(!cidrContains(c, '10.112.0.1'));
  assert.ok(!cidrContains(c, '::1'));
  assert.equal(nthIP(c, 1), '10.96.0.1');
  assert.equal(parseCIDR('10.0.0.0/33'), undefined);
  assert.equal(parseCIDR('10.0.0.0'), undefined);
  const v6 = parseCIDR('fd00::/108')!;
  assert.equal(cidrSize(v6), 1n << 20n);
  assert.ok(cidrsOverlap(parseCIDR('10.0.0.0/24')!, parseCIDR('10.0.0.128/25')!));
  assert.ok(!cidrsOverlap(parseCIDR('10.0.0.0/25')!, parseCIDR('10.0.0.128/25')!));
});

test('special address predicates match Go net.IP', () => {
  assert.ok(isLoopback(parseIP('127.5.0.1')!));
  assert.ok(isLoopback(parseIP('::1')!));
  assert.ok(isLinkLocalUnicast(parseIP('169.254.1.1')!));
  assert.ok(isLinkLocalUnicast(parseIP('fe80::1')!));
  assert.ok(isLinkLocalMulticast(parseIP('224.0.0.5')!));
  assert.ok(!isLinkLocalMulticast(parseIP('224.0.1.5')!));
  assert.ok(isLinkLocalMulticast(parseIP('ff02::1')!));
});
