// netns mode's half of the outage promise (issue 13): each node's agent runs kube-proxy in its own node netns,
// so while the API server is frozen (SIGSTOP) for 30 s a bounded loop of requests from the machine to a
// NodePort on node 2 and to the ClusterIP (routed through node 1) must not see one failure.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { netnsSkipReason } from '../support/netns.js';
import { waitFor } from '../support/ports.js';

const outageMs = Number(process.env.SKIFF_OUTAGE_SECONDS ?? 30) * 1000;
const skip = await netnsSkipReason();

function fetchOnce(host: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

describe('an API-server outage in netns mode leaves every node serving', { skip }, () => {
  let cluster: TestCluster;
  let stopped = false;

  before(async () => {
    cluster = await TestCluster.start({ network: 'netns', nodes: 2 });
  });
  after(async () => {
    if (stopped && cluster?.pid) process.kill(cluster.pid, 'SIGCONT');
    await cluster?.destroy();
  });

  it(`a NodePort and a ClusterIP answer every request through a ${outageMs / 1000} s server freeze`, async () => {
    const node2IP = cluster.netns!.nodeIP(2);
    const rows = (await cluster.k('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.addresses[0].address} {end}')).trim().split(' ').map((r) => r.split('='));
    const node2 = rows.find((r) => r[1] === node2IP)?.[0];
    assert.ok(node2, `a node with IP ${node2IP}: ${JSON.stringify(rows)}`);
    await cluster.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'List', items: [
          { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { nodeName: node2, containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] } },
        ],
      }),
    });
    const nodePort = Number(await cluster.k('get', 'svc', 'web', '-o', 'jsonpath={.spec.ports[0].nodePort}'));
    const clusterIP = (await cluster.k('get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    const targets: Array<[string, number]> = [[node2IP, nodePort], [clusterIP, 80]];
    for (const [addr] of targets) await cluster.assertRouted(addr);
    for (const [addr, port] of targets) {
      await waitFor(`${addr}:${port} answers`, async () => ((await fetchOnce(addr, port, 1000).catch(() => 0)) === 200 ? true : undefined), 60_000, 200);
    }

    process.kill(cluster.pid!, 'SIGSTOP');
    stopped = true;
    let ok = 0;
    const failures: string[] = [];
    const started = Date.now();
    try {
      for (let i = 0; Date.now() - started < outageMs; i++) {
        const [addr, port] = targets[i % targets.length]!;
        try {
          const code = await fetchOnce(addr, port, 2000);
          if (code === 200) ok++;
          else failures.push(`${addr}:${port} HTTP ${code} at ${Date.now() - started} ms`);
        } catch (err) {
          failures.push(`${addr}:${port} ${(err as Error).message} at ${Date.now() - started} ms`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      process.kill(cluster.pid!, 'SIGCONT');
      stopped = false;
    }
    console.log(`outage (netns): ${ok} requests answered, ${failures.length} failed during ${outageMs / 1000} s with the server stopped`);
    assert.deepEqual(failures.slice(0, 10), []);
    assert.ok(ok >= outageMs / 1000, `a request at least every second (${ok})`);
    const r = await cluster.kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'], { timeoutMs: 20_000 });
    assert.equal(r.stdout, 'Running', r.stderr);
  });
});
