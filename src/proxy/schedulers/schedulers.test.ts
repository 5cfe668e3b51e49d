import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addrFold, newScheduler, type RealServer, type ScheduleRequest } from './index.js';

function servers(spec: Array<Partial<RealServer>>): RealServer[] {
  return spec.map((s, i) => ({
    key: `10.0.0.${i + 1}:80`, ip: `10.0.0.${i + 1}`, port: 80, weight: 1, activeConns: 0, inactiveConns: 0, ...s,
  }));
}
const req = (clientIP = '192.0.2.1', destIP = '10.96.0.10'): ScheduleRequest => ({ clientIP, clientPort: 40000, destIP });
const keys = (xs: Array<RealServer | undefined>) => xs.map((x) => x?.key.split(':')[0].split('.')[3] ?? '-').join('');

test('random covers every server roughly evenly and skips weight 0', () => {
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const s = newScheduler('random', { rand });
  const list = servers([{}, {}, {}, { weight: 0 }]);
  const counts = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const k = s.pick(list, req())!.key;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  assert.equal(counts.size, 3);
  for (const c of counts.values()) assert.ok(c > 800 && c < 1200, `count ${c}`);
  assert.equal(s.pick(servers([{ weight: 0 }]), req()), undefined);
});

test('rr rotates exactly evenly and skips weight 0', () => {
  const s = newScheduler('rr');
  const list = servers([{}, { weight: 0 }, {}, {}]);
  const picks = Array.from({ length: 9 }, () => s.pick(list, req()));
  assert.equal(keys(picks), '134134134');
});

test('rr continues from the removed server position', () => {
  const s = newScheduler('rr');
  const list = servers([{}, {}, {}]);
  assert.equal(keys([s.pick(list, req()), s.pick(list, req())]), '12');
  const without2 = list.filter((x) => x.ip !== '10.0.0.2');
  assert.equal(keys([s.pick(without2, req()), s.pick(without2, req())]), '31');
});

test('wrr interleaves by weight, higher weights first', () => {
  const s = newScheduler('wrr');
  const list = servers([{ weight: 3 }, { weight: 1 }, { weight: 2 }]);
  const picks = Array.from({ length: 12 }, () => s.pick(list, req()));
  const counts = [0, 0, 0];
  for (const p of picks) counts[Number(p!.ip.split('.')[3]) - 1]++;
  assert.deepEqual(counts, [6, 2, 4]);
  assert.equal(keys(picks.slice(0, 6)), '113123');
  assert.equal(newScheduler('wrr').pick(servers([{ weight: 0 }]), req()), undefined);
});

test('wrr with equal weights is plain round robin', () => {
  const s = newScheduler('wrr');
  const list = servers([{ weight: 2 }, { weight: 2 }]);
  assert.equal(keys(Array.from({ length: 4 }, () => s.pick(list, req()))), '1212');
});

test('lc picks the fewest active connections; inactive count as 1/256', () => {
  const s = newScheduler('lc');
  assert.equal(s.pick(servers([{ activeConns: 3 }, { activeConns: 1 }, { activeConns: 2 }]), req())!.ip, '10.0.0.2');
  assert.equal(s.pick(servers([{ activeConns: 1, inactiveConns: 5 }, { activeConns: 1 }]), req())!.ip, '10.0.0.2');
  assert.equal(s.pick(servers([{ activeConns: 0, inactiveConns: 300 }, { activeConns: 1 }]), req())!.ip, '10.0.0.2');
  assert.equal(s.pick(servers([{ activeConns: 0, weight: 0 }, { activeConns: 9 }]), req())!.ip, '10.0.0.2');
});

test('wlc divides by weight', () => {
  const s = newScheduler('wlc');
  // 4/2 = 2 < 3/1
  assert.equal(s.pick(servers([{ activeConns: 3, weight: 1 }, { activeConns: 4, weight: 2 }]), req())!.ip, '10.0.0.2');
  assert.equal(s.pick(servers([{ activeConns: 1, weight: 1 }, { activeConns: 4, weight: 2 }]), req())!.ip, '10.0.0.1');
});

test('sed uses (C+1)/W; nq prefers an idle server', () => {
  // sed: (0+1)/1 = 1 vs (1+1)/10 = 0.2 → the busy heavy server.
  const list = servers([{ activeConns: 0, weight: 1 }, { activeConns: 1, weight: 10 }]);
  assert.equal(newScheduler('sed').pick(list, req())!.ip, '10.0.0.2');
  assert.equal(newScheduler('wlc').pick(list, req())!.ip, '10.0.0.1');
  assert.equal(newScheduler('nq').pick(list, req())!.ip, '10.0.0.1');
  const busy = servers([{ activeConns: 2, weight: 1 }, { activeConns: 1, weight: 10 }]);
  assert.equal(newScheduler('nq').pick(busy, req())!.ip, '10.0.0.2');
});

test('sh is stable per source IP and spreads sources', () => {
  const s = newScheduler('sh');
  const list = servers([{}, {}, {}]);
  const seen = new Set<string>();
  for (let i = 1; i < 60; i++) {
    const ip = `192.0.2.${i}`;
    const first = s.pick(list, req(ip))!.key;
    for (let j = 0; j < 3; j++) assert.equal(s.pick(list, req(ip))!.key, first);
    seen.add(first);
  }
  assert.equal(seen.size, 3);
});

test('sh fills weight buckets per server and refuses an unavailable bucket', () => {
  const s = newScheduler('sh');
  const heavy = servers([{ weight: 3 }, { weight: 1 }]);
  let first = 0;
  for (let i = 0; i < 256; i++) if (s.pick(heavy, req(`198.51.100.${i}`))!.ip === '10.0.0.1') first++;
  assert.ok(first > 150 && first < 230, `weight-3 server got ${first}/256`);
  const drained = servers([{ weight: 0 }]);
  assert.equal(s.pick(drained, req()), undefined);
});

test('dh is stable per destination IP', () => {
  const s = newScheduler('dh');
  const list = servers([{}, {}, {}]);
  const a = s.pick(list, req('192.0.2.1', '10.96.0.10'))!.key;
  assert.equal(s.pick(list, req('192.0.2.99', '10.96.0.10'))!.key, a);
  const dests = new Set(Array.from({ length: 30 }, (_, i) => s.pick(list, req('192.0.2.1', `10.96.0.${i}`))!.key));
  assert.equal(dests.size, 3);
});

test('lblc keeps a destination on its server until it is overloaded', () => {
  const s = newScheduler('lblc');
  const list = servers([{ weight: 4 }, { weight: 4 }]);
  const first = s.pick(list, req('192.0.2.1', '10.96.0.10'))!;
  assert.equal(first.ip, '10.0.0.1');
  const loaded = servers([{ weight: 4, activeConns: 3 }, { weight: 4, activeConns: 0 }]);
  assert.equal(s.pick(loaded, req('192.0.2.1', '10.96.0.10'))!.ip, '10.0.0.1'); // 3 ≤ 4: not overloaded
  const over = servers([{ weight: 4, activeConns: 5 }, { weight: 4, activeConns: 1 }]);
  assert.equal(s.pick(over, req('192.0.2.1', '10.96.0.10'))!.ip, '10.0.0.2');
  assert.equal(s.pick(loaded, req('192.0.2.1', '10.96.0.10'))!.ip, '10.0.0.2'); // remembered
});

test('addrFold handles IPv4 and IPv6', () => {
  assert.equal(addrFold('10.0.0.1'), 0x0a000001);
  assert.equal(addrFold('255.255.255.255'), 0xffffffff);
  assert.equal(addrFold('::1'), 1);
  assert.equal(addrFold('2001:db8::1'), (0x20010db8 ^ 1) >>> 0);
});
