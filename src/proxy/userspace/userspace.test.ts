import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { FakeClock } from '../../util/clock.js';
import { endpointOf, runDatapathConformance, serviceInfo } from '../conformance.js';
import { addressBlock, canBind } from '../conformance-backends.js';
import { freePort } from '../../util/testing.js';
import { schedulerNames } from '../schedulers/index.js';
import { UserspaceDatapath } from './datapath.js';

runDatapathConformance('userspace', ({ scheduler, clock }) => new UserspaceDatapath({ scheduler, clock }), {
  schedulers: [...schedulerNames],
  usesInjectedClock: true,
});

/** A backend that greets with the client address it sees. */
async function sourceEcho(ip: string): Promise<{ port: number; close(): Promise<void> }> {
  const srv = net.createServer((s) => s.end(`${s.remoteAddress}\n`));
  await new Promise<void>((r) => srv.listen(0, ip, r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) };
}

function firstLine(host: string, port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, localAddress });
    let buf = '';
    s.on('data', (d) => (buf += d));
    s.on('end', () => resolve(buf.trim()));
    s.on('error', reject);
  });
}

function connectError(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => (s.destroy(), resolve(undefined)));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
  });
}

test('userspace: no endpoints → not listening (refused, as REJECT); listens again when endpoints appear', async (t) => {
  const addr = addressBlock();
  const dp = new UserspaceDatapath({ clock: new FakeClock() });
  const backend = await sourceEcho(addr(11));
  t.after(async () => (await dp.close(), await backend.close()));
  const vip = addr(1);
  const port = await freePort(vip);
  const svc = serviceInfo({ clusterIP: vip, port, externalIPs: [addr(150)] });
  const be = endpointOf({ id: 'b', ip: addr(11), port: backend.port, close: async () => {} });
  const r = await dp.sync({ services: new Map([['default/web', svc]]), endpoints: new Map([['default/web', []]]), nodeIPs: [] });
  assert.deepEqual(r.listening, []);
  assert.equal(await connectError(vip, port), 'ECONNREFUSED');
  assert.equal(await connectError(addr(150), port), 'ECONNREFUSED');
  assert.ok(await canBind(vip, port, 'TCP'));
  await dp.sync({ services: new Map([['default/web', svc]]), endpoints: new Map([['default/web', [be]]]), nodeIPs: [] });
  assert.equal(await firstLine(vip, port), '127.0.0.1', 'a non-pod client: the backend sees the proxy');
  await dp.sync({ services: new Map([['default/web', svc]]), endpoints: new Map([['default/web', []]]), nodeIPs: [] });
  assert.equal(await connectError(vip, port), 'ECONNREFUSED');
});

test('userspace: a pod client\'s address is kept toward the backend (upstream bound to it)', async (t) => {
  const addr = addressBlock();
  const dp = new UserspaceDatapath({ clock: new FakeClock(), podCIDR: `${addr(0)}/24` });
  const backend = await sourceEcho(addr(11));
  t.after(async () => (await dp.close(), await backend.close()));
  const vip = addr(1);
  const port = await freePort(vip);
  const be = endpointOf({ id: 'b', ip: addr(11), port: backend.port, close: async () => {} });
  await dp.sync({ services: new Map([['default/web', serviceInfo({ clusterIP: vip, port })]]), endpoints: new Map([['default/web', [be]]]), nodeIPs: [] });
  assert.equal(await firstLine(vip, port, addr(42)), addr(42), 'pod to Service: the backend sees the pod');
  assert.equal(await firstLine(vip, port, '127.0.0.1'), '127.0.0.1', 'outside the pod CIDR: the proxy\'s own address');
});
