import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CmdResult, Runner } from './exec.js';
import { planTopology } from './plan.js';
import { HostNetwork } from './topology.js';

const plan = planTopology({ cluster: 'u1', nodes: 2, nodeCIDR: '10.41.0.0/24', clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16', lbPool: '10.41.0.128/25' });

/** A fake iproute2: records every command (batch lines one by one) and answers from `routes`/`netns`. */
function fake(o: { routes?: object[]; netns?: string[]; link?: boolean } = {}): { run: Runner; log: string[] } {
  const log: string[] = [];
  const ok = (stdout = ''): CmdResult => ({ code: 0, stdout, stderr: '' });
  const run: Runner = async (cmd, args, input) => {
    if (args.includes('-batch')) {
      const ns = args[0] === '-n' ? `[${args[1]}] ` : '';
      for (const l of (input ?? '').split('\n').filter(Boolean)) log.push(`${ns}${l}`);
      return ok();
    }
    const line = `${cmd} ${args.join(' ')}`;
    log.push(line);
    if (line === 'ip netns list') return ok((o.netns ?? []).join('\n'));
    if (line.startsWith('ip -j -4 route show')) return ok(JSON.stringify(o.routes ?? []));
    if (line.startsWith('ip link show dev')) return { code: o.link ? 0 : 1, stdout: '', stderr: '' };
    return ok();
  };
  return { run, log };
}

test('the unreachable safety routes come first, the routes via skf-C last', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hostnet-'));
  try {
    const f = fake({ routes: [{ dst: 'default', dev: 'eth0' }, { dst: '192.0.2.0/24', dev: 'eth0' }] });
    const h = new HostNetwork({ plan, stateFile: join(dir, 'server', 'hostnet.json'), lockDir: dir, run: f.run });
    await h.create();
    const first = f.log.findIndex((l) => l.startsWith('route add unreachable'));
    const netns = f.log.findIndex((l) => l.startsWith('netns add'));
    const via = f.log.findIndex((l) => l.startsWith('route replace 10.42.0.0/16 via 10.41.0.2 dev skf-u1'));
    assert.ok(first >= 0 && first < netns && netns < via, f.log.join('\n'));
    assert.deepEqual(f.log.filter((l) => l.startsWith('route add unreachable')), plan.ranges.map((r) => `route add unreachable ${r} metric 4242`));
    assert.ok(f.log.includes('[skiff-u1-n2] addr add 10.41.0.3/24 dev eth0'));
    assert.ok(f.log.includes('[skiff-u1-n1] route add local 10.43.0.0/16 dev lo'));
    assert.ok(f.log.includes('ip netns exec skiff-u1-n1 sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1'));
    // nothing in the machine's own namespace but skiff's link, routes and namespaces
    assert.deepEqual(f.log.filter((l) => /sysctl|iptables|nft/.test(l) && !l.startsWith('ip netns exec skiff-u1-n')), []);
    const state = JSON.parse(await readFile(join(dir, 'server', 'hostnet.json'), 'utf8'));
    assert.deepEqual(state.unreachable, plan.ranges);
    // shutdown: the namespaces (deepest first) and the link, then the recorded routes
    f.log.length = 0;
    const g = fake({ netns: ['skiff-u1', 'skiff-u1-n1', 'skiff-u1-n1-0123456789', 'skiff-u12-n1'], link: true });
    await new HostNetwork({ plan, stateFile: join(dir, 'server', 'hostnet.json'), lockDir: dir, run: g.run }).destroy();
    const dels = g.log.filter((l) => l.startsWith('netns del') || l.startsWith('link del') || l.startsWith('route del'));
    assert.deepEqual(dels.slice(0, 4), ['link del skf-u1', 'netns del skiff-u1-n1-0123456789', 'netns del skiff-u1-n1', 'netns del skiff-u1']);
    assert.deepEqual(dels.slice(4), plan.ranges.map((r) => `route del unreachable ${r} metric 4242`));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a range overlapping a route the machine has is refused before anything is made', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hostnet-'));
  try {
    const f = fake({ routes: [{ dst: '10.42.7.0/24', dev: 'wg0' }] });
    const h = new HostNetwork({ plan, stateFile: join(dir, 'hostnet.json'), lockDir: dir, run: f.run });
    await assert.rejects(h.create(), /refusing to start in netns mode: 10\.42\.0\.0\/16 overlaps the machine's route 10\.42\.7\.0\/24 dev wg0; choose other ranges/);
    assert.deepEqual(f.log.filter((l) => / add /.test(` ${l}`)), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a restart of the same plan after kill -9 adopts the namespaces and keeps the unreachable routes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hostnet-'));
  try {
    const stateFile = join(dir, 'server', 'hostnet.json');
    await new HostNetwork({ plan, stateFile, lockDir: dir, run: fake().run }).create();
    // the dead run's pid is gone; its namespaces, a pod's and one of a node the plan no longer has remain
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    await writeFile(stateFile, JSON.stringify({ ...state, pid: 999_999_999 }));
    const f = fake({ netns: ['skiff-u1', 'skiff-u1-n1', 'skiff-u1-n1-0123456789', 'skiff-u1-n2', 'skiff-u1-n3', 'skiff-u1-n3-abcdef0123'], link: true });
    assert.equal(await new HostNetwork({ plan, stateFile, lockDir: dir, run: f.run }).create(), true);
    assert.deepEqual(f.log.filter((l) => /^(netns|link) (add|del)|route (add|del)/.test(l)), ['netns del skiff-u1-n3-abcdef0123', 'netns del skiff-u1-n3']);
    assert.ok(f.log.includes('route replace 10.42.0.0/16 via 10.41.0.2 dev skf-u1'), f.log.join('\n'));
    assert.equal(JSON.parse(await readFile(stateFile, 'utf8')).pid, process.pid);
    // another plan (other ranges) is not adopted: everything is removed and built afresh
    const other = planTopology({ ...plan.spec, serviceCIDR: '10.44.0.0/16' });
    const g = fake({ netns: ['skiff-u1', 'skiff-u1-n1', 'skiff-u1-n2'], link: true });
    assert.equal(await new HostNetwork({ plan: other, stateFile, lockDir: dir, run: g.run }).create(), false);
    assert.ok(g.log.includes('netns del skiff-u1') && g.log.includes('netns add skiff-u1'), g.log.join('\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('user pool routes: unreachable per pool (recorded, removed with the rest), /32 via the first node; own routes never count as overlaps', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hostnet-'));
  try {
    const stateFile = join(dir, 'server', 'hostnet.json');
    const routes = [{ dst: 'default', dev: 'eth0' }, { dst: '192.0.2.0/24', dev: 'eth0' }, { dst: '198.18.0.250', type: 'unreachable', metric: 4242 }, { dst: '198.18.0.240/29', dev: 'skf-u1' }];
    const f = fake({ routes });
    const h = new HostNetwork({ plan, stateFile, lockDir: dir, run: f.run });
    await h.create();
    assert.equal(await h.overlappingRoute('192.0.2.128/25'), '192.0.2.0/24 dev eth0');
    assert.equal(await h.overlappingRoute('198.18.0.250/32'), '198.18.0.250 unreachable (another skiff cluster)');
    f.log.length = 0;
    await h.setPoolRoutes({ unreachable: ['198.18.0.240/29', '198.18.0.250/32'], hosts: ['198.18.0.241'], previousHosts: [] });
    assert.deepEqual(f.log, ['route replace unreachable 198.18.0.240/29 metric 4242', 'route replace unreachable 198.18.0.250/32 metric 4242', 'route replace 198.18.0.241/32 via 10.41.0.2 dev skf-u1']);
    // recorded: now its own unreachable route is no overlap
    assert.equal(await h.overlappingRoute('198.18.0.250/32'), undefined);
    f.log.length = 0;
    await h.setPoolRoutes({ unreachable: ['198.18.0.240/29'], hosts: [], previousHosts: ['198.18.0.241'] });
    assert.deepEqual(f.log, ['route del 198.18.0.241/32 dev skf-u1', 'route del unreachable 198.18.0.250/32 metric 4242']);
    f.log.length = 0;
    await h.destroy();
    assert.ok(f.log.includes('route del unreachable 198.18.0.240/29 metric 4242'), f.log.join('\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
