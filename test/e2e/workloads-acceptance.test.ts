/**
 * Issue 3's acceptance, part 1, with REAL pods (the host's nginx run by three in-process kubelets) and the
 * real kubectl: the seeds' Deployments run spread over three nodes and answer curl on their pod IPs; a
 * container killed with SIGKILL restarts; a deleted pod is replaced; scale up and down; and deleting the
 * Deployments leaves none of their processes behind (checked by PID).
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { TestCluster } from '../support/cluster.js';
import { inCidr, parseTable, tableHeader } from '../support/kubectl.js';
import { curl } from '../support/net-tools.js';
import { mainProcess, podProcesses, stillRunning } from '../support/pod-processes.js';
import { waitFor } from '../support/ports.js';

const seeds = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');

interface PodInfo {
  name: string;
  uid: string;
  ip: string;
  node: string;
  phase: string;
  ready: boolean;
  restarts: number;
  terminating: boolean;
}

describe('the seed Deployments run as real pods on three nodes (issue 3)', () => {
  let c: TestCluster;
  const everyPid = new Set<number>(); // all pod processes ever seen, none may outlive the cluster

  const pods = async (selector: string): Promise<PodInfo[]> => {
    const list = JSON.parse(await c.k('get', 'pods', '-l', selector, '-o', 'json')).items as Pod[];
    return list.map((p) => ({
      name: p.metadata!.name!,
      uid: p.metadata!.uid!,
      ip: p.status?.podIP ?? '',
      node: p.spec?.nodeName ?? '',
      phase: p.status?.phase ?? '',
      ready: p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false,
      restarts: p.status?.containerStatuses?.[0]?.restartCount ?? 0,
      terminating: !!p.metadata!.deletionTimestamp,
    }));
  };
  /** Waits for exactly n live, Ready pods (and no terminating ones) of a selector. */
  const settled = (selector: string, n: number) =>
    waitFor(`${n} Ready pods ${selector}`, async () => {
      const ps = await pods(selector);
      return ps.length === n && ps.every((p) => p.ready && !p.terminating) ? ps : undefined;
    }, 40_000);
  const track = (ps: PodInfo[]) => ps.forEach((p) => podProcesses(p).forEach((pid) => everyPid.add(pid)));

  before(async () => {
    c = await TestCluster.start({ nodes: 3, extraArgs: ['--disable', 'traefik'] });
    await waitFor('3 Ready nodes', async () => parseTable(await c.k('get', 'nodes')).filter((r) => r.STATUS === 'Ready').length === 3 || undefined);
  });
  after(async () => {
    await c?.destroy();
    assert.deepEqual(stillRunning([...everyPid]), [], 'no pod process outlives the cluster');
  });

  it('seed 002: webui ×3 → 3 Running pods with distinct IPs on 3 nodes; get -o wide; curl reaches each', async () => {
    assert.equal(await c.k('apply', '-f', resolve(seeds, '002-deployment.yaml')), 'deployment.apps/webui created\n');
    assert.match(await c.k('rollout', 'status', 'deploy/webui', '--timeout=60s'), /deployment "webui" successfully rolled out\n$/);
    const wideOut = await c.k('get', 'pods', '-l', 'app=webui', '-o', 'wide');
    assert.deepEqual(tableHeader(wideOut), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    const wide = parseTable(wideOut);
    assert.equal(wide.length, 3);
    assert.deepEqual(wide.map((r) => [r.READY, r.STATUS, r.RESTARTS]), Array(3).fill(['1/1', 'Running', '0']));
    const nodes = parseTable(await c.k('get', 'nodes')).map((r) => r.NAME).sort();
    assert.deepEqual(wide.map((r) => r.NODE).sort(), nodes, 'one replica per node');
    assert.equal(new Set(wide.map((r) => r.IP)).size, 3, 'distinct pod IPs');
    const ps = await pods('app=webui');
    track(ps);
    for (const r of wide) {
      assert.ok(inCidr(r.IP!, c.clusterCIDR), `${r.IP} in ${c.clusterCIDR}`);
      const p = ps.find((x) => x.name === r.NAME)!;
      assert.equal(p.ip, r.IP);
      const podCIDR = (await c.k('get', 'node', r.NODE!, '-o', 'jsonpath={.spec.podCIDR}')).trim();
      assert.ok(inCidr(r.IP!, podCIDR), `${r.IP} from ${r.NODE}'s podCIDR ${podCIDR}`);
      assert.match(await curl(`http://${r.IP}/`), /<title>Welcome to nginx!<\/title>/, `curl ${r.IP}`);
    }
  });

  it("seed 000: lb-nginx ×4 and cluster-nginx ×3 run and serve nginx's page", async () => {
    await c.k('apply', '-f', resolve(seeds, '000-loadbalancer.yaml'), '-f', resolve(seeds, '000-clusterip.yaml'));
    for (const d of ['lb-nginx-deployment', 'cluster-nginx-deployment']) await c.k('rollout', 'status', `deploy/${d}`, '--timeout=60s');
    const deploys = new Map(parseTable(await c.k('get', 'deploy')).map((r) => [r.NAME, r]));
    assert.deepEqual([deploys.get('lb-nginx-deployment')?.READY, deploys.get('lb-nginx-deployment')?.['UP-TO-DATE'], deploys.get('lb-nginx-deployment')?.AVAILABLE], ['4/4', '4', '4']);
    assert.equal(deploys.get('cluster-nginx-deployment')?.READY, '3/3');
    const lb = await pods('app=lb-pod-nginx');
    const cl = await pods('app=cluster-nginx');
    track([...lb, ...cl]);
    assert.equal(lb.length, 4);
    assert.equal(cl.length, 3);
    assert.equal(new Set(lb.map((p) => p.node)).size, 3, 'four replicas spread over all three nodes');
    assert.equal(new Set(cl.map((p) => p.node)).size, 3);
    const ips = [...lb, ...cl].map((p) => p.ip);
    assert.equal(new Set(ips).size, 7);
    for (const ip of ips) assert.match(await curl(`http://${ip}/`), /Welcome to nginx!/, ip);
  });

  it("kill -9 of a container's main process → restartCount 1, same pod IP", async () => {
    const [victim] = await pods('app=webui');
    const pid = mainProcess(victim!);
    assert.ok(pid, `main process of ${victim!.name}`);
    process.kill(pid, 'SIGKILL');
    const status = await waitFor('restartCount 1 and Running again', async () => {
      const p = JSON.parse(await c.k('get', 'pod', victim!.name, '-o', 'json'));
      const cs = p.status.containerStatuses[0];
      return cs.restartCount === 1 && cs.state.running && cs.ready ? cs : undefined;
    }, 30_000);
    assert.equal(status.lastState.terminated.exitCode, 137);
    assert.equal(status.lastState.terminated.reason, 'Error');
    const row = parseTable(await c.k('get', 'pod', victim!.name)).at(0)!;
    assert.match(row.RESTARTS!, /^1 \(\d+s ago\)$/);
    const after = (await pods('app=webui')).find((p) => p.name === victim!.name)!;
    assert.equal(after.ip, victim!.ip);
    track([after]);
    assert.notEqual(mainProcess(after), pid);
    assert.match(await waitFor('nginx answers again', () => curl(`http://${after.ip}/`).catch(() => undefined), 10_000), /Welcome to nginx!/);
    const events = await c.k('get', 'events', '--field-selector', `involvedObject.name=${victim!.name}`);
    assert.match(events, /Started\s+pod\/\S+\s+Started container nginx-container/);
  });

  it('deleting a pod → the ReplicaSet replaces it, and the old pod leaves no process', async () => {
    const before = await pods('app=webui');
    const victim = before[1]!;
    const pids = podProcesses(victim);
    assert.ok(pids.length > 0);
    assert.equal(await c.k('delete', 'pod', victim.name), `pod "${victim.name}" deleted\n`);
    assert.deepEqual(stillRunning(pids), [], 'the deleted pod left processes behind');
    const now = await settled('app=webui', 3);
    assert.ok(!now.some((p) => p.name === victim.name));
    const fresh = now.find((p) => !before.some((b) => b.name === p.name))!;
    assert.ok(fresh, 'a new replica');
    track([fresh]);
    const rs = (await c.k('get', 'rs', '-l', 'app=webui', '-o', 'jsonpath={.items[0].metadata.name}')).trim();
    const events = await c.k('get', 'events', '--field-selector', `involvedObject.name=${rs}`);
    assert.match(events, new RegExp(`SuccessfulCreate\\s+replicaset/${rs}\\s+Created pod: ${fresh.name}`));
    assert.match(await waitFor('new replica serves', () => curl(`http://${fresh.ip}/`).catch(() => undefined), 10_000), /Welcome to nginx!/);
  });

  it('kubectl scale up to 5 and down to 2', async () => {
    assert.equal(await c.k('scale', 'deploy/webui', '--replicas=5'), 'deployment.apps/webui scaled\n');
    const five = await settled('app=webui', 5);
    track(five);
    assert.equal(new Set(five.map((p) => p.ip)).size, 5);
    await waitFor('READY 5/5', async () => parseTable(await c.k('get', 'deploy', 'webui'))[0]?.READY === '5/5' || undefined);
    const pidsByPod = new Map(five.map((p) => [p.name, podProcesses(p)]));
    assert.equal(await c.k('scale', 'deploy/webui', '--replicas=2'), 'deployment.apps/webui scaled\n');
    const two = await settled('app=webui', 2);
    await waitFor('READY 2/2', async () => parseTable(await c.k('get', 'deploy', 'webui'))[0]?.READY === '2/2' || undefined);
    for (const [name, pids] of pidsByPod) {
      if (!two.some((p) => p.name === name)) assert.deepEqual(stillRunning(pids), [], `processes of scaled-away ${name}`);
    }
  });

  it('kubectl delete deploy → no process of its pods remains', async () => {
    const all = [...(await pods('app=webui')), ...(await pods('app=lb-pod-nginx')), ...(await pods('app=cluster-nginx'))];
    const pids = all.flatMap((p) => podProcesses(p));
    assert.ok(pids.length >= all.length * 2, `nginx master + worker of each of ${all.length} pods: ${pids.length}`);
    assert.deepEqual(stillRunning(pids).sort(), [...pids].sort());
    const out = await c.k('delete', 'deploy', 'webui', 'lb-nginx-deployment', 'cluster-nginx-deployment');
    assert.equal(out, 'deployment.apps "webui" deleted\ndeployment.apps "lb-nginx-deployment" deleted\ndeployment.apps "cluster-nginx-deployment" deleted\n');
    await waitFor('no pods left', async () => (await c.k('get', 'pods', '-o', 'name')) === '' || undefined, 30_000);
    // A pod object disappears only after its kubelet has stopped every container, so nothing may run now.
    assert.deepEqual(stillRunning(pids), []);
    for (const p of all) assert.deepEqual(podProcesses(p), [], p.name);
  });
});
