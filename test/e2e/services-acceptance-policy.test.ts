/**
 * Issue 4's acceptance, part 2, with REAL echo pods on a 2-node cluster whose proxy runs the IPVS `rr`
 * scheduler: exact round robin, a UDP Service, and externalTrafficPolicy Local (a node's IP reaches only
 * that node's pods; the healthCheckNodePort answers as kube-proxy's). Real kubectl and curl.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { run, TestCluster } from '../support/cluster.js';
import { parseTable } from '../support/kubectl.js';
import { connectOutcome, curlHostnames, podProcesses, tally } from '../support/net-tools.js';
import { waitFor } from '../support/ports.js';

const nodes = [`acc-${process.pid}`, `acc-${process.pid}-2`];

/** An echo pod placed on a node, with HTTP on 8080 and UDP echo on 9999. */
const echoPod = (name: string, app: string, node: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ${app}}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 2
  containers:
  - name: echo
    image: skiff/echo
    env: [{name: PORT, value: "8080"}, {name: UDP_PORTS, value: "9999"}]
    ports: [{name: http, containerPort: 8080}, {name: udp, containerPort: 9999, protocol: UDP}]
    readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}
`;

/** Sends `payload` over UDP from a fresh socket and waits for the reply. */
function udpExchange(host: string, port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => { sock.close(); reject(new Error(`no UDP reply from ${host}:${port}`)); }, 2000);
    sock.on('message', (m) => { clearTimeout(timer); sock.close(); resolve(m.toString()); });
    sock.on('error', (err) => { clearTimeout(timer); sock.close(); reject(err); });
    sock.send(payload, port, host);
  });
}

describe('proxy scheduling and traffic policies with real pods (2 nodes, --proxy-scheduler rr)', () => {
  let c: TestCluster;
  /** The nodes' IPs, 127.S.0.1 and .2 of the cluster's own address block (address-block.ts). */
  let nodeIPs: string[];
  const apply = async (text: string) => c.kubectl(['apply', '-f', '-'], { input: text }).then((r) => assert.equal(r.code, 0, r.stderr));
  const jsonpath = async (kind: string, name: string, path: string) => (await c.k('get', kind, name, '-o', `jsonpath={${path}}`)).trim();
  const readyCount = async (svc: string): Promise<number> => {
    const out = JSON.parse(await c.k('get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`, '-o', 'json'));
    return out.items.flatMap((s: { endpoints?: Array<{ conditions?: { ready?: boolean } }> }) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false)).length;
  };

  before(async () => {
    // loopback mode: the userspace proxy's exact rr turns, and node IPs 127.S.0.1/.2 that the test dials from the machine
    c = await TestCluster.start({
      network: 'loopback',
      nodes: 2,
      extraArgs: ['--node-name', nodes[0]!, '--proxy-scheduler', 'rr', '--disable', 'traefik', '--disable', 'coredns'],
    });
    nodeIPs = [c.nodeIP, c.nodeIP.replace(/\.1$/, '.2')];
    await waitFor('2 Ready nodes', async () => {
      const rows = parseTable(await c.k('get', 'nodes', '-o', 'wide'));
      return rows.filter((r) => r.STATUS === 'Ready').map((r) => `${r.NAME} ${r['INTERNAL-IP']}`).sort().join(',') === `${nodes[0]} ${nodeIPs[0]},${nodes[1]} ${nodeIPs[1]}` || undefined;
    });
  });
  after(async () => {
    await c?.destroy();
    if (c) assert.deepEqual(podProcesses(`127.${c.octet}.`), [], 'no pod process outlives the cluster');
  });

  it('rr: 300 requests over 3 echo replicas land exactly 100/100/100, in turn', async () => {
    await apply(['rr-a', 'rr-b', 'rr-c'].map((n, i) => echoPod(n, 'rr', nodes[i % 2]!)).join('---'));
    await apply('apiVersion: v1\nkind: Service\nmetadata: {name: rr}\nspec:\n  selector: {app: rr}\n  ports: [{port: 80, targetPort: 8080}]\n');
    await c.k('wait', '--for=condition=Ready', 'pod/rr-a', 'pod/rr-b', 'pod/rr-c', '--timeout=60s');
    await waitFor('3 ready endpoints', async () => (await readyCount('rr')) === 3 || undefined);
    const ip = await jsonpath('svc', 'rr', '.spec.clusterIP');
    const names = await waitFor('all 3 pods in the proxy', async () => {
      const probe = await curlHostnames(`http://${ip}`, 3);
      return new Set(probe).size === 3 ? probe : undefined;
    }, 5000);
    assert.equal(new Set(names).size, 3);
    const seq = await curlHostnames(`http://${ip}`, 300);
    assert.deepEqual(Object.fromEntries(tally(seq)), { 'rr-a': 100, 'rr-b': 100, 'rr-c': 100 });
    // round robin is a fixed rotation: every window of 3 consecutive requests covers all 3 pods
    for (let i = 0; i + 3 <= seq.length; i++) assert.equal(new Set(seq.slice(i, i + 3)).size, 3, `requests ${i}..${i + 2}: ${seq.slice(i, i + 3)}`);
  });

  it('a UDP Service carries datagrams to the echo pods (ClusterIP and NodePort)', async () => {
    await apply('apiVersion: v1\nkind: Service\nmetadata: {name: udp}\nspec:\n  type: NodePort\n  selector: {app: rr}\n  ports: [{name: echo, protocol: UDP, port: 53, targetPort: udp}]\n');
    await waitFor('3 ready UDP endpoints', async () => (await readyCount('udp')) === 3 || undefined);
    assert.equal(parseTable(await c.k('get', 'svc', 'udp')).find((r) => r.NAME === 'udp')?.['PORT(S)'], `53:${await jsonpath('svc', 'udp', '.spec.ports[0].nodePort')}/UDP`);
    const ip = await jsonpath('svc', 'udp', '.spec.clusterIP');
    const nodePort = Number(await jsonpath('svc', 'udp', '.spec.ports[0].nodePort'));
    for (const [host, port] of [[ip, 53], [nodeIPs[0]!, nodePort], [nodeIPs[1]!, nodePort]] as const) {
      for (let i = 0; i < 3; i++) {
        const payload = `hello ${host}:${port} #${i}`;
        assert.equal(await waitFor(`UDP echo via ${host}:${port}`, () => udpExchange(host, port, payload), 5000), payload);
      }
    }
    // the same UDP port over TCP is not a Service port: nothing answers there
    const tcp = await connectOutcome(ip, 53);
    assert.ok(tcp.error === 'ECONNREFUSED' || tcp.error === 'ECONNRESET', `TCP to a UDP-only port: ${tcp.error}`);
  });

  it("externalTrafficPolicy Local: a node's IP reaches only the pods on that node", async () => {
    await apply([echoPod('local-a', 'local', nodes[0]!), echoPod('local-b', 'local', nodes[1]!), echoPod('local-a2', 'local', nodes[0]!)].join('---'));
    await apply('apiVersion: v1\nkind: Service\nmetadata: {name: local}\nspec:\n  type: LoadBalancer\n  externalTrafficPolicy: Local\n  selector: {app: local}\n  ports: [{port: 80, targetPort: 8080}]\n');
    await c.k('wait', '--for=condition=Ready', 'pod/local-a', 'pod/local-b', 'pod/local-a2', '--timeout=60s');
    await waitFor('3 ready endpoints', async () => (await readyCount('local')) === 3 || undefined);
    const rows = new Map(parseTable(await c.k('get', 'pods', '-l', 'app=local', '-o', 'wide')).map((r) => [r.NAME, r.NODE]));
    assert.deepEqual(Object.fromEntries(rows), { 'local-a': nodes[0], 'local-a2': nodes[0], 'local-b': nodes[1] });
    const nodePort = await jsonpath('svc', 'local', '.spec.ports[0].nodePort');
    const hcPort = await jsonpath('svc', 'local', '.spec.healthCheckNodePort');
    assert.match(hcPort, /^\d+$/, 'a Local LoadBalancer Service gets a healthCheckNodePort');

    const viaA = tally(await waitFor('both local pods via node A', async () => {
      const names = await curlHostnames(`http://${nodeIPs[0]}:${nodePort}`, 4);
      return new Set(names).size === 2 ? names : undefined;
    }, 5000));
    assert.deepEqual([...viaA.keys()].sort(), ['local-a', 'local-a2']);
    assert.deepEqual(Object.fromEntries(tally(await curlHostnames(`http://${nodeIPs[0]}:${nodePort}`, 60))), { 'local-a': 30, 'local-a2': 30 });
    assert.deepEqual(Object.fromEntries(tally(await curlHostnames(`http://${nodeIPs[1]}:${nodePort}`, 60))), { 'local-b': 60 });
    // the ClusterIP is not subject to externalTrafficPolicy: it balances over all three
    const cip = await jsonpath('svc', 'local', '.spec.clusterIP');
    assert.deepEqual(Object.fromEntries(tally(await curlHostnames(`http://${cip}`, 60))), { 'local-a': 20, 'local-a2': 20, 'local-b': 20 });

    // kube-proxy's health check: 200 with the local endpoint count where pods are, 503 elsewhere
    const health = async (ip: string) => {
      const r = await run('curl', ['-sS', '--max-time', '5', '-w', '\n%{http_code}', `http://${ip}:${hcPort}/`]);
      assert.equal(r.code, 0, r.stderr);
      const [body, code] = [r.stdout.slice(0, r.stdout.lastIndexOf('\n')), r.stdout.slice(r.stdout.lastIndexOf('\n') + 1)];
      return { code, body: JSON.parse(body) as { localEndpoints: number; service: { name: string } } };
    };
    assert.deepEqual(await health(nodeIPs[0]!), { code: '200', body: { service: { namespace: 'default', name: 'local' }, localEndpoints: 2, serviceProxyHealthy: true } });
    assert.equal((await health(nodeIPs[1]!)).body.localEndpoints, 1);

    // node B loses its only pod: its NodePort no longer reaches anything (no fallback to node A's pods)
    await c.k('delete', 'pod', 'local-b', '--wait=true');
    await waitFor('node B health check turns 503', async () => (await health(nodeIPs[1]!)).code === '503' || undefined, 5000);
    const r = await run('curl', ['-sS', '--max-time', '2', `http://${nodeIPs[1]}:${nodePort}/`]);
    assert.notEqual(r.code, 0, `node B with no local endpoints answered: ${r.stdout}`);
    assert.deepEqual([...tally(await curlHostnames(`http://${nodeIPs[0]}:${nodePort}`, 20)).keys()].sort(), ['local-a', 'local-a2']);
  });
});
