// StatefulSets end to end: the real skiff server (one in-process node), the real kubectl, and dig.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { run, TestCluster } from '../support/cluster.js';
import { lines, parseTable } from '../support/kubectl.js';
import { waitFor } from '../support/ports.js';

const manifests = `
apiVersion: v1
kind: Service
metadata: {name: nginx, labels: {app: nginx}}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports:
  - {name: web, port: 80, targetPort: 8080}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 3
  selector:
    matchLabels: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: skiff/echo
        ports:
        - {containerPort: 8080, name: web}
        readinessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 1
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests: {storage: 1Mi}
`;

interface PodView {
  metadata: { name: string; uid: string; labels: Record<string, string> };
  spec: { hostname?: string; subdomain?: string; containers: Array<{ image: string }>; volumes?: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }> };
  status: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }> };
}

describe('StatefulSet with the real kubectl', () => {
  let cluster: TestCluster;
  let watcher: ChildProcess | undefined;
  let watched = '';

  before(async () => {
    cluster = await TestCluster.start({ extraArgs: ['--disable', 'traefik'] });
    await waitFor('node Ready', async () => parseTable(await cluster.k('get', 'nodes'))[0]?.STATUS === 'Ready' || undefined, 30_000);
  });
  after(async () => {
    if (watcher && watcher.exitCode === null) {
      const gone = new Promise((r) => watcher!.once('exit', r));
      watcher.kill('SIGKILL');
      await gone;
    }
    await cluster?.destroy();
  });

  const pod = async (name: string): Promise<PodView> => JSON.parse(await cluster.k('get', 'pod', name, '-o', 'json')) as PodView;
  const ready = (p: PodView) => p.status.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
  const allReady = (n: number) =>
    waitFor(`statefulset web ${n}/${n} ready`, async () => {
      const rows = parseTable(await cluster.k('get', 'sts', 'web'));
      return rows[0]?.READY === `${n}/${n}` ? rows : undefined;
    }, 90_000);

  it('lists the apps kinds in api-resources with their short names', async () => {
    const rows = parseTable(await cluster.k('api-resources', '--api-group', 'apps'));
    const byName = Object.fromEntries(rows.map((r) => [r.NAME, r]));
    assert.equal(byName.statefulsets?.SHORTNAMES, 'sts');
    assert.equal(byName.daemonsets?.SHORTNAMES, 'ds');
    assert.equal(byName.controllerrevisions?.KIND, 'ControllerRevision');
    assert.equal(byName.statefulsets?.NAMESPACED, 'true');
    const explain = await cluster.k('explain', 'sts.spec.podManagementPolicy');
    assert.match(explain, /podManagementPolicy/);
  });

  it('brings web-0, web-1, web-2 up in order, each after the one before is Running and Ready', async () => {
    watcher = spawn('kubectl', ['get', 'pods', '-l', 'app=nginx', '-w', '-o', 'jsonpath={.metadata.name} {.status.phase} {.status.conditions[?(@.type=="Ready")].status} {.metadata.deletionTimestamp}{"\\n"}'], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    watcher.stdout!.on('data', (d: Buffer) => (watched += d.toString()));
    // the watch is established once kubectl has listed (an empty list prints nothing): give it a pod to see
    await cluster.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: probe, labels: {app: nginx}}\nspec:\n  containers:\n  - {name: c, image: busybox, command: [sleep, "3600"]}\n' });
    await waitFor('the watch to print', () => watched.includes('probe') || undefined);
    await cluster.k('delete', 'pod', 'probe', '--wait=false');
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: manifests });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /statefulset.apps\/web created/);
    await allReady(3);
    const events = lines(watched).filter((l) => l.startsWith('web-'));
    const first = (name: string) => events.findIndex((l) => l.startsWith(`${name} `));
    const readyAt = (name: string) => events.findIndex((l) => l === `${name} Running True`);
    assert.ok(readyAt('web-0') >= 0 && first('web-1') > readyAt('web-0'), `web-1 appeared before web-0 was ready:\n${events.join('\n')}`);
    assert.ok(readyAt('web-1') >= 0 && first('web-2') > readyAt('web-1'), `web-2 appeared before web-1 was ready:\n${events.join('\n')}`);
    const p0 = await pod('web-0');
    assert.equal(p0.spec.hostname, 'web-0');
    assert.equal(p0.spec.subdomain, 'nginx');
    assert.equal(p0.metadata.labels['statefulset.kubernetes.io/pod-name'], 'web-0');
    assert.equal(p0.metadata.labels['apps.kubernetes.io/pod-index'], '0');
    assert.match(p0.metadata.labels['controller-revision-hash'] ?? '', /^web-[a-z0-9]+$/);
    assert.deepEqual(p0.spec.volumes?.find((v) => v.name === 'www')?.persistentVolumeClaim, { claimName: 'www-web-0' });
    const wide = parseTable(await cluster.k('get', 'sts', '-o', 'wide'));
    assert.deepEqual(Object.keys(wide[0]!), ['NAME', 'READY', 'AGE', 'CONTAINERS', 'IMAGES']);
    assert.equal(wide[0]!.IMAGES, 'skiff/echo');
  });

  it('cluster DNS answers web-0.nginx.default.svc.cluster.local with that pod IP', async (t) => {
    if ((await run('which', ['dig'])).code !== 0) return t.skip('dig (bind9-dnsutils) is not installed');
    // loopback mode: the in-process DNS server behind kube-dns-skiff; netns mode: the CoreDNS pods behind the kube-dns ClusterIP
    const server = cluster.netns
      ? { ip: (await cluster.k('get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}')).trim(), port: 53 }
      : await (async () => {
        const slice = JSON.parse(await cluster.k('get', 'endpointslice', '-n', 'kube-system', 'kube-dns-skiff', '-o', 'json')) as { endpoints: Array<{ addresses: string[] }>; ports: Array<{ name: string; port: number }> };
        return { ip: slice.endpoints[0]!.addresses[0]!, port: slice.ports.find((p) => p.name === 'dns')!.port };
      })();
    await cluster.assertRouted(server.ip);
    for (const name of ['web-0', 'web-2']) {
      const ip = (await pod(name)).status.podIP!;
      const answer = await waitFor(`${name} to resolve`, async () => {
        const r = await run('dig', [`@${server.ip}`, '-p', String(server.port), '+tries=1', '+time=5', '+short', `${name}.nginx.default.svc.cluster.local`, 'A']);
        return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
      });
      assert.equal(answer, ip);
    }
  });

  it('brings back a deleted web-1 with the same name and claim', async () => {
    const before = await pod('web-1');
    await cluster.k('delete', 'pod', 'web-1');
    const after = await waitFor('a new web-1 ready', async () => {
      const r = await cluster.kubectl(['get', 'pod', 'web-1', '-o', 'json']);
      if (r.code !== 0) return undefined;
      const p = JSON.parse(r.stdout) as PodView;
      return p.metadata.uid !== before.metadata.uid && ready(p) ? p : undefined;
    }, 60_000);
    assert.equal(after.spec.hostname, 'web-1');
    assert.deepEqual(after.spec.volumes?.find((v) => v.name === 'www')?.persistentVolumeClaim, { claimName: 'www-web-1' });
  });

  it('rolls out a new image in reverse order, shows history, and undoes it', async () => {
    await cluster.k('annotate', 'sts', 'web', 'kubernetes.io/change-cause=v1');
    await cluster.k('set', 'image', 'sts/web', 'web=skiff/echo:2');
    const status = await cluster.kubectl(['rollout', 'status', 'sts/web', '--timeout=120s'], { timeoutMs: 130_000 });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /partitioned roll out complete: 3 new pods have been updated/);
    for (const n of [0, 1, 2]) assert.equal((await pod(`web-${n}`)).spec.containers[0]!.image, 'skiff/echo:2');
    const revs = parseTable(await cluster.k('get', 'controllerrevisions'));
    assert.equal(revs.length, 2);
    assert.deepEqual(revs.map((r) => r.CONTROLLER), ['statefulset.apps/web', 'statefulset.apps/web']);
    assert.deepEqual(revs.map((r) => r.REVISION).sort(), ['1', '2']);
    const history = await cluster.k('rollout', 'history', 'sts/web');
    assert.match(history, /REVISION/);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);
    const rev1 = await cluster.k('rollout', 'history', 'sts/web', '--revision=1');
    assert.match(rev1, /Image:\s+skiff\/echo\n/);
    const undo = await cluster.k('rollout', 'undo', 'sts/web');
    assert.match(undo, /statefulset.apps\/web rolled back/);
    const again = await cluster.kubectl(['rollout', 'status', 'sts/web', '--timeout=120s'], { timeoutMs: 130_000 });
    assert.equal(again.code, 0, again.stderr);
    await allReady(3);
    for (const n of [0, 1, 2]) assert.equal((await pod(`web-${n}`)).spec.containers[0]!.image, 'skiff/echo');
    const after = await cluster.k('rollout', 'history', 'sts/web');
    assert.match(after, /^2\s/m);
    assert.match(after, /^3\s/m);
    assert.doesNotMatch(after, /^1\s/m);
  });

  it('scales down in reverse order through the scale subresource', async () => {
    const from = watched.length;
    await cluster.k('scale', 'sts/web', '--replicas=1');
    await waitFor('only web-0 left', async () => {
      const names = parseTable(await cluster.k('get', 'pods', '-l', 'app=nginx')).map((r) => r.NAME);
      return names.length === 1 && names[0] === 'web-0' ? names : undefined;
    }, 60_000);
    // the watch started in the ordering test saw each pod begin terminating (a deletionTimestamp): web-2 first
    const terminating = lines(watched.slice(from)).filter((l) => /^web-[12] .* \d{4}-\d\d-\d\dT/.test(l)).map((l) => l.split(' ')[0]);
    assert.equal(terminating[0], 'web-2', terminating.join('\n'));
    assert.ok(terminating.includes('web-1'));
    const events = await cluster.k('get', 'events', '--field-selector', 'involvedObject.kind=StatefulSet,reason=SuccessfulDelete', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}');
    assert.match(events, /delete Pod web-2 in StatefulSet web successful/);
    assert.match(events, /delete Pod web-1 in StatefulSet web successful/);
  });
});
