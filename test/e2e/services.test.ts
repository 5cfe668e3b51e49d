/**
 * Services carry real traffic: the real skiff server (EndpointSlice/Endpoints/LoadBalancer controllers
 * and the userspace proxy) driven by the real kubectl and curl. Pods do not run here: the test creates
 * them bound to a Node it made (so no kubelet touches them), writes their status through pods/status,
 * and serves their traffic itself from sockets bound to the pod IPs.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { claimAddressBlock, spareAddress, type AddressBlock } from '../support/address-block.js';
import { run, TestCluster, type ClusterOptions } from '../support/cluster.js';
import { inCidr } from '../support/kubectl.js';
import { waitFor } from '../support/ports.js';

// Each cluster takes its own 127.S.0.0/16 block (address-block.ts); the fake pods' IPs and the test's
// client addresses are spare addresses of that block, which the cluster itself never uses.
/** Fake pod n's IP in block `octet` (the backends bind it before the cluster starts). */
const podIP = (octet: number, n: number) => spareAddress(octet, n);
const nodePortBase = 30000 + (process.pid % 27) * 100;
const fakeNode = `e2e-svc-node-${process.pid}`;

function clusterOptions(block: AddressBlock, extra: string[] = []): ClusterOptions {
  // loopback mode: the fake pods are the test's own servers on spare 127.x addresses of the block
  return { network: 'loopback', block, extraArgs: ['--service-node-port-range', `${nodePortBase}-${nodePortBase + 99}`, ...extra] };
}

/** The addresses in an IPv4 CIDR, less those ending in .0 or .255 when the pool avoids buggy IPs. */
function poolCapacity(cidr: string, avoidBuggyIPs: boolean): number {
  const size = 2 ** (32 - Number(cidr.split('/')[1]));
  const base = Number(cidr.split('/')[0]!.split('.')[3]);
  let buggy = 0;
  for (let i = 0; i < size; i++) if ([0, 255].includes((base + i) % 256)) buggy++;
  return avoidBuggyIPs ? size - buggy : size;
}

/** The address `offset` past the start of an IPv4 CIDR of /24 or longer. */
function nthAddress(cidr: string, offset: number): string {
  const [a, b, c, d] = cidr.split('/')[0]!.split('.').map(Number);
  return `${a}.${b}.${c}.${d! + offset}`;
}

interface Backends {
  close(): Promise<void>;
}

/** HTTP servers answering with their pod name, and UDP servers answering `name:payload`, on each pod IP. */
async function startBackends(octet: number, names: string[], port: number): Promise<Backends> {
  const closers: Array<() => Promise<void>> = [];
  for (const [i, name] of names.entries()) {
    const ip = podIP(octet, i + 2);
    const srv = http.createServer((_req, res) => res.end(name));
    srv.keepAliveTimeout = 100;
    await new Promise<void>((r) => srv.listen(port, ip, r));
    const udp = dgram.createSocket('udp4');
    udp.on('message', (m, r) => udp.send(`${name}:${m}`, r.port, r.address));
    await new Promise<void>((r) => udp.bind(port, ip, r));
    closers.push(async () => {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
      await new Promise<void>((r) => udp.close(() => r()));
    });
  }
  return { close: async () => void (await Promise.all(closers.map((c) => c()))) };
}

function get(host: string, port: number, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, localAddress, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function tally(ids: string[]): Map<string, number> {
  return ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());
}

function podManifest(name: string, app: string, port: number): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app } },
    spec: { nodeName: fakeNode, containers: [{ name: 'echo', image: 'registry.k8s.io/e2e-test-images/agnhost:2.39', ports: [{ name: 'http', containerPort: port }, { name: 'udp', containerPort: port, protocol: 'UDP' }] }] },
  });
}

async function setPodStatus(c: TestCluster, name: string, ip: string, ready: boolean): Promise<void> {
  const status = {
    phase: 'Running', hostIP: c.nodeIP, podIP: ip, podIPs: [{ ip }], startTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }, { type: 'ContainersReady', status: ready ? 'True' : 'False' }],
  };
  await c.k('patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
}

/** The IPs in the Service's EndpointSlices that are ready. */
async function readyIPs(c: TestCluster, svc: string): Promise<string[]> {
  const out = JSON.parse(await c.k('get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`, '-o', 'json'));
  return out.items.flatMap((s: { endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> }) =>
    (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).map((e) => e.addresses[0])).sort();
}

function expectRefused(host: string, port: number): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.on('data', () => reject(new Error('got data, expected a refusal')));
    s.on('error', () => {});
    s.on('close', () => resolve(performance.now() - start));
  });
}

const names = ['echo-a', 'echo-b', 'echo-c'];
const backendPort = 8080;

async function setUpPods(c: TestCluster): Promise<void> {
  await c.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: fakeNode }, status: { addresses: [{ type: 'InternalIP', address: c.nodeIP }] } }) });
  for (const [i, n] of names.entries()) {
    const r = await c.kubectl(['create', '-f', '-'], { input: podManifest(n, 'echo', backendPort) });
    assert.equal(r.code, 0, r.stderr);
    await setPodStatus(c, n, podIP(c.octet, i + 2), true);
  }
}

async function clusterIPOf(c: TestCluster, svc: string): Promise<string> {
  return (await c.k('get', 'svc', svc, '-o', 'jsonpath={.spec.clusterIP}')).trim();
}

/** Creates a Service selecting the echo pods (kubectl create service would select app=<name>). */
async function createService(c: TestCluster, name: string, spec: Record<string, unknown>): Promise<void> {
  const manifest = { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: 'echo' }, ...spec } };
  const r = await c.kubectl(['create', '-f', '-'], { input: JSON.stringify(manifest) });
  assert.equal(r.code, 0, r.stderr);
}

async function exposeAndWait(c: TestCluster, name: string, spec: Record<string, unknown>, expectReady: number): Promise<string> {
  await createService(c, name, spec);
  const svc = name;
  await waitFor(`${expectReady} ready endpoints for ${svc}`, async () => ((await readyIPs(c, svc)).length === expectReady ? true : undefined), 10_000);
  return clusterIPOf(c, svc);
}

describe('Services carry traffic (random scheduler)', { timeout: 180_000 }, () => {
  let c: TestCluster;
  let backends: Backends;
  before(async () => {
    const block = await claimAddressBlock();
    backends = await startBackends(block.octet, names, backendPort).catch(async (err) => {
      await block.release();
      throw err;
    });
    c = await TestCluster.start(clusterOptions(block));
    await setUpPods(c);
  });
  after(async () => {
    await c?.destroy();
    await backends?.close();
  });

  test('a ClusterIP balances 300 requests over all 3 pods; named targetPort; Endpoints and slices', async () => {
    const ip = await exposeAndWait(c, 'web', { ports: [{ name: 'web', port: 80, targetPort: 'http' }] }, 3);
    assert.deepEqual(await readyIPs(c, 'web'), [podIP(c.octet, 2), podIP(c.octet, 3), podIP(c.octet, 4)]);
    const slice = JSON.parse(await c.k('get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json')).items[0];
    assert.equal(slice.metadata.generateName, 'web-');
    assert.equal(slice.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
    assert.equal(slice.metadata.ownerReferences[0].kind, 'Service');
    assert.deepEqual(slice.ports, [{ name: 'web', port: backendPort, protocol: 'TCP' }]);
    await waitFor('Endpoints object', async () => (await c.k('get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[0].addresses[*].ip}')).trim().split(' ').length === 3 || undefined, 10_000);
    await waitFor('proxy listening', async () => ((await get(ip, 80).catch(() => '')) !== '' ? true : undefined), 10_000);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(await get(ip, 80));
    const counts = tally(ids);
    assert.deepEqual([...counts.keys()].sort(), names);
    for (const [id, n] of counts) assert.ok(n >= 60 && n <= 140, `${id} got ${n}/300`);
    const viaCurl = await run('curl', ['-s', '--max-time', '5', `http://${ip}:80/`]);
    assert.ok(names.includes(viaCurl.stdout), `curl got ${JSON.stringify(viaCurl.stdout)}`);
  });

  test('sessionAffinity ClientIP pins a client to one pod', async () => {
    const ip = await exposeAndWait(c, 'sticky', { ports: [{ port: 81, targetPort: 'http' }] }, 3);
    await c.k('patch', 'svc', 'sticky', '-p', JSON.stringify({ spec: { sessionAffinity: 'ClientIP' } }));
    await waitFor('affinity in effect', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 10; i++) seen.add(await get(ip, 81, c.spare(1, 1)).catch(() => 'x'));
      return seen.size === 1 && !seen.has('x') ? true : undefined;
    }, 10_000);
    for (const client of [c.spare(2, 1), c.spare(3, 1)]) {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add(await get(ip, 81, client));
      assert.equal(seen.size, 1, `${client} saw ${[...seen]}`);
    }
  });

  test('a Service without endpoints refuses at once', async () => {
    await c.k('create', 'service', 'clusterip', 'nobody', '--tcp=82:8080');
    const ip = await clusterIPOf(c, 'nobody');
    await waitFor('the proxy listens for it', async () => {
      const ms = await expectRefused(ip, 82);
      return ms < 1000 ? true : undefined;
    }, 10_000);
    const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `http://${ip}:82/`]);
    assert.notEqual(r.code, 0, 'curl fails');
    assert.ok([7, 56].includes(r.code), `curl exit ${r.code}: refused or reset, not a timeout`);
    const described = await c.k('describe', 'svc', 'nobody');
    assert.match(described, /\nEndpoints: *(<none>)?\n/);
  });

  test('a readiness flip takes a pod out of rotation within one sync, and back', async () => {
    const ip = await clusterIPOf(c, 'web');
    await setPodStatus(c, 'echo-b', podIP(c.octet, 3), false);
    const flipped = performance.now();
    await waitFor('echo-b out of rotation', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 30; i++) ids.add(await get(ip, 80));
      return !ids.has('echo-b') ? true : undefined;
    }, 5_000, 10);
    assert.ok(performance.now() - flipped < 3000, `took ${Math.round(performance.now() - flipped)}ms`);
    const ep = await c.k('get', 'endpoints', 'web', '-o', 'jsonpath={.subsets[0].notReadyAddresses[*].ip}');
    assert.equal(ep.trim(), podIP(c.octet, 3));
    await setPodStatus(c, 'echo-b', podIP(c.octet, 3), true);
    await waitFor('echo-b back', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 30; i++) ids.add(await get(ip, 80));
      return ids.has('echo-b') ? true : undefined;
    }, 5_000, 10);
  });

  test('a NodePort answers on the node IP', async () => {
    await createService(c, 'np', { type: 'NodePort', ports: [{ port: 83, targetPort: 'http' }] });
    const nodePort = Number((await c.k('get', 'svc', 'np', '-o', 'jsonpath={.spec.ports[0].nodePort}')).trim());
    assert.ok(nodePort >= nodePortBase && nodePort < nodePortBase + 100);
    const body = await waitFor('NodePort answers', async () => {
      const b = await get(c.nodeIP, nodePort).catch(() => undefined);
      return b && names.includes(b) ? b : undefined;
    }, 10_000);
    assert.ok(names.includes(body));
  });

  test('a LoadBalancer gets an EXTERNAL-IP from the default pool and carries traffic; describe shows endpoints and events', async () => {
    await createService(c, 'lb', { type: 'LoadBalancer', ports: [{ port: 84, targetPort: 'http' }] });
    const external = await waitFor('EXTERNAL-IP', async () => {
      const line = (await c.k('get', 'svc', 'lb', '--no-headers')).trim().split(/\s+/);
      return line[3] && inCidr(line[3], c.lbPool) ? line[3] : undefined;
    }, 10_000);
    const ann = await c.k('get', 'svc', 'lb', '-o', 'jsonpath={.metadata.annotations.metallb\\.io/ip-allocated-from-pool}');
    assert.equal(ann, 'skiff-default');
    const body = await waitFor('LB IP answers', async () => {
      const b = await get(external, 84).catch(() => undefined);
      return b && names.includes(b) ? b : undefined;
    }, 10_000);
    assert.ok(names.includes(body));
    const described = await waitFor('IPAllocated event', async () => {
      const d = await c.k('describe', 'svc', 'lb');
      return /IPAllocated/.test(d) ? d : undefined;
    }, 10_000);
    assert.match(described, new RegExp(`LoadBalancer Ingress:\\s+${external.replace(/\./g, '\\.')}`));
    assert.match(described, new RegExp(`Endpoints:\\s+${podIP(c.octet, 2).replace(/\./g, '\\.')}:${backendPort}`));
    assert.match(described, new RegExp(`Normal\\s+IPAllocated\\s+.*metallb-controller\\s+Assigned IP \\["${external.replace(/\./g, '\\.')}"\\]`));
    const pool = JSON.parse(await c.k('get', 'ipaddresspools.metallb.io', '-n', 'kube-system', 'skiff-default', '-o', 'json'));
    assert.deepEqual(pool.spec.addresses, [c.lbPool]);
    const used = await waitFor('pool status', async () => {
      const p = JSON.parse(await c.k('get', 'ipaddresspools.metallb.io', '-n', 'kube-system', 'skiff-default', '-o', 'json'));
      const used = p.status?.assignedIPv4;
      return used >= 1 && p.status?.availableIPv4 === poolCapacity(c.lbPool, p.spec.avoidBuggyIPs) - used ? used : undefined;
    }, 10_000);
    // An overlapping pool is rejected as MetalLB's webhook rejects it.
    const overlap = await c.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'clash', namespace: 'kube-system' }, spec: { addresses: [`${nthAddress(c.lbPool, 8)}-${nthAddress(c.lbPool, 9)}`] } }) });
    assert.notEqual(overlap.code, 0);
    assert.match(overlap.stderr, /admission webhook "ipaddresspoolvalidationwebhook.metallb.io" denied the request: CIDR .* overlaps with already defined CIDR/);
    // Deleting the Service gives the address back to the pool.
    await c.k('delete', 'svc', 'lb');
    await waitFor('address released', async () => {
      const p = JSON.parse(await c.k('get', 'ipaddresspools.metallb.io', '-n', 'kube-system', 'skiff-default', '-o', 'json'));
      return p.status?.assignedIPv4 === used - 1 ? true : undefined;
    }, 10_000);
  });

  test('a UDP Service', async () => {
    const ip = await exposeAndWait(c, 'udp', { ports: [{ port: 85, protocol: 'UDP', targetPort: 'udp' }] }, 3);
    const reply = await waitFor('UDP answer', () => udpExchange(ip, 85, 'ping').catch(() => undefined), 10_000);
    assert.match(reply, /^echo-[abc]:ping$/);
  });
});

describe('Services carry traffic (rr scheduler)', { timeout: 120_000 }, () => {
  let c: TestCluster;
  let backends: Backends;
  const names2 = names;
  before(async () => {
    const block = await claimAddressBlock();
    backends = await startBackends(block.octet, names2, backendPort + 1).catch(async (err) => {
      await block.release();
      throw err;
    });
    c = await TestCluster.start(clusterOptions(block, ['--proxy-scheduler', 'rr', '--lb-pool', '']));
    await c.kubectl(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: fakeNode } }) });
    for (const [i, n] of names2.entries()) {
      assert.equal((await c.kubectl(['create', '-f', '-'], { input: podManifest(n, 'echo', backendPort + 1) })).code, 0);
      await setPodStatus(c, n, podIP(c.octet, i + 2), true);
    }
  });
  after(async () => {
    await c?.destroy();
    await backends?.close();
  });

  test('rr spreads 300 requests exactly evenly; no default pool with --lb-pool ""', async () => {
    const ip = await exposeAndWait(c, 'web', { ports: [{ name: 'web', port: 80, targetPort: 'http' }] }, 3);
    await waitFor('proxy listening', async () => ((await get(ip, 80).catch(() => '')) !== '' ? true : undefined), 10_000);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push(await get(ip, 80));
    assert.deepEqual([...tally(ids).values()], [100, 100, 100]);
    const pools = await c.k('get', 'ipaddresspools.metallb.io', '-A', '-o', 'name');
    assert.equal(pools.trim(), '');
    await createService(c, 'lb', { type: 'LoadBalancer', ports: [{ port: 84, targetPort: 'http' }] });
    await waitFor('AllocationFailed event', async () => (/AllocationFailed/.test(await c.k('describe', 'svc', 'lb')) ? true : undefined), 10_000);
    assert.match((await c.k('get', 'svc', 'lb', '--no-headers')), /<pending>/);
  });
});

function udpExchange(host: string, port: number, payload: string): Promise<string> {
  const s = dgram.createSocket('udp4');
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no UDP reply')), 1000);
    s.on('message', (m) => {
      clearTimeout(timer);
      resolve(m.toString());
    });
    s.on('error', reject);
    s.send(payload, port, host);
  }).finally(() => s.close());
}
