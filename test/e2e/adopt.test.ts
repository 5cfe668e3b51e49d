/**
 * Issue 14 item 4: a `skiff server` killed with SIGKILL and started again on the same data dir adopts the
 * running containers of its node, as a kubelet restart does with the CRI runtime's containers: no
 * restart (RESTARTS 0, same PIDs), no refused connection to the pods, and their output goes on into the
 * same log. In loopback mode the NodePort is served by the server process itself, so it is only checked
 * once the restarted server serves it again.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { TestCluster } from '../support/cluster.js';
import { mainProcess, stillRunning } from '../support/pod-processes.js';
import { waitFor } from '../support/ports.js';

const nodePortBase = 30000 + ((process.pid + 13) % 27) * 100;
const nodePort = nodePortBase + 7;

const manifest = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: skad-echo }
spec:
  replicas: 2
  selector: { matchLabels: { app: skad-echo } }
  template:
    metadata: { labels: { app: skad-echo } }
    spec:
      containers:
      - name: echo
        image: skiff/echo
        ports: [{ containerPort: 8080 }]
        readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1 }
      - name: ticker
        image: busybox
        command: [sh, -c, 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.2; done']
---
apiVersion: v1
kind: Service
metadata: { name: skad-echo }
spec:
  type: NodePort
  selector: { app: skad-echo }
  ports: [{ port: 80, targetPort: 8080, nodePort: ${nodePort} }]
`;

type Outcome = 'ok' | 'refused' | 'error';

function get(host: string, port: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200 ? 'ok' : 'error'));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : 'error'));
  });
}

interface PodInfo {
  name: string;
  uid: string;
  ip: string;
  restarts: number;
}

describe('a restarted server adopts the running containers of its node (issue 14)', () => {
  let c: TestCluster;
  const pods = async (): Promise<PodInfo[]> => {
    const items = JSON.parse(await c.k('get', 'pods', '-l', 'app=skad-echo', '-o', 'json')).items as Pod[];
    return items.map((p) => ({
      name: p.metadata!.name!,
      uid: p.metadata!.uid!,
      ip: p.status?.podIP ?? '',
      restarts: (p.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0),
    }));
  };

  before(async () => {
    c = await TestCluster.start({ extraArgs: ['--service-node-port-range', `${nodePortBase}-${nodePortBase + 99}`] });
  });
  after(async () => {
    await c?.destroy();
  });

  it('SIGKILL + restart: RESTARTS 0, same PIDs, no refused connection, logs go on', async () => {
    await c.kubectl(['apply', '-f', '-'], { input: manifest });
    await c.k('rollout', 'status', 'deployment/skad-echo', '--timeout=60s');
    const before = await waitFor('2 ready pods with IPs', async () => {
      const list = await pods();
      return list.length === 2 && list.every((p) => p.ip) ? list : undefined;
    }, 30_000);
    for (const addr of [c.nodeIP, ...before.map((p) => p.ip)]) await c.assertRouted(addr);
    for (const p of before) await waitFor(`${p.name} answers`, async () => ((await get(p.ip, 8080)) === 'ok' ? true : undefined));
    await waitFor('NodePort answers', async () => ((await get(c.nodeIP, nodePort)) === 'ok' ? true : undefined));
    const pids = new Map(before.map((p) => [p.name, mainProcess(p)]));
    for (const [name, pid] of pids) assert.ok(pid, `main process of ${name}`);

    // A bounded request loop to both pod IPs (and the NodePort once the server serves it again).
    const tally = { podOutage: { ok: 0, refused: 0, error: 0 }, podAfter: { ok: 0, refused: 0, error: 0 }, nodePortAfter: { ok: 0, refused: 0, error: 0 } };
    let phase = 'outage' as 'outage' | 'after' | 'done';
    const loop = (async () => {
      while ((phase as string) !== 'done') {
        const current = phase;
        const results = await Promise.all(before.map((p) => get(p.ip, 8080)));
        for (const r of results) (current === 'outage' ? tally.podOutage : tally.podAfter)[r]++;
        if (current === 'after') tally.nodePortAfter[await get(c.nodeIP, nodePort)]++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await c.kill9();
    await c.restart();
    // restart complete: the restarted server serves the NodePort again and reports both pods ready
    await waitFor('NodePort answers after the restart', async () => ((await get(c.nodeIP, nodePort)) === 'ok' ? true : undefined), 30_000);
    const restartedAt = Date.now();
    phase = 'after';
    await waitFor('requests after the restart', () => (tally.nodePortAfter.ok + tally.nodePortAfter.refused + tally.nodePortAfter.error >= 40 ? true : undefined), 30_000);
    phase = 'done';
    await loop;

    assert.deepEqual({ refused: tally.podOutage.refused, error: tally.podOutage.error }, { refused: 0, error: 0 }, `pod IPs during the outage: ${JSON.stringify(tally)}`);
    assert.ok(tally.podOutage.ok > 0, `requests ran during the outage: ${JSON.stringify(tally)}`);
    assert.deepEqual({ refused: tally.podAfter.refused, error: tally.podAfter.error }, { refused: 0, error: 0 }, `pod IPs after the restart: ${JSON.stringify(tally)}`);
    assert.deepEqual({ refused: tally.nodePortAfter.refused, error: tally.nodePortAfter.error }, { refused: 0, error: 0 }, `NodePort after the restart: ${JSON.stringify(tally)}`);

    const afterPods = await pods();
    assert.deepEqual(afterPods.map((p) => p.name).sort(), before.map((p) => p.name).sort(), 'the same pods');
    for (const p of afterPods) {
      assert.equal(p.restarts, 0, `${p.name} RESTARTS`);
      assert.equal(mainProcess(p), pids.get(p.name), `${p.name} keeps its main process`);
      assert.deepEqual(stillRunning([pids.get(p.name)!]), [pids.get(p.name)!]);
    }
    const table = await c.k('get', 'pods', '-l', 'app=skad-echo', '--no-headers');
    for (const line of table.trim().split('\n')) {
      const [, ready, status, restarts] = line.trim().split(/\s+/);
      assert.deepEqual({ ready, status, restarts }, { ready: '2/2', status: 'Running', restarts: '0' }, table);
    }

    // the ticker's output goes on into the same log: lines stamped after the restart, no line lost
    for (const p of afterPods) {
      const logs = await waitFor(`${p.name} logs a line after the restart`, async () => {
        const out = await c.k('logs', p.name, '-c', 'ticker', '--timestamps');
        const late = out.trim().split('\n').filter((l) => Date.parse(l.split(' ')[0]!) > restartedAt + 500);
        return late.length > 0 ? out : undefined;
      }, 15_000);
      const ticks = logs.trim().split('\n').map((l) => Number(/tick (\d+)$/.exec(l)?.[1]));
      assert.ok(ticks.length > 10, `${p.name}: ${ticks.length} lines`);
      assert.deepEqual(ticks, ticks.map((_, i) => i), `${p.name}: every tick from 0, in order, once`);
    }
    assert.ok(c.logs.includes('adopted running container'), `the server says it adopted containers:\n${c.logs.slice(-3000)}`);
  });
});
