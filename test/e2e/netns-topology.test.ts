/**
 * netns mode, the host side: nodes are network namespaces on one bridge, reached from the machine through
 * the cluster's own veth; NodePort from the machine and --port-mapping onto 127.0.0.1; a restart after kill -9
 * adopts what the dead run left; a range that overlaps a route the machine has is refused.
 * Runs as root only (it says so when skipped). Every 10.x request is preceded by the route check.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { run, skiffBin, TestCluster } from '../support/cluster.js';
import { claimAddressBlock } from '../support/address-block.js';
import { leftoversOf, netnsSkipReason } from '../support/netns.js';
import { freePort, waitFor } from '../support/ports.js';

const skip = await netnsSkipReason();

describe('skiff server --network netns (host topology)', { skip }, () => {
  let cluster: TestCluster;
  let mappedPort = 0;
  let nodePort = 0;
  const backends: ChildProcess[] = [];

  before(async () => {
    mappedPort = await freePort();
    const block = await claimAddressBlock();
    // a NodePort of this cluster alone (block octet 150-249)
    nodePort = 30000 + block.octet * 10;
    cluster = await TestCluster.start({ network: 'netns', nodes: 2, block, extraArgs: ['--port-mapping', `${mappedPort}:${nodePort}`] });
  });
  after(async () => {
    for (const b of backends) b.kill('SIGKILL');
    await cluster?.destroy();
  });

  const n = () => cluster.netns!;
  const inNode = (k: number, cmd: string[]) => run('ip', ['netns', 'exec', `skiff-${n().clusterName}-n${k}`, ...cmd]);

  it('says it runs in netns mode and why', () => {
    assert.match(cluster.logs, /network mode: netns \(--network netns\)/);
    assert.match(cluster.logs, new RegExp(`netns topology of cluster ${n().clusterName} ready in \\d+ ms: skf-${n().clusterName} ${n().hostIP.replace(/\./g, '\\.')}/24`));
  });

  it('registers one Ready node per node namespace, with the node IPs of --node-cidr', async () => {
    const rows = await waitFor('2 Ready nodes', async () => {
      const out = await cluster.k('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address} {.status.conditions[?(@.type=="Ready")].status} {.spec.podCIDR}{"\\n"}{end}');
      const r = out.trim().split('\n').map((l) => l.split(' '));
      return r.length === 2 && r.every((x) => x[1] === 'True' && x[2]) ? r : undefined;
    }, 30_000);
    assert.deepEqual(rows.map((r) => r[0]).sort(), [n().nodeIP(1), n().nodeIP(2)]);
    for (const r of rows) assert.ok(r[2]!.startsWith(cluster.clusterCIDR.split('.').slice(0, 2).join('.') + '.'), `podCIDR ${r[2]} in ${cluster.clusterCIDR}`);
  });

  it('routes node IPs, pods, services and the pool through skf-C, with unreachable routes under them', async () => {
    for (const addr of [n().nodeIP(1), n().nodeIP(2), cluster.serviceCIDR.replace(/0\/\d+$/, '1'), cluster.clusterCIDR.replace(/0\/\d+$/, '5'), n().lbPool.replace(/\d+\/\d+$/, '200')]) await cluster.assertRouted(addr);
    const routes = (await run('ip', ['-4', 'route', 'show'])).stdout;
    for (const r of cluster.ranges) assert.match(routes, new RegExp(`unreachable ${r.replace(/\./g, '\\.')} metric 4242`));
  });

  it('routes each node\'s podCIDR to the other node (host-gw)', async () => {
    const cidrs = (await cluster.k('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.status.addresses[?(@.type=="InternalIP")].address}={.spec.podCIDR} {end}')).trim().split(' ').map((x) => x.split('='));
    const byIP = new Map(cidrs.map(([ip, c]) => [ip!, c!]));
    const r1 = (await inNode(1, ['ip', 'route'])).stdout;
    const r2 = (await inNode(2, ['ip', 'route'])).stdout;
    assert.match(r1, new RegExp(`${byIP.get(n().nodeIP(2))!.replace(/\./g, '\\.')} via ${n().nodeIP(2).replace(/\./g, '\\.')} dev eth0`));
    assert.match(r2, new RegExp(`${byIP.get(n().nodeIP(1))!.replace(/\./g, '\\.')} via ${n().nodeIP(1).replace(/\./g, '\\.')} dev eth0`));
    assert.match(r1, new RegExp(`default via ${n().hostIP.replace(/\./g, '\\.')} dev eth0`));
    // sysctls and the masquerade rule live inside the node netns
    assert.equal((await inNode(1, ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim(), '1');
    assert.equal((await inNode(1, ['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables'])).stdout.trim(), '1');
    assert.match((await inNode(1, ['iptables-save', '-t', 'nat'])).stdout, /-A SKIFF-POSTROUTING -s \S+ ! -d 224\.0\.0\.0\/4 -j MASQUERADE/);
  });

  it('reaches the kubelets on the node IPs from the machine and node to node', async () => {
    for (const k of [1, 2]) {
      await cluster.assertRouted(n().nodeIP(k));
      const r = await run('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `https://${n().nodeIP(k)}:10250/healthz`]);
      assert.match(r.stdout, /^(200|401)$/, `kubelet on node ${k}: ${r.stdout} ${r.stderr}`);
    }
    const r = await inNode(1, ['curl', '-sk', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `https://${n().nodeIP(2)}:10250/healthz`]);
    assert.match(r.stdout, /^(200|401)$/);
  });

  it('answers a NodePort from the machine on every node IP and on 127.0.0.1 through --port-mapping', async () => {
    // a backend inside node 2's namespace, behind a selectorless NodePort Service
    const backendPort = 18080;
    const b = spawn('ip', ['netns', 'exec', `skiff-${n().clusterName}-n2`, process.execPath, '-e', `require('http').createServer((q,s)=>s.end('hello from node 2\\n')).listen(${backendPort}, '${n().nodeIP(2)}', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    backends.push(b);
    await new Promise<void>((r) => b.stdout!.once('data', () => r()));
    const manifest = `apiVersion: v1
kind: Service
metadata: {name: np}
spec:
  type: NodePort
  ports: [{port: 80, targetPort: ${backendPort}, nodePort: ${nodePort}}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: np-1, labels: {kubernetes.io/service-name: np}}
addressType: IPv4
ports: [{port: ${backendPort}, protocol: TCP, name: ""}]
endpoints: [{addresses: ["${n().nodeIP(2)}"], conditions: {ready: true}}]
`;
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(applied.code, 0, applied.stderr);
    for (const k of [1, 2]) {
      await cluster.assertRouted(n().nodeIP(k));
      const body = await waitFor(`NodePort on node ${k}`, async () => {
        const r = await run('curl', ['-s', '--max-time', '3', `http://${n().nodeIP(k)}:${nodePort}/`]);
        return r.code === 0 && r.stdout ? r.stdout : undefined;
      }, 20_000, 200);
      assert.equal(body, 'hello from node 2\n');
    }
    const local = await run('curl', ['-s', '--max-time', '3', `http://127.0.0.1:${mappedPort}/`]);
    assert.equal(local.stdout, 'hello from node 2\n');
    assert.match(cluster.logs, new RegExp(`port mapping: 127\\.0\\.0\\.1:${mappedPort} -> ${n().nodeIP(1).replace(/\./g, '\\.')}:${nodePort}`));
  });

  it('restarts a node agent that dies, in its node namespace', async () => {
    const name = (await cluster.k('get', 'nodes', '-o', `jsonpath={.items[?(@.status.addresses[0].address=="${n().nodeIP(2)}")].metadata.name}`)).trim();
    const pid = Number(new RegExp(`node ${name}: agent pid (\\d+) ready in netns skiff-${n().clusterName}-n2`).exec(cluster.logs)?.[1]);
    assert.ok(pid > 0, `agent pid of ${name} in the log`);
    process.kill(pid, 'SIGKILL');
    await waitFor('the agent restarted', () => new RegExp(`node ${name}: agent exited \\(SIGKILL\\); restarting in 1s[\\s\\S]*node ${name}: agent pid (?!${pid}\\b)\\d+ ready in netns skiff-${n().clusterName}-n2`).test(cluster.logs) || undefined, 30_000, 100);
    await cluster.assertRouted(n().nodeIP(2));
    const r = await run('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `https://${n().nodeIP(2)}:10250/healthz`]);
    assert.match(r.stdout, /^(200|401)$/);
  });

  it('refuses a second cluster whose ranges overlap this one\'s routes, and leaves nothing of it', async () => {
    const other = `${n().clusterName}x`.slice(0, 5);
    const r = await run(process.execPath, [skiffBin, 'server', '--network', 'netns', '--cluster-name', other, '--data-dir', `${cluster.dataDir}/other`, '--https-listen-port', String(await freePort()),
      '--write-kubeconfig', `${cluster.dataDir}/other/kc`, '--node-cidr', n().nodeCIDR, '--cluster-cidr', cluster.clusterCIDR, '--service-cidr', cluster.serviceCIDR], { timeoutMs: 30_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`refusing to start in netns mode: ${n().nodeCIDR.replace(/\./g, '\\.')} overlaps the machine's route ${n().nodeCIDR.replace(/\./g, '\\.')} dev skf-${n().clusterName}`));
    assert.deepEqual(await leftoversOf(other, []), []);
  });

  it('after kill -9 of the server, a restart adopts what the dead run left (netns-restart-lb.test.ts: its pods too)', async () => {
    const before = (await run('ip', ['netns', 'list'])).stdout;
    await cluster.kill9();
    // the dead run's namespaces and links are still there...
    assert.ok((await leftoversOf(n().clusterName, cluster.ranges)).length > 0);
    assert.match(before, new RegExp(`skiff-${n().clusterName}-n2`));
    // ...and the node agents go once their pipe to the server closes
    await cluster.restart();
    assert.match(cluster.logs, new RegExp(`adopting the netns topology of cluster ${n().clusterName} left by skiff pid \\d+: skiff-${n().clusterName}, skiff-${n().clusterName}-n1, skiff-${n().clusterName}-n2`));
    await waitFor('2 Ready nodes again', async () => {
      const out = await cluster.k('get', 'nodes', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}');
      return out.trim() === 'True True' ? true : undefined;
    }, 60_000, 250);
    await cluster.assertRouted(n().nodeIP(2));
    const r = await run('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `https://${n().nodeIP(2)}:10250/healthz`]);
    assert.match(r.stdout, /^(200|401)$/);
  });
});
