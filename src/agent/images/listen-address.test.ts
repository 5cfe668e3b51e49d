import assert from 'node:assert/strict';
import { test } from 'node:test';
import type os from 'node:os';
import { listenAddress } from './listen-address.js';

const lo: os.NetworkInterfaceInfo = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' };
const addr = (a: string): os.NetworkInterfaceInfo => ({ address: a, netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: `${a}/24` });

test('a pod alone in its network namespace listens on 0.0.0.0', () => {
  assert.equal(listenAddress('10.42.0.5', { lo: [lo], eth0: [addr('10.42.0.5')] }), '0.0.0.0');
});

test('a pod sharing the node network binds its pod IP (loopback mode, hostNetwork)', () => {
  assert.equal(listenAddress('127.42.0.5', { lo: [lo], eth0: [addr('192.0.2.2')] }), '127.42.0.5');
  assert.equal(listenAddress('10.41.0.2', { lo: [lo], eth0: [addr('10.41.0.2')], cni0: [addr('10.42.0.1')] }), '10.41.0.2');
});
