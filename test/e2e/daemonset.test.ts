// DaemonSets end to end: a skiff server with three in-process nodes, a skiff agent joining later, the real kubectl.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loopbackOnly, TestCluster, skiffBin } from '../support/cluster.js';
import { parseTable, tableHeader } from '../support/kubectl.js';
import { waitFor } from '../support/ports.js';

const manifest = (image: string) => `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agentd}
spec:
  selector:
    matchLabels: {app: agentd}
  template:
    metadata:
      labels: {app: agentd}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: agentd
        image: ${image}
`;

interface PodView {
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    nodeName?: string;
    containers: Array<{ image: string }>;
    tolerations?: Array<{ key?: string; operator?: string; effect?: string }>;
    affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: Array<{ matchFields?: Array<{ key: string; operator: string; values: string[] }> }> } } };
  };
  status: { phase?: string };
}

describe('DaemonSet with the real kubectl', () => {
  let cluster: TestCluster;
  let agent: ChildProcess | undefined;
  let agentOut = '';

  before(async () => {
    cluster = await TestCluster.start({ nodes: 3, extraArgs: ['--disable', 'traefik'] });
    await waitFor('3 Ready nodes', async () => {
      const rows = parseTable(await cluster.k('get', 'nodes'));
      return rows.length === 3 && rows.every((r) => r.STATUS === 'Ready') || undefined;
    }, 30_000);
  });
  after(async () => {
    if (agent && agent.exitCode === null) {
      const gone = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGKILL');
      await gone;
    }
    await cluster?.destroy();
  });

  const daemonPods = async (label = 'app=agentd'): Promise<PodView[]> => (JSON.parse(await cluster.k('get', 'pods', '-l', label, '-o', 'json')) as { items: PodView[] }).items;
  const dsRow = async (name = 'agentd') => parseTable(await cluster.k('get', 'ds', name))[0];
  const settled = (n: number, name = 'agentd') =>
    waitFor(`daemonset ${name} at ${n} available`, async () => {
      const r = await dsRow(name);
      return r && r.DESIRED === `${n}` && r.CURRENT === `${n}` && r.READY === `${n}` && r['UP-TO-DATE'] === `${n}` && r.AVAILABLE === `${n}` ? r : undefined;
    }, 60_000);
  const nodesOf = (pods: PodView[]) => pods.filter((p) => p.status.phase === 'Running').map((p) => p.spec.nodeName!).sort();

  it('runs one pod on every node, bound through node affinity, with the daemon tolerations', async () => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: manifest('skiff/echo') });
    assert.equal(r.code, 0, r.stderr);
    const row = await settled(3);
    assert.equal(row['NODE SELECTOR'], '<none>');
    assert.deepEqual(tableHeader(await cluster.k('get', 'ds')), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE']);
    const pods = await daemonPods();
    const nodeNames = parseTable(await cluster.k('get', 'nodes')).map((n) => n.NAME).sort();
    assert.deepEqual(nodesOf(pods), nodeNames);
    for (const p of pods) {
      const terms = p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
      assert.deepEqual(terms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }] }]);
      assert.ok(p.spec.tolerations?.some((t) => t.key === 'node.kubernetes.io/not-ready' && t.operator === 'Exists' && t.effect === 'NoExecute'));
      assert.ok(p.spec.tolerations?.some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule'));
      assert.match(p.metadata.labels['controller-revision-hash'] ?? '', /^[a-z0-9]+$/);
    }
  });

  it('follows a skiff agent that joins later, and a node that leaves', { skip: loopbackOnly('a joined agent on a 127.x node IP; netns nodes are the server\'s --nodes') }, async () => {
    const agentIP = cluster.nodeIP.replace(/\.1$/, '.200');
    agent = spawn(process.execPath, [skiffBin, 'agent', '--server', `https://127.0.0.1:${cluster.port}`, '--token', await cluster.token(), '--node-name', 'joined', '--node-ip', agentIP, '--kubelet-port', '0', '--data-dir', join(cluster.dataDir, 'joined'), '--cluster-cidr', cluster.clusterCIDR], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d: Buffer) => (agentOut += d.toString()));
    agent.stderr!.on('data', (d: Buffer) => (agentOut += d.toString()));
    await waitFor('agent ready', () => agentOut.includes('skiff agent is ready') || undefined, 30_000);
    await settled(4);
    assert.ok(nodesOf(await daemonPods()).includes('joined'));
    const exited = new Promise((r) => agent!.once('exit', r));
    agent.kill('SIGTERM');
    await exited;
    await cluster.k('delete', 'node', 'joined');
    await settled(3);
    await waitFor('the pod on joined gone', async () => !(await daemonPods()).some((p) => p.spec.nodeName === 'joined') || undefined, 60_000);
  });

  it('honours a nodeSelector', async () => {
    const nodeNames = parseTable(await cluster.k('get', 'nodes')).map((n) => n.NAME).sort();
    await cluster.k('label', 'node', nodeNames[1]!, 'role=edge');
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: manifest('skiff/echo').replace(/agentd/g, 'edge').replace('      containers:', '      nodeSelector: {role: edge}\n      containers:') });
    assert.equal(r.code, 0, r.stderr);
    const row = await settled(1, 'edge');
    assert.equal(row['NODE SELECTOR'], 'role=edge');
    assert.deepEqual(nodesOf(await daemonPods('app=edge')), [nodeNames[1]]);
    await cluster.k('label', 'node', nodeNames[1]!, 'role-');
    await waitFor('edge pods gone', async () => (await daemonPods('app=edge')).length === 0 || undefined, 60_000);
    assert.equal((await dsRow('edge'))?.DESIRED, '0');
  });

  it('rolls out a new image with maxUnavailable 1, shows history, and undoes it', async () => {
    await cluster.k('set', 'image', 'ds/agentd', 'agentd=skiff/echo:2');
    const status = await cluster.kubectl(['rollout', 'status', 'ds/agentd', '--timeout=120s'], { timeoutMs: 130_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /daemon set "agentd" successfully rolled out/);
    await settled(3);
    const pods = (await daemonPods()).filter((p) => p.status.phase === 'Running');
    assert.deepEqual(pods.map((p) => p.spec.containers[0]!.image), ['skiff/echo:2', 'skiff/echo:2', 'skiff/echo:2']);
    const history = await cluster.k('rollout', 'history', 'ds/agentd');
    assert.match(history, /REVISION\s+CHANGE-CAUSE/);
    assert.match(history, /^1\s+<none>/m);
    assert.match(history, /^2\s+<none>/m);
    assert.match(await cluster.k('rollout', 'history', 'ds/agentd', '--revision=2'), /Image:\s+skiff\/echo:2/);
    assert.match(await cluster.k('rollout', 'undo', 'ds/agentd'), /daemonset.apps\/agentd rolled back/);
    const again = await cluster.kubectl(['rollout', 'status', 'ds/agentd', '--timeout=120s'], { timeoutMs: 130_000 });
    assert.equal(again.code, 0, again.stderr);
    await settled(3);
    const back = (await daemonPods()).filter((p) => p.status.phase === 'Running');
    assert.deepEqual(back.map((p) => p.spec.containers[0]!.image), ['skiff/echo', 'skiff/echo', 'skiff/echo']);
    const revs = parseTable(await cluster.k('get', 'controllerrevisions', '-l', 'app=agentd'));
    assert.deepEqual(revs.map((r) => r.REVISION).sort(), ['2', '3']);
    assert.ok(revs.every((r) => r.CONTROLLER === 'daemonset.apps/agentd'));
  });

  it('rejects an invalid update strategy with the Kubernetes message', async () => {
    const bad = manifest('skiff/echo').replace(/agentd/g, 'bad').replace('spec:\n  selector', 'spec:\n  updateStrategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 0}}\n  selector');
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: bad });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The DaemonSet "bad" is invalid: spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0/);
  });
});
