/**
 * netns mode (issue 8): a LoadBalancer address from a user IPAddressPool outside skiff's own ranges (seed
 * 000's form, here in a range of the test's own block) is routed via skf-C and answered from the machine,
 * a pool overlapping a route the machine has is refused with a Warning event; and a `skiff server` killed
 * with SIGKILL and started again adopts its node namespaces and their pods: no restart, no failed request
 * to the ClusterIP from the machine, the unreachable routes in place throughout, nothing left after stop.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { run, TestCluster } from '../support/cluster.js';
import { netnsSkipReason } from '../support/netns.js';
import { waitFor } from '../support/ports.js';

const exec = promisify(execFile);
const skip = await netnsSkipReason();

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

const routesOfMachine = async () => (await exec('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;

describe('netns mode: LoadBalancer routes for user pools, and a restart that adopts its pods', { skip }, () => {
  let c: TestCluster;
  /** A range of the cluster's block 10.S.0.0/16 that none of skiff's own ranges covers (10.S.32.0/24). */
  const pool = () => ({ first: `10.${c.octet}.32.240`, last: `10.${c.octet}.32.250` });

  before(async () => {
    c = await TestCluster.start({ network: 'netns', nodes: 1, extraArgs: ['--disable', 'traefik'] });
  });
  after(async () => {
    await c?.destroy();
    if (c) assert.doesNotMatch(await routesOfMachine(), new RegExp(`10\\.${c.octet}\\.32\\.`), 'the pool routes are gone after stop');
  });

  it('routes an EXTERNAL-IP of a user pool outside skiff\'s ranges via skf-C; refuses a pool overlapping a machine route', async () => {
    const { first, last } = pool();
    const manifest = `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: user-pool, namespace: metallb-system }
spec: { addresses: ["${first}-${last}"], autoAssign: false }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: lbr-echo }
spec:
  replicas: 2
  selector: { matchLabels: { app: lbr-echo } }
  template:
    metadata: { labels: { app: lbr-echo } }
    spec:
      containers:
      - { name: echo, image: skiff/echo, ports: [{ containerPort: 8080 }], readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1 } }
---
apiVersion: v1
kind: Service
metadata: { name: lbr-echo, annotations: { metallb.io/address-pool: user-pool } }
spec:
  type: LoadBalancer
  selector: { app: lbr-echo }
  ports: [{ port: 80, targetPort: 8080 }]
`;
    assert.equal((await c.kubectl(['apply', '-f', '-'], { input: manifest })).code, 0);
    await c.k('rollout', 'status', 'deployment/lbr-echo', '--timeout=60s');
    const ip = await waitFor('EXTERNAL-IP from user-pool', async () => (await c.k('get', 'svc', 'lbr-echo', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).trim() || undefined, 20_000);
    assert.match(ip, new RegExp(`^10\\.${c.octet}\\.32\\.(24\\d|250)$`));
    // the route comes from skiff, asynchronously: wait for it before the first packet
    await waitFor(`ip route get ${ip} via skf-${c.netns!.clusterName}`, () => c.assertRouted(ip).then(() => true, () => undefined), 20_000);
    const routes = await routesOfMachine();
    assert.match(routes, new RegExp(`unreachable 10\\.${c.octet}\\.32\\.240/29 .*metric 4242`), routes);
    const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '3', `http://${ip}/`]);
    assert.equal(r.stdout, '200', `curl http://${ip}/ from the machine: ${r.stderr}`);

    // a pool overlapping a route the machine has (its first non-default route that is not skiff's): refused
    const machine = (JSON.parse((await exec('ip', ['-j', '-4', 'route', 'show'])).stdout) as { dst: string; dev?: string; type?: string }[])
      .find((x) => x.dst !== 'default' && x.dst.includes('/') && x.type !== 'unreachable' && !x.dev?.startsWith('skf-'));
    if (!machine) return; // a machine with nothing but a default route: no overlap to show
    const clash = `apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: clash-pool, namespace: metallb-system }\nspec: { addresses: ["${machine.dst}"], autoAssign: false }\n`;
    assert.equal((await c.kubectl(['apply', '-f', '-'], { input: clash })).code, 0);
    const events = await waitFor('RouteConflict event on clash-pool', async () => {
      const out = await c.k('get', 'events', '-n', 'metallb-system', '--field-selector', 'involvedObject.name=clash-pool', '-o', 'jsonpath={range .items[*]}{.type} {.reason}: {.message}{"\\n"}{end}');
      return out.includes('RouteConflict') ? out : undefined;
    }, 20_000);
    assert.match(events, new RegExp(`Warning RouteConflict: skiff adds no route for this pool: ${machine.dst.replace(/\./g, '\\.')} overlaps the machine's route ${machine.dst.replace(/\./g, '\\.')} dev ${machine.dev}`));
    assert.match(c.logs, /IPAddressPool metallb-system\/clash-pool: skiff adds no route for this pool/);
    assert.ok(!(await routesOfMachine()).includes(`unreachable ${machine.dst}`), 'no route of skiff\'s for the refused pool');
    await c.k('delete', 'ipaddresspool', '-n', 'metallb-system', 'clash-pool');
  });

  it('SIGKILL + restart under a ClusterIP request loop: pods adopted, RESTARTS unchanged, no failed request', async () => {
    const pods = async () => (JSON.parse(await c.k('get', 'pods', '-l', 'app=lbr-echo', '-o', 'json')).items as Pod[])
      .map((p) => ({ name: p.metadata!.name!, restarts: (p.status?.containerStatuses ?? []).reduce((n, s) => n + (s.restartCount ?? 0), 0) }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const before = await pods();
    assert.equal(before.length, 2);
    const clusterIP = (await c.k('get', 'svc', 'lbr-echo', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    const lbIP = (await c.k('get', 'svc', 'lbr-echo', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).trim();
    await c.assertRouted(clusterIP);
    await waitFor('the ClusterIP answers', async () => ((await get(clusterIP, 80)) === 'ok' ? true : undefined));
    const unreachable = (routes: string) => routes.split('\n').filter((l) => l.startsWith('unreachable') && l.includes('metric 4242') && l.includes(`10.${c.octet}.`)).sort();
    const safety = unreachable(await routesOfMachine());
    assert.ok(safety.length >= 5, `skiff's unreachable routes and the pool's:\n${safety.join('\n')}`);

    const tally = { outage: { ok: 0, refused: 0, error: 0 }, after: { ok: 0, refused: 0, error: 0 } };
    let phase = 'outage' as 'outage' | 'after' | 'done';
    const loop = (async () => {
      while ((phase as string) !== 'done') {
        const current = phase as 'outage' | 'after';
        tally[current][await get(clusterIP, 80)]++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await c.kill9();
    // the dead run's namespaces and safety routes stay (its pods go on serving)
    assert.deepEqual(unreachable(await routesOfMachine()), safety, 'the unreachable routes stay while no server runs');
    await c.restart();
    phase = 'after';
    await waitFor('requests after the restart', () => (tally.after.ok + tally.after.refused + tally.after.error >= 40 ? true : undefined), 30_000);
    phase = 'done';
    await loop;
    assert.deepEqual({ refused: tally.outage.refused + tally.after.refused, error: tally.outage.error + tally.after.error }, { refused: 0, error: 0 }, JSON.stringify(tally));
    assert.ok(tally.outage.ok > 0, JSON.stringify(tally));
    assert.deepEqual(await pods(), before, 'the same pods, RESTARTS unchanged');
    assert.match(c.logs, /adopting the netns topology of cluster/);
    assert.match(c.logs, /adopted running container echo/);
    assert.deepEqual(unreachable(await routesOfMachine()), safety, 'the unreachable routes after the restart');
    await waitFor(`${lbIP} routed again`, () => c.assertRouted(lbIP).then(() => true, () => undefined), 20_000);
    assert.equal(await get(lbIP, 80), 'ok');
  });
});
