import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PodIPAM } from './ipam.js';

describe('PodIPAM', () => {
  it('hands out .2 upwards, one per pod, stable per key', () => {
    const ipam = new PodIPAM('127.42.3.0/24');
    assert.equal(ipam.allocate('a'), '127.42.3.2');
    assert.equal(ipam.allocate('b'), '127.42.3.3');
    assert.equal(ipam.allocate('a'), '127.42.3.2');
    assert.equal(ipam.size, 2);
  });

  it('does not reuse a released IP at once, and wraps around to free ones', () => {
    const ipam = new PodIPAM('127.42.0.0/29'); // .2 … .6 usable
    for (const k of ['a', 'b', 'c', 'd', 'e']) ipam.allocate(k);
    assert.throws(() => ipam.allocate('f'), /no IP addresses available in range set: 127\.42\.0\.2-127\.42\.0\.6/);
    ipam.release('b');
    assert.equal(ipam.get('b'), undefined);
    assert.equal(ipam.allocate('f'), '127.42.0.3');
  });

  it('re-registers an IP a pod already had, refusing taken or foreign ones', () => {
    const ipam = new PodIPAM('127.42.1.0/24');
    assert.equal(ipam.reserve('a', '127.42.1.9'), true);
    assert.equal(ipam.reserve('b', '127.42.1.9'), false);
    assert.equal(ipam.reserve('c', '127.42.2.9'), false);
    assert.equal(ipam.reserve('d', '127.42.1.1'), false);
    assert.equal(ipam.allocate('a'), '127.42.1.9');
  });

  it('rejects a podCIDR that is not IPv4', () => {
    assert.throws(() => new PodIPAM('fd00::/64'), /invalid podCIDR/);
  });
});
