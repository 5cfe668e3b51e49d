import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loopbackOnly, TestCluster, skiffBin } from '../support/cluster.js';
import { parseTable } from '../support/kubectl.js';
import { waitFor } from '../support/ports.js';

function processesWithPodIP(prefix: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (/\) [ZX] /.test(readFileSync(`/proc/${name}/stat`, 'utf8'))) continue;
      // POD_IP may be the first variable (the launcher shell re-exports the env in its own order)
      if (`\0${readFileSync(`/proc/${name}/environ`, 'latin1')}`.includes(`\0POD_IP=${prefix}`)) pids.push(Number(name));
    } catch {
      // gone or not ours
    }
  }
  return pids;
}

describe('in-process nodes (--nodes) and a joined skiff agent', () => {
  let cluster: TestCluster;
  let agent: ChildProcess | undefined;
  let agentOut = '';
  const agentIP = () => cluster.nodeIP.replace(/\.1$/, '.200');

  before(async () => {
    cluster = await TestCluster.start({ nodes: 2 });
  });
  after(async () => {
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGKILL');
      await gone;
    }
    await cluster?.destroy();
  });

  it('registers two in-process nodes with their own IPs and pod CIDRs', async () => {
    const nodes = await waitFor('2 Ready nodes', async () => {
      const rows = parseTable(await cluster.k('get', 'nodes', '-o', 'wide'));
      return rows.length === 2 && rows.every((r) => r.STATUS === 'Ready') ? rows : undefined;
    });
    const second = cluster.nodeIPOf(2);
    assert.deepEqual(nodes.map((n) => n['INTERNAL-IP']).sort(), [cluster.nodeIP, second].sort());
    assert.equal(nodes.filter((n) => n.ROLES === 'control-plane').length, 1);
    const cidrs = (await cluster.k('get', 'nodes', '-o', 'jsonpath={.items[*].spec.podCIDR}')).trim().split(' ').sort();
    assert.equal(new Set(cidrs).size, 2);
  });

  it('joins a skiff agent process by URL and token; stopping it kills its pods', { skip: loopbackOnly('a joined agent on a 127.x node IP; netns nodes are the server\'s --nodes') }, async () => {
    const server = `https://127.0.0.1:${cluster.port}`;
    agent = spawn(process.execPath, [skiffBin, 'agent', '--server', server, '--token', await cluster.token(), '--node-name', 'joined', '--node-ip', agentIP(), '--kubelet-port', '0', '--data-dir', join(cluster.dataDir, 'joined'), '--cluster-cidr', cluster.clusterCIDR], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d: Buffer) => (agentOut += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentOut += d.toString()));
    await waitFor('agent ready', () => agentOut.includes('skiff agent is ready') || undefined, 30_000);
    const node = JSON.parse(await cluster.k('get', 'node', 'joined', '-o', 'json'));
    assert.equal(node.status.addresses[0].address, agentIP());
    assert.equal(node.metadata.labels['node-role.kubernetes.io/control-plane'], undefined);
    await cluster.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1\nkind: Pod\nmetadata: {name: on-joined}\nspec:\n  nodeName: joined\n  containers:\n  - {name: c, image: busybox, command: [sh, -c, 'echo joined; sleep 3600']}\n`,
    });
    const ip = await waitFor('pod Running on joined', async () => {
      const p = JSON.parse(await cluster.k('get', 'pod', 'on-joined', '-o', 'json'));
      return p.status?.phase === 'Running' ? (p.status.podIP as string) : undefined;
    }, 30_000);
    assert.equal(ip.split('.').slice(0, 3).join('.'), node.spec.podCIDR.split('.').slice(0, 3).join('.'));
    const logs = await waitFor('logs through the joined kubelet', async () => {
      const r = await cluster.kubectl(['logs', 'on-joined']);
      return r.code === 0 && r.stdout ? r.stdout : undefined;
    });
    assert.equal(logs, 'joined\n');
    const pids = processesWithPodIP(`${ip}\0`);
    assert.ok(pids.length > 0);
    const exited = new Promise<number | null>((r) => agent!.once('exit', (code) => r(code)));
    agent.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.deepEqual(processesWithPodIP(`${ip}\0`), []);
  });
});
