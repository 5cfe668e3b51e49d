/**
 * Issue 3's acceptance, part 4: losing a node with REAL agents. One in-process node plus two `skiff agent`
 * processes run the seed's webui ×3, one replica each; one agent is SIGKILLed (a crashed node): its node
 * goes NotReady after --node-monitor-grace-period (15 s: it must exceed the kubelets' 10 s lease renewal,
 * or live nodes flap NotReady between renewals, as in Kubernetes), its pods are evicted after the not-ready toleration and
 * the Deployment is whole again on the two remaining nodes. The agent, restarted, reports Ready again and
 * stops the containers it left running for pods that no longer exist. An agent stopped with SIGTERM stops
 * its containers at once; its pods are recreated elsewhere the same way.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { TestCluster, skiffBin } from '../support/cluster.js';
import { parseTable } from '../support/kubectl.js';
import { podProcesses, stillRunning } from '../support/pod-processes.js';
import { waitFor } from '../support/ports.js';

const seeds = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');

class Agent {
  child?: ChildProcess;
  output = '';
  constructor(
    private readonly c: TestCluster,
    readonly name: string,
    readonly ip: string,
  ) {}

  async start(): Promise<void> {
    this.output = '';
    const args = [skiffBin, 'agent', '--server', `https://127.0.0.1:${this.c.port}`, '--token', await this.c.token(), '--node-name', this.name, '--node-ip', this.ip, '--data-dir', join(this.c.dataDir, this.name), '--cluster-cidr', this.c.clusterCIDR];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    await waitFor(`agent ${this.name} ready`, () => this.output.includes('skiff agent is ready') || undefined, 30_000);
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await gone;
  }
}

describe('a lost node: NotReady, its pods recreated elsewhere (issue 3)', () => {
  let c: TestCluster;
  let agents: Agent[] = [];
  let lostPids: number[] = []; // the processes of worker-b's pod, left running by its crashed agent
  const everyPid = new Set<number>();
  const webui = async () => {
    const items = JSON.parse(await c.k('get', 'pods', '-l', 'app=webui', '-o', 'json')).items as Pod[];
    return items.map((p) => ({
      name: p.metadata!.name!,
      uid: p.metadata!.uid!,
      ip: p.status?.podIP ?? '-',
      node: p.spec?.nodeName ?? '',
      ready: p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false,
      terminating: !!p.metadata!.deletionTimestamp,
    }));
  };
  const nodeStatus = async (name: string) => parseTable(await c.k('get', 'nodes')).find((r) => r.NAME === name)?.STATUS;

  before(async () => {
    // loopback mode: the lost nodes are agents the test starts itself on 127.x node IPs
    c = await TestCluster.start({
      network: 'loopback',
      nodes: 1,
      extraArgs: ['--disable', 'traefik', '--node-monitor-grace-period', '15s', '--default-not-ready-toleration-seconds', '5'],
    });
    agents = [new Agent(c, 'worker-a', c.nodeIP.replace(/\.\d+$/, '.8')), new Agent(c, 'worker-b', c.nodeIP.replace(/\.\d+$/, '.9'))];
    await Promise.all(agents.map((a) => a.start()));
    await waitFor('3 Ready nodes', async () => parseTable(await c.k('get', 'nodes')).filter((r) => r.STATUS === 'Ready').length === 3 || undefined);
  });
  after(async () => {
    for (const a of agents) await a.kill('SIGTERM');
    await c?.destroy();
    const left = stillRunning([...everyPid]);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.deepEqual(left, [], 'no pod process outlives the cluster');
  });

  it('SIGKILL of an agent → its node NotReady → the Deployment is whole again on the other nodes', async () => {
    await c.k('apply', '-f', resolve(seeds, '002-deployment.yaml'));
    await c.k('rollout', 'status', 'deploy/webui', '--timeout=60s');
    const before = await webui();
    before.forEach((p) => podProcesses(p).forEach((pid) => everyPid.add(pid)));
    const nodes = parseTable(await c.k('get', 'nodes')).map((r) => r.NAME!);
    assert.deepEqual(before.map((p) => p.node).sort(), [...nodes].sort(), 'one replica per node');
    const lost = before.find((p) => p.node === 'worker-b')!;
    lostPids = podProcesses(lost);
    assert.ok(lostPids.length >= 2, 'nginx master and worker of the pod on worker-b');

    await agents[1]!.kill('SIGKILL');
    // A crashed kubelet leaves its containers running, as containerd would.
    assert.deepEqual(stillRunning(lostPids).sort(), [...lostPids].sort());
    await waitFor('worker-b NotReady', async () => (await nodeStatus('worker-b')) === 'NotReady' || undefined, 30_000);
    const node = JSON.parse(await c.k('get', 'node', 'worker-b', '-o', 'json'));
    const ready = node.status.conditions.find((x: { type: string }) => x.type === 'Ready');
    assert.deepEqual([ready.status, ready.reason, ready.message], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.']);
    assert.ok(node.spec.taints.some((t: { key: string; effect: string }) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'), JSON.stringify(node.spec.taints));

    const whole = await waitFor('3 Ready replicas on the remaining nodes', async () => {
      const live = (await webui()).filter((p) => !p.terminating && p.node !== 'worker-b');
      return live.length === 3 && live.every((p) => p.ready) ? live : undefined;
    }, 30_000);
    whole.forEach((p) => podProcesses(p).forEach((pid) => everyPid.add(pid)));
    assert.deepEqual([...new Set(whole.map((p) => p.node))].sort(), ['worker-a', nodes.find((n) => !n.startsWith('worker-'))!].sort());
    await waitFor('READY 3/3', async () => parseTable(await c.k('get', 'deploy', 'webui'))[0]?.READY === '3/3' || undefined, 10_000);
    const events = await c.k('get', 'events', '--field-selector', `involvedObject.name=${lost.name}`);
    assert.match(events, new RegExp(`TaintManagerEviction\\s+pod/${lost.name}\\s+Marking for deletion Pod default/${lost.name}`));
  });

  it('the agent restarted: worker-b Ready again, and the containers it left behind are stopped', async () => {
    assert.ok(lostPids.length > 0);
    assert.deepEqual(stillRunning(lostPids).sort(), [...lostPids].sort(), 'the crashed agent left its containers running');
    await agents[1]!.start();
    await waitFor('the left-over containers stopped', () => stillRunning(lostPids).length === 0 || undefined, 10_000);
    await waitFor('worker-b Ready', async () => (await nodeStatus('worker-b')) === 'Ready' || undefined, 20_000);
    const taints = JSON.parse(await c.k('get', 'node', 'worker-b', '-o', 'json')).spec.taints ?? [];
    assert.deepEqual(taints, []);
    const live = new Set((await webui()).flatMap((p) => podProcesses(p)));
    assert.deepEqual(stillRunning([...everyPid]).filter((pid) => !live.has(pid)), [], 'only processes of existing pods run');
    assert.equal(parseTable(await c.k('get', 'deploy', 'webui'))[0]?.READY, '3/3');
  });

  it('SIGTERM of the other agent: its containers stop at once, its node NotReady, its pod recreated elsewhere', async () => {
    const onA = (await webui()).filter((p) => p.node === 'worker-a' && !p.terminating);
    assert.ok(onA.length > 0, 'a replica on worker-a');
    const pids = onA.flatMap((p) => podProcesses(p));
    await agents[0]!.kill('SIGTERM');
    assert.equal(agents[0]!.child!.exitCode, 0);
    assert.deepEqual(stillRunning(pids), [], 'a stopped agent stops its containers');
    await waitFor('worker-a NotReady', async () => (await nodeStatus('worker-a')) === 'NotReady' || undefined, 30_000);
    const whole = await waitFor('3 Ready replicas off worker-a', async () => {
      const live = (await webui()).filter((p) => !p.terminating);
      return live.length === 3 && live.every((p) => p.ready && p.node !== 'worker-a') ? live : undefined;
    }, 30_000);
    whole.forEach((p) => podProcesses(p).forEach((pid) => everyPid.add(pid)));
    assert.ok(!whole.some((p) => onA.some((a) => a.name === p.name)));
  });
});
