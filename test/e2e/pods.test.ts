import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { parseTable } from '../support/kubectl.js';
import { waitFor } from '../support/ports.js';

/** PIDs of live processes whose environment says POD_IP=<ip> (a pod's containers and their children). */
function podProcesses(podIP: string): number[] {
  const needle = `\0POD_IP=${podIP}\0`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (/\) [ZX] /.test(stat)) continue;
      if (`\0${readFileSync(`/proc/${name}/environ`, 'latin1')}`.includes(needle)) pids.push(Number(name));
    } catch {
      // gone or not ours
    }
  }
  return pids;
}

function alive(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  });
}

function httpGet(url: string): Promise<string> {
  return new Promise((ok, fail) => {
    http.get(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => ok(body));
    }).on('error', fail);
  });
}

describe('pods run as processes on the node agent', () => {
  let cluster: TestCluster;
  let node: string;
  const seen = new Set<number>();
  const podYaml = (name: string, container: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 5
  containers:
${container}`;
  const podIP = async (name: string) => (await cluster.k('get', 'pod', name, '-o', 'jsonpath={.status.podIP}')).trim();
  const row = async (name: string) => parseTable(await cluster.k('get', 'pod', name)).find((r) => r.NAME === name);
  const track = (ip: string) => podProcesses(ip).forEach((p) => seen.add(p));

  before(async () => {
    cluster = await TestCluster.start();
    node = await waitFor('the node registers Ready', async () => {
      const rows = parseTable(await cluster.k('get', 'nodes'));
      return rows.find((r) => r.STATUS === 'Ready')?.NAME;
    });
  });
  after(async () => {
    await cluster?.destroy();
    assert.deepEqual(alive([...seen]), [], 'no pod process outlives the cluster');
  });

  it('registers the node with addresses, versions and a lease', async () => {
    const n = JSON.parse(await cluster.k('get', 'node', node, '-o', 'json'));
    assert.deepEqual(n.status.addresses, [{ type: 'InternalIP', address: cluster.nodeIP }, { type: 'Hostname', address: node }]);
    assert.equal(n.status.nodeInfo.kubeletVersion, 'v1.32.4+skiff');
    assert.equal(n.status.nodeInfo.containerRuntimeVersion, 'skiff://0.1.0');
    assert.equal(n.metadata.labels['kubernetes.io/hostname'], node);
    assert.equal(n.metadata.labels['node-role.kubernetes.io/control-plane'], 'true');
    assert.equal(n.status.allocatable.pods, '110');
    const ready = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.equal(ready.reason, 'KubeletReady');
    assert.equal(ready.message, 'kubelet is posting ready status');
    const lease = JSON.parse(await cluster.k('get', 'lease', '-n', 'kube-node-lease', node, '-o', 'json'));
    assert.equal(lease.spec.holderIdentity, node);
    assert.equal(lease.spec.leaseDurationSeconds, 40);
  });

  it('busybox pod becomes Running with its own IP and logs', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: podYaml('hi', `  - name: c\n    image: busybox\n    command: [sh, -c, 'echo hi; echo ip=$POD_IP; sleep 3600']\n`) });
    await waitFor('hi Running', async () => (await row('hi'))?.STATUS === 'Running' || undefined, 30_000);
    const ip = await podIP('hi');
    const prefix = cluster.clusterCIDR.split('.').slice(0, 2).join('.');
    assert.match(ip, new RegExp(`^${prefix.replace('.', '\\.')}\\.\\d+\\.\\d+$`));
    track(ip);
    const wide = parseTable(await cluster.k('get', 'pod', 'hi', '-o', 'wide'))[0]!;
    assert.equal(wide.IP, ip);
    assert.equal(wide.NODE, node);
    const logs = await waitFor('kubectl logs', async () => {
      const r = await cluster.kubectl(['logs', 'hi']);
      return r.code === 0 && r.stdout.includes('ip=') ? r.stdout : undefined;
    });
    assert.equal(logs, `hi\nip=${ip}\n`);
    const tail = await cluster.k('logs', 'hi', '--tail', '1');
    assert.equal(tail, `ip=${ip}\n`);
  });

  it('serves nginx (the seed pod) on its pod IP', async () => {
    const seed = readFileSync(resolve(import.meta.dirname, '..', 'fixtures', 'seeds', '000-nodeport.yaml'), 'utf8');
    const podOnly = seed.split(/^---$/m)[0]!.replace(/^spec:\n/m, `spec:\n  nodeName: ${node}\n`);
    await cluster.kubectl(['apply', '-f', '-'], { input: podOnly });
    await waitFor('pod-nginx Running', async () => (await row('pod-nginx'))?.STATUS === 'Running' || undefined, 30_000);
    const ip = await podIP('pod-nginx');
    track(ip);
    await cluster.assertRouted(ip);
    const page = await waitFor('nginx answers', () => httpGet(`http://${ip}:80/`).catch(() => undefined));
    assert.match(page, /<title>Welcome to nginx!<\/title>/);
  });

  it('restarts a container killed with SIGKILL (restartCount 1)', async () => {
    const ip = await podIP('hi');
    const before = podProcesses(ip);
    assert.ok(before.length > 0);
    for (const pid of before) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        // a pod's PID namespace goes with its init: a process listed a moment ago may be gone already
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
    const status = await waitFor('restartCount 1 and Running', async () => {
      const p = JSON.parse(await cluster.k('get', 'pod', 'hi', '-o', 'json'));
      const cs = p.status.containerStatuses[0];
      return cs.restartCount === 1 && cs.state.running ? cs : undefined;
    }, 20_000);
    assert.equal(status.lastState.terminated.exitCode, 137);
    assert.equal(status.lastState.terminated.reason, 'Error');
    track(ip);
    assert.equal(await podIP('hi'), ip, 'the pod keeps its IP across container restarts');
  });

  it('a failing liveness probe restarts the container into CrashLoopBackOff', async () => {
    await cluster.kubectl(['apply', '-f', '-'], {
      input: podYaml('live', `  - name: c\n    image: busybox\n    command: [sh, -c, 'sleep 3600']\n    livenessProbe:\n      exec: {command: [sh, -c, 'exit 1']}\n      periodSeconds: 1\n      failureThreshold: 1\n`),
    });
    await waitFor('CrashLoopBackOff', async () => {
      const r = await row('live');
      if (r) podProcesses(await podIP('live')).forEach((p) => seen.add(p));
      return r?.STATUS === 'CrashLoopBackOff' || undefined;
    }, 40_000);
    const events = await cluster.k('get', 'events', '--field-selector', 'involvedObject.name=live');
    assert.match(events, /Unhealthy\s+pod\/live\s+Liveness probe failed/);
    assert.match(events, /Killing\s+pod\/live\s+Container c failed liveness probe, will be restarted/);
    assert.match(events, /BackOff\s+pod\/live\s+Back-off restarting failed container c in pod live_default\(/);
  });

  it('a failing readiness probe leaves the pod Running but 0/1 ready', async () => {
    await cluster.kubectl(['apply', '-f', '-'], {
      input: podYaml('unready', `  - name: c\n    image: busybox\n    command: [sh, -c, 'sleep 3600']\n    readinessProbe:\n      exec: {command: [sh, -c, 'exit 1']}\n      periodSeconds: 1\n`),
    });
    await waitFor('unready Running', async () => (await row('unready'))?.STATUS === 'Running' || undefined, 30_000);
    track(await podIP('unready'));
    const p = JSON.parse(await cluster.k('get', 'pod', 'unready', '-o', 'json'));
    assert.equal((await row('unready'))?.READY, '0/1');
    const ready = p.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.deepEqual([ready.status, ready.reason, ready.message], ['False', 'ContainersNotReady', 'containers with unready status: [c]']);
  });

  it('an image the catalog cannot map shows ImagePullBackOff', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: podYaml('noimage', `  - name: c\n    image: example.com/nope/unknown:1.0\n`) });
    await waitFor('ImagePullBackOff', async () => (await row('noimage'))?.STATUS === 'ImagePullBackOff' || undefined, 30_000);
    const p = JSON.parse(await cluster.k('get', 'pod', 'noimage', '-o', 'json'));
    assert.match(p.status.containerStatuses[0].state.waiting.message, /Back-off pulling image "example.com\/nope\/unknown:1.0"/);
  });

  it('kubectl delete pod stops every process of the pod and removes it', async () => {
    const ip = await podIP('hi');
    const pids = podProcesses(ip);
    assert.ok(pids.length > 0);
    await cluster.k('delete', 'pod', 'hi', '--wait=true');
    assert.deepEqual(alive(pids), []);
    assert.deepEqual(podProcesses(ip), []);
    const r = await cluster.kubectl(['get', 'pod', 'hi']);
    assert.match(r.stderr, /pods "hi" not found/);
    const events = await cluster.k('get', 'events', '--field-selector', 'involvedObject.name=hi');
    assert.match(events, /Killing\s+pod\/hi\s+Stopping container c/);
    assert.ok(!readdirSync(join(cluster.dataDir, 'agent', node, 'pods')).some((d) => d.startsWith('default_hi_')));
  });
});
