// An API-server outage must not take Services down on agent nodes (kube-proxy's promise): with a server and a
// joined `skiff agent` (loopback mode), the server process is frozen (SIGSTOP) for 30 s while a bounded loop
// of requests goes to a NodePort the agent serves; not one request may fail. The agent takes its token from
// --token-file (issue 14).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster, skiffBin } from '../support/cluster.js';
import { waitFor } from '../support/ports.js';

const outageMs = Number(process.env.SKIFF_OUTAGE_SECONDS ?? 30) * 1000;

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

describe('an API-server outage leaves agent nodes serving', () => {
  let cluster: TestCluster;
  let agent: ChildProcess | undefined;
  let agentOut = '';
  let agentIP = '';

  before(async () => {
    // loopback mode: the agent joins from the machine on a 127.x node IP (outage-netns.test.ts is the netns half)
    cluster = await TestCluster.start({ network: 'loopback', nodes: 0, extraArgs: ['--lb-pool', ''] });
    agentIP = cluster.nodeIP.replace(/\.1$/, '.201');
    const tokenFile = join(cluster.dataDir, 'agent-token');
    await writeFile(tokenFile, `${await cluster.token()}\n`, { mode: 0o600 });
    agent = spawn(process.execPath, [skiffBin, 'agent', '--server', `https://127.0.0.1:${cluster.port}`, '--token-file', tokenFile, '--node-name', 'outage-agent', '--node-ip', agentIP,
      '--kubelet-port', '0', '--data-dir', join(cluster.dataDir, 'outage-agent'), '--cluster-cidr', cluster.clusterCIDR], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d: Buffer) => (agentOut += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentOut += d.toString()));
    await waitFor('agent ready', () => agentOut.includes('skiff agent is ready') || undefined, 30_000);
  });
  after(async () => {
    if (cluster?.pid) process.kill(cluster.pid, 'SIGCONT');
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      const t = setTimeout(() => agent!.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(t);
    }
    await cluster?.destroy();
  });

  it(`a NodePort on the agent answers every request through a ${outageMs / 1000} s server freeze`, async () => {
    assert.ok(!agentOut.includes('--token'), 'the token is not echoed');
    await cluster.kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1', kind: 'List', items: [
          { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } }, spec: { nodeName: 'outage-agent', containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] } },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80, nodePort: 30991 }] } },
        ],
      }),
    });
    await waitFor('the NodePort answers on the agent', async () => ((await fetchOnce(agentIP, 30991, 1000).catch(() => 0)) === 200 ? true : undefined), 60_000, 200);

    process.kill(cluster.pid!, 'SIGSTOP');
    let ok = 0;
    const failures: string[] = [];
    const started = Date.now();
    try {
      while (Date.now() - started < outageMs) {
        try {
          const code = await fetchOnce(agentIP, 30991, 2000);
          if (code === 200) ok++;
          else failures.push(`HTTP ${code} at ${Date.now() - started} ms`);
        } catch (err) {
          failures.push(`${(err as Error).message} at ${Date.now() - started} ms`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      process.kill(cluster.pid!, 'SIGCONT');
    }
    console.log(`outage: ${ok} requests answered, ${failures.length} failed during ${outageMs / 1000} s with the server stopped`);
    assert.deepEqual(failures.slice(0, 10), []);
    assert.ok(ok >= outageMs / 1000, `a request at least every second (${ok})`);
    // and the cluster carries on afterwards
    const r = await cluster.kubectl(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'], { timeoutMs: 20_000 });
    assert.equal(r.stdout, 'Running', r.stderr);
    assert.equal(await fetchOnce(agentIP, 30991, 2000), 200);
  });

  it('and through a server killed (SIGKILL) and started again: watch and list failures keep the rules', async () => {
    let ok = 0;
    const failures: string[] = [];
    let restarted = false;
    const loop = (async () => {
      const started = Date.now();
      // while the server is down, then 3 s more once it is back
      let backAt = 0;
      while (!restarted || Date.now() - backAt < 3000) {
        if (restarted && !backAt) backAt = Date.now();
        try {
          if ((await fetchOnce(agentIP, 30991, 2000)) === 200) ok++;
          else failures.push(`bad status at ${Date.now() - started} ms`);
        } catch (err) {
          failures.push(`${(err as Error).message} at ${Date.now() - started} ms`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await cluster.kill9();
    // down for 200 requests (several seconds): the agent's watches fail and its informers' lists are refused
    const base = ok + failures.length;
    await waitFor('200 requests with the server down', () => (ok + failures.length - base >= 200 ? true : undefined), 60_000, 50);
    await cluster.restart();
    restarted = true;
    await loop;
    console.log(`restart: ${ok} requests answered, ${failures.length} failed while the server was killed and restarted`);
    assert.deepEqual(failures.slice(0, 10), []);
    assert.ok(ok > 20, String(ok));
  });
});
