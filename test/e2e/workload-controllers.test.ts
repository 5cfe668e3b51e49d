/**
 * The workload controllers in a real `skiff server` without agents: the test plays the kubelets
 * (Node objects, Lease renewals, pod status through pods/status, finishing graceful deletions)
 * and drives Deployments with the real kubectl.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { findResource } from '../../src/api/resources.js';
import type { KubeObject } from '../../src/api/types.js';
import { loadKubeconfig } from '../../src/client/config.js';
import { RestClient } from '../../src/client/rest.js';
import { nodeConditions } from '../../src/agent/node/node-status.js';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/ports.js';

const nodes = findResource('', 'v1', 'nodes')!;
const pods = findResource('', 'v1', 'pods')!;
const leases = findResource('coordination.k8s.io', 'v1', 'leases')!;
const replicasets = findResource('apps', 'v1', 'replicasets')!;
type PodObject = Pod & KubeObject;

const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Plays kubelet for a set of nodes: renews leases, reports node status when the server's copy is not
 * Ready (as kubelet's tryUpdateNodeStatus does once it differs), runs scheduled pods (Ready at once,
 * again after the node controller marked them not ready), finishes deletions.
 */
class FakeKubelets {
  readonly alive = new Set<string>();
  private timer?: NodeJS.Timeout;
  private busy = false;
  constructor(private readonly client: RestClient) {}

  async register(name: string): Promise<void> {
    const now = Date.now();
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
      status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: rfc3339(now), lastTransitionTime: rfc3339(now) }] },
    } as Node & KubeObject;
    await this.client.create(nodes, node);
    await this.client.create(leases, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: microTime(now) } } as KubeObject);
    this.alive.add(name);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), 100);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = Date.now();
      for (const name of this.alive) {
        const lease = await this.client.get(leases, { namespace: 'kube-node-lease', name });
        await this.client.update(leases, { ...lease, spec: { ...(lease.spec as object), renewTime: microTime(now) } });
      }
      // A loaded machine can starve this loop past the 2 s grace period: the node controller then marks
      // a live node Unknown, and only the kubelet's next status report makes it Ready again.
      for (const node of (await this.client.list<Node & KubeObject>(nodes)).items) {
        if (!this.alive.has(node.metadata.name!) || node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True') continue;
        await this.client.updateStatus(nodes, { ...node, status: { ...node.status, conditions: nodeConditions(node.status?.conditions, now) } }).catch(() => undefined);
      }
      for (const pod of (await this.client.list<PodObject>(pods, { namespace: 'default' })).items) {
        const node = pod.spec?.nodeName;
        if (!node || !this.alive.has(node)) continue;
        const ref = { namespace: 'default', name: pod.metadata.name! };
        if (pod.metadata.deletionTimestamp) {
          await this.client.delete(pods, { ...ref, gracePeriodSeconds: 0 }).catch(() => undefined);
        } else if (pod.status?.phase !== 'Running' || !pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
          const t = rfc3339(now);
          const conditions = ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type, status: 'True', lastTransitionTime: t }));
          await this.client.updateStatus(pods, { ...pod, status: { ...pod.status, phase: 'Running', conditions, hostIP: '127.0.0.1', startTime: t } }).catch(() => undefined);
        }
      }
    } catch {
      // a conflict or a vanished object: the next tick tries again
    } finally {
      this.busy = false;
    }
  }
}

describe('workload controllers: scheduler, node-ipam, node lifecycle, ReplicaSet, Deployment', () => {
  let cluster: TestCluster;
  let client: RestClient;
  let kubelets: FakeKubelets;
  before(async () => {
    // loopback mode: no node agent (the test is the kubelet), so no network of pods to build
    cluster = await TestCluster.start({ network: 'loopback', extraArgs: ['--disable-agent', '--node-monitor-grace-period=2s', '--default-not-ready-toleration-seconds=2'] });
    client = new RestClient(loadKubeconfig(cluster.kubeconfig));
    kubelets = new FakeKubelets(client);
    for (const n of ['node-a', 'node-b', 'node-c']) await kubelets.register(n);
    kubelets.start();
  });
  after(async () => {
    kubelets?.stop();
    client?.close();
    await cluster?.destroy();
  });

  const deployPods = async () => (await client.list<PodObject>(pods, { namespace: 'default', labelSelector: 'app=web' })).items;
  const rsList = async () => (await client.list<ReplicaSet & KubeObject>(replicasets, { namespace: 'default', labelSelector: 'app=web' })).items;

  it('gives every node its own /24 podCIDR', async () => {
    const cidrs = await waitFor('podCIDRs', async () => {
      const list = (await client.list<Node & KubeObject>(nodes)).items;
      return list.every((n) => n.spec?.podCIDR) && list.map((n) => n.spec!.podCIDR!);
    });
    assert.equal(new Set(cidrs).size, 3);
    for (const c of cidrs) assert.match(c, /\/24$/);
  });

  it('runs a Deployment: ReplicaSet, pods spread over the three nodes, rollout status completes', async () => {
    await cluster.k('create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3');
    const scheduled = await waitFor('3 scheduled pods', async () => {
      const ps = await deployPods();
      return ps.length === 3 && ps.every((p) => p.spec?.nodeName) && ps;
    });
    assert.deepEqual(scheduled.map((p) => p.spec!.nodeName).sort(), ['node-a', 'node-b', 'node-c']);
    const [rs] = await rsList();
    assert.match(rs.metadata!.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    for (const p of scheduled) assert.ok(p.metadata!.name!.startsWith(`${rs.metadata!.name}-`));
    const out = await cluster.k('rollout', 'status', 'deployment/web', '--timeout=60s');
    assert.match(out, /deployment "web" successfully rolled out/);
    const events = await cluster.k('get', 'events', '-o', 'jsonpath={range .items[*]}{.reason}|{.message}{"\\n"}{end}');
    assert.match(events, new RegExp(`ScalingReplicaSet\\|Scaled up replica set ${rs.metadata!.name} from 0 to 3`));
    assert.match(events, new RegExp(`SuccessfulCreate\\|Created pod: ${rs.metadata!.name}-`));
    assert.match(events, /Scheduled\|Successfully assigned default\/web-\S+ to node-[abc]/);
    const cond = await cluster.k('get', 'deploy', 'web', '-o', 'jsonpath={range .status.conditions[*]}{.type}={.reason}:{.message};{end}');
    assert.match(cond, /Available=MinimumReplicasAvailable:Deployment has minimum availability\./);
    assert.match(cond, new RegExp(`Progressing=NewReplicaSetAvailable:ReplicaSet "${rs.metadata!.name}" has successfully progressed\\.`));
  });

  it('set image rolls within maxSurge/maxUnavailable; undo reuses revision 1 as revision 3', async () => {
    let maxActive = 0;
    let minReady = Infinity;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const active = (await deployPods()).filter((p) => !p.metadata.deletionTimestamp);
        maxActive = Math.max(maxActive, active.length);
        minReady = Math.min(minReady, active.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await cluster.k('set', 'image', 'deployment/web', 'nginx=nginx:1.26');
    await cluster.k('rollout', 'status', 'deployment/web', '--timeout=60s');
    watching = false;
    await watcher;
    assert.ok(maxActive <= 4, `at most 3+1 pods (saw ${maxActive})`);
    assert.ok(minReady >= 3, `maxUnavailable 0: never fewer than 3 ready (saw ${minReady})`);
    const history = await cluster.k('rollout', 'history', 'deployment/web');
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);
    const before = await rsList();
    const rev1 = before.find((r) => r.metadata!.annotations!['deployment.kubernetes.io/revision'] === '1')!;
    assert.equal(rev1.spec!.replicas, 0);

    assert.match(await cluster.k('rollout', 'undo', 'deployment/web'), /deployment.apps\/web rolled back/);
    await cluster.k('rollout', 'status', 'deployment/web', '--timeout=60s');
    const afterUndo = await waitFor('rev 1 reused as 3', async () => {
      const l = await rsList();
      const r = l.find((x) => x.metadata!.name === rev1.metadata!.name);
      return r?.metadata!.annotations!['deployment.kubernetes.io/revision'] === '3' && l;
    });
    assert.equal(afterUndo.length, 2, 'no third ReplicaSet');
    assert.equal(afterUndo.find((x) => x.metadata!.name === rev1.metadata!.name)!.metadata!.annotations!['deployment.kubernetes.io/revision-history'], '1');
    assert.match(await cluster.k('rollout', 'history', 'deployment/web'), /REVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>/);
    const ps = await deployPods();
    assert.ok(ps.filter((p) => !p.metadata.deletionTimestamp).every((p) => p.spec!.containers[0].image === 'nginx:1.25'));
  });

  it('scales up and down; a deleted pod is replaced', async () => {
    await cluster.k('scale', 'deployment/web', '--replicas=5');
    await waitFor('5 ready', async () => (await cluster.k('get', 'deploy', 'web', '-o', 'jsonpath={.status.readyReplicas}')) === '5');
    await cluster.k('scale', 'deployment/web', '--replicas=2');
    await waitFor('2 pods', async () => (await deployPods()).length === 2);
    const victim = (await deployPods())[0].metadata.name!;
    await cluster.k('delete', 'pod', victim, '--wait=false');
    await waitFor('replacement', async () => {
      const ps = await deployPods();
      return ps.length === 2 && !ps.some((p) => p.metadata.name === victim) && ps.every((p) => p.status?.phase === 'Running');
    });
  });

  it('Recreate drains old pods before the new ReplicaSet scales; paused holds; revisionHistoryLimit trims', async () => {
    const manifest = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'batch', namespace: 'default' },
      spec: {
        replicas: 2,
        revisionHistoryLimit: 1,
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { app: 'batch' } },
        template: { metadata: { labels: { app: 'batch' } }, spec: { containers: [{ name: 'c', image: 'busybox:1' }] } },
      },
    };
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify(manifest) });
    await cluster.k('rollout', 'status', 'deployment/batch', '--timeout=60s');
    const batchPods = async () => (await client.list<PodObject>(pods, { namespace: 'default', labelSelector: 'app=batch' })).items;
    let mixed = false;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const images = new Set((await batchPods()).map((p) => p.spec!.containers[0].image));
        if (images.size > 1) mixed = true;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await cluster.k('set', 'image', 'deployment/batch', 'c=busybox:2');
    await cluster.k('rollout', 'status', 'deployment/batch', '--timeout=60s');
    watching = false;
    await watcher;
    assert.equal(mixed, false, 'old and new pods never coexist under Recreate');

    await cluster.k('rollout', 'pause', 'deployment/batch');
    await cluster.k('set', 'image', 'deployment/batch', 'c=busybox:3');
    const paused = await waitFor('paused condition', async () => {
      const c = await cluster.k('get', 'deploy', 'batch', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}');
      return c === 'DeploymentPaused' && c;
    });
    assert.equal(paused, 'DeploymentPaused');
    assert.ok((await batchPods()).every((p) => p.spec!.containers[0].image === 'busybox:2'), 'paused: no rollout');
    await cluster.k('rollout', 'resume', 'deployment/batch');
    await cluster.k('rollout', 'status', 'deployment/batch', '--timeout=60s');
    const rss = await waitFor('history trimmed to 1 old ReplicaSet', async () => {
      const l = (await client.list<ReplicaSet & KubeObject>(replicasets, { namespace: 'default', labelSelector: 'app=batch' })).items;
      return l.length === 2 && l;
    });
    assert.deepEqual(rss.map((r) => r.metadata.annotations!['deployment.kubernetes.io/revision']).sort(), ['2', '3']);
    await cluster.k('delete', 'deployment', 'batch');
  });

  it('leaves an unfittable pod Pending with Unschedulable and FailedScheduling', async () => {
    await cluster.k('run', 'picky', '--image=nginx', '--overrides={"spec":{"nodeSelector":{"disk":"ssd"}}}');
    const msg = "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    const cond = await waitFor('PodScheduled=False', async () => {
      const p = await client.get<PodObject>(pods, { namespace: 'default', name: 'picky' });
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    });
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, msg);
    await waitFor('FailedScheduling event', async () => (await cluster.k('get', 'events', '--field-selector', 'reason=FailedScheduling', '-o', 'jsonpath={.items[*].message}')).includes(msg));
    await cluster.k('label', 'node', 'node-b', 'disk=ssd');
    const p = await waitFor('picky bound', async () => {
      const x = await client.get<PodObject>(pods, { namespace: 'default', name: 'picky' });
      return x.spec?.nodeName ? x : undefined;
    });
    assert.equal(p.spec!.nodeName, 'node-b');
    await cluster.k('delete', 'pod', 'picky', '--wait=false');
  });

  it('a node whose lease stops is Unknown and tainted; its pods are evicted and replaced elsewhere', async () => {
    // a short grace period so the pod GC's force-deletion of pods stuck on the dead node comes soon
    await cluster.k('patch', 'deployment/web', '-p', '{"spec":{"replicas":3,"template":{"spec":{"terminationGracePeriodSeconds":1}}}}');
    await cluster.k('rollout', 'status', 'deployment/web', '--timeout=60s');
    await waitFor('3 running', async () => (await deployPods()).filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).length === 3);
    const onC = (await deployPods()).filter((p) => p.spec?.nodeName === 'node-c').map((p) => p.metadata.name!);
    assert.ok(onC.length > 0, 'a pod on node-c');
    kubelets.alive.delete('node-c');
    // conditions and taints are two writes, as in kube: wait for both
    const node = await waitFor('node-c Unknown and tainted', async () => {
      const n = await client.get<Node & KubeObject>(nodes, { name: 'node-c' });
      const unknown = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'Unknown';
      return unknown && (n.spec?.taints?.length ?? 0) > 0 ? n : undefined;
    });
    const ready = node.status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.deepEqual([ready.reason, ready.message], ['NodeStatusUnknown', 'Kubelet stopped posting node status.']);
    assert.ok(node.spec!.taints!.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'));
    assert.match(await cluster.k('get', 'nodes', 'node-c'), /node-c\s+NotReady/);
    await waitFor('pods of node-c gone and replaced', async () => {
      const ps = await deployPods();
      return !ps.some((p) => onC.includes(p.metadata.name!)) && ps.filter((p) => p.status?.phase === 'Running').length === 3 && ps.every((p) => p.spec?.nodeName !== 'node-c');
    }).catch(async (err: Error) => {
      const ps = (await deployPods()).map((p) => `${p.metadata.name} ${p.spec?.nodeName} ${p.status?.phase} del=${p.metadata.deletionTimestamp ?? ''}`);
      const ns = (await client.list<Node & KubeObject>(nodes)).items.map((n) => `${n.metadata.name} Ready=${n.status?.conditions?.find((c) => c.type === 'Ready')?.status} taints=${JSON.stringify(n.spec?.taints ?? [])}`);
      throw new Error(`${err.message}\n${ps.join('\n')}\n${ns.join('\n')}\n${cluster.logs.split('\n').filter((l) => /node-lifecycle|error/i.test(l)).slice(-20).join('\n')}`);
    });
  });

  it('a node whose kubelet comes back is Ready and untainted again; a pod left Pending meanwhile is scheduled onto it', async () => {
    await cluster.k('run', 'pinned', '--image=nginx', '--overrides={"spec":{"nodeSelector":{"kubernetes.io/hostname":"node-c"}}}');
    const cond = await waitFor('pinned Unschedulable', async () => {
      const p = await client.get<PodObject>(pods, { namespace: 'default', name: 'pinned' });
      return p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
    });
    assert.match(cond.message!, /1 node\(s\) had untolerated taint \{node\.kubernetes\.io\/unreachable: \}/);
    kubelets.alive.add('node-c');
    // the scheduler's periodic retry of unschedulable pods is a minute: only the node update's requeue binds it in time
    const p = await waitFor('pinned Running on node-c', async () => {
      const x = await client.get<PodObject>(pods, { namespace: 'default', name: 'pinned' });
      return x.status?.phase === 'Running' && x;
    });
    assert.equal(p.spec!.nodeName, 'node-c');
    const node = await client.get<Node & KubeObject>(nodes, { name: 'node-c' });
    assert.equal(node.status!.conditions!.find((c) => c.type === 'Ready')!.status, 'True');
    assert.deepEqual(node.spec!.taints ?? [], []);
    assert.match(await cluster.k('get', 'nodes', 'node-c'), /node-c\s+Ready/);
    await cluster.k('delete', 'pod', 'pinned', '--wait=false');
  });
});
