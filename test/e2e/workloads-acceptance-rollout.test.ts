/**
 * Issue 3's acceptance, part 2, with REAL pods and the real kubectl: `set image` rolls out while a
 * `kubectl get pods -w` asserts the strategy's surge/unavailable bounds at every event; rollout status,
 * history and undo (with and without --to-revision) print what Kubernetes prints; probes gate pods
 * (liveness → CrashLoopBackOff with backoff, readiness → 0/1); an unmappable image → ImagePullBackOff
 * with the catalog's advice, which, followed, makes the pod run.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { parseTable } from '../support/kubectl.js';
import { podProcesses, stillRunning } from '../support/pod-processes.js';
import { waitFor } from '../support/ports.js';

const seeds = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');

const busyboxDeployment = (name: string, container: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: c
${container}`;

/** `kubectl get pods -w --output-watch-events` as lines `TYPE NAME DELETION-TIMESTAMP READY`. */
class PodWatch {
  readonly child: ChildProcess;
  readonly events: string[][] = [];
  private buf = '';
  constructor(c: TestCluster, selector: string, onEvent: (e: string[]) => void) {
    const jsonpath = '{.type} {.object.metadata.name} {.object.metadata.deletionTimestamp} {.object.status.conditions[?(@.type=="Ready")].status}{"\\n"}';
    this.child = spawn('kubectl', ['get', 'pods', '-l', selector, '-w', '--output-watch-events', '-o', `jsonpath=${jsonpath}`], {
      env: { ...process.env, KUBECONFIG: c.kubeconfig, HOME: c.home },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.buf += d;
      for (let i = this.buf.indexOf('\n'); i >= 0; i = this.buf.indexOf('\n')) {
        const e = this.buf.slice(0, i).split(/\s+/).filter(Boolean);
        this.buf = this.buf.slice(i + 1);
        this.events.push(e);
        onEvent(e);
      }
    });
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await gone;
  }
}

describe('rollouts, rollbacks and probes with real pods (issue 3)', () => {
  let c: TestCluster;
  let watch: PodWatch | undefined;
  const everyPid = new Set<number>();
  const track = async (selector: string) => {
    const items = JSON.parse(await c.k('get', 'pods', '-l', selector, '-o', 'json')).items as Array<{ metadata: { uid: string }; status: { podIP?: string } }>;
    for (const p of items) podProcesses({ uid: p.metadata.uid, ip: p.status.podIP ?? '-' }).forEach((pid) => everyPid.add(pid));
  };
  const apply = async (text: string) => c.kubectl(['apply', '-f', '-'], { input: text }).then((r) => assert.equal(r.code, 0, r.stderr));
  const podRow = async (app: string) => parseTable(await c.k('get', 'pods', '-l', `app=${app}`))[0];

  before(async () => {
    c = await TestCluster.start({ nodes: 2, extraArgs: ['--disable', 'traefik'] });
    await waitFor('2 Ready nodes', async () => parseTable(await c.k('get', 'nodes')).filter((r) => r.STATUS === 'Ready').length === 2 || undefined);
    // Started first: its backoff runs while the rollout tests do.
    await apply(busyboxDeployment('live', `        image: busybox\n        command: [sh, -c, 'echo alive; exec sleep 3600']\n        livenessProbe:\n          exec: {command: [sh, -c, 'exit 1']}\n          periodSeconds: 1\n          failureThreshold: 1\n`));
  });
  after(async () => {
    await watch?.stop();
    await c?.destroy();
    assert.deepEqual(stillRunning([...everyPid]), [], 'no pod process outlives the cluster');
  });

  it('set image, undo --to-revision=1 and undo roll out within maxSurge/maxUnavailable, seen by a watch', async () => {
    await c.k('apply', '-f', resolve(seeds, '002-deployment.yaml'));
    await c.k('rollout', 'status', 'deploy/webui', '--timeout=60s');
    await track('app=webui');
    const d = JSON.parse(await c.k('get', 'deploy', 'webui', '-o', 'json'));
    assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    // Kubernetes' rounding: surge rounds up, unavailable down (and both 0 would be invalid).
    const replicas = d.spec.replicas as number;
    const maxPods = replicas + Math.ceil((replicas * 25) / 100);
    const minAvailable = replicas - Math.floor((replicas * 25) / 100);
    assert.deepEqual([maxPods, minAvailable], [4, 3]);

    const live = new Map<string, boolean>(); // not-terminating pods → Ready
    const violations: string[] = [];
    let synced = false;
    let peak = 0;
    watch = new PodWatch(c, 'app=webui', ([type, name, ...rest]) => {
      const terminating = rest.length === 2 || (rest.length === 1 && /^\d{4}-/.test(rest[0]!));
      const ready = rest.at(-1) === 'True';
      if (type === 'DELETED' || terminating) live.delete(name!);
      else live.set(name!, ready);
      if (!synced) synced = live.size === replicas && [...live.values()].every(Boolean);
      if (!synced) return;
      const available = [...live.values()].filter(Boolean).length;
      peak = Math.max(peak, live.size);
      if (live.size > maxPods) violations.push(`${live.size} pods after ${type} ${name}`);
      if (available < minAvailable) violations.push(`${available} available after ${type} ${name}`);
    });
    await waitFor('the watch lists the 3 pods', () => synced || undefined);

    assert.equal(await c.k('set', 'image', 'deploy/webui', 'nginx-container=nginx:1.16'), 'deployment.apps/webui image updated\n');
    const status = await c.k('rollout', 'status', 'deploy/webui', '--timeout=60s');
    assert.match(status, /^Waiting for deployment "webui" rollout to finish: \d out of 3 new replicas have been updated\.\.\.\n/);
    assert.match(status, /\ndeployment "webui" successfully rolled out\n$/);
    await track('app=webui');
    const history = 'deployment.apps/webui \nREVISION  CHANGE-CAUSE\n';
    assert.equal(await c.k('rollout', 'history', 'deploy/webui'), `${history}1         <none>\n2         <none>\n\n`);

    assert.equal(await c.k('rollout', 'undo', 'deploy/webui', '--to-revision=1'), 'deployment.apps/webui rolled back\n');
    assert.match(await c.k('rollout', 'status', 'deploy/webui', '--timeout=60s'), /successfully rolled out\n$/);
    await track('app=webui');
    assert.equal(await c.k('rollout', 'history', 'deploy/webui'), `${history}2         <none>\n3         <none>\n\n`);
    const rev3 = await c.k('rollout', 'history', 'deploy/webui', '--revision=3');
    assert.match(rev3, /^deployment\.apps\/webui with revision #3\nPod Template:\n/);
    assert.match(rev3, /Image:\tnginx:1\.14\n/);
    const rs = JSON.parse(await c.k('get', 'rs', '-l', 'app=webui', '-o', 'json')).items as Array<{ metadata: { annotations: Record<string, string> }; spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } } }>;
    assert.equal(rs.length, 2, 'undo reused the first ReplicaSet');
    const byRevision = Object.fromEntries(rs.map((r) => [r.metadata.annotations['deployment.kubernetes.io/revision'], [r.spec.template.spec.containers[0]!.image, r.spec.replicas]]));
    assert.deepEqual(byRevision, { '2': ['nginx:1.16', 0], '3': ['nginx:1.14', 3] });

    assert.equal(await c.k('rollout', 'undo', 'deploy/webui'), 'deployment.apps/webui rolled back\n');
    await c.k('rollout', 'status', 'deploy/webui', '--timeout=60s');
    await track('app=webui');
    assert.equal(await c.k('rollout', 'history', 'deploy/webui'), `${history}3         <none>\n4         <none>\n\n`);
    assert.equal((await c.k('get', 'deploy', 'webui', '-o', 'jsonpath={.spec.template.spec.containers[0].image}')).trim(), 'nginx:1.16');
    const gone = await c.kubectl(['rollout', 'undo', 'deploy/webui', '--to-revision=1']);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'error: unable to find specified revision 1 in history\n');

    await watch.stop();
    assert.deepEqual(violations, [], `bounds exceeded:\n${watch.events.map((e) => e.join(' ')).join('\n')}`);
    assert.equal(peak, maxPods, 'the rollout used its surge');
    const events = await c.k('get', 'events', '--field-selector', 'involvedObject.kind=Deployment');
    assert.match(events, /ScalingReplicaSet\s+deployment\/webui\s+Scaled up replica set webui-\w+ from 0 to 1/);
    assert.match(events, /ScalingReplicaSet\s+deployment\/webui\s+Scaled down replica set webui-\w+ from 3 to 2/);
  });

  it('a failing liveness probe restarts the container with backoff: CrashLoopBackOff, growing restarts, BackOff', async () => {
    const seenStatuses = new Set<string>();
    const row = await waitFor('CrashLoopBackOff with 2 restarts', async () => {
      await track('app=live');
      const r = await podRow('live');
      if (r) seenStatuses.add(r.STATUS!);
      return r?.STATUS === 'CrashLoopBackOff' && /^[2-9]/.test(r.RESTARTS!) ? r : undefined;
    }, 45_000);
    assert.match(row.RESTARTS!, /^\d+ \(\d+s ago\)$/);
    assert.equal(row.READY, '0/1');
    const pod = JSON.parse(await c.k('get', 'pods', '-l', 'app=live', '-o', 'json')).items[0];
    const cs = pod.status.containerStatuses[0];
    assert.equal(cs.state.waiting.reason, 'CrashLoopBackOff');
    assert.match(cs.state.waiting.message, /^back-off (10|20|40)s restarting failed container=c pod=live-\w+-\w+_default\(/);
    // SIGTERM, then SIGKILL after the grace period: 143 or 137 (without a PID namespace sleep dies of SIGTERM)
    assert.ok([137, 143].includes(cs.lastState.terminated.exitCode), JSON.stringify(cs.lastState));
    const events = await c.k('get', 'events', '--field-selector', `involvedObject.name=${pod.metadata.name}`);
    assert.match(events, /Warning\s+Unhealthy\s+pod\/\S+\s+Liveness probe failed/);
    assert.match(events, /Normal\s+Killing\s+pod\/\S+\s+Container c failed liveness probe, will be restarted/);
    assert.match(events, /Warning\s+BackOff\s+pod\/\S+\s+Back-off restarting failed container c in pod live-/);
  });

  it('a failing readiness probe makes the pod 0/1 Ready and the Deployment unavailable', async () => {
    await apply(busyboxDeployment('unready', `        image: busybox\n        command: [sh, -c, 'exec sleep 3600']\n        readinessProbe:\n          exec: {command: [sh, -c, 'exit 1']}\n          periodSeconds: 1\n`));
    const row = await waitFor('unready Running', async () => {
      await track('app=unready');
      const r = await podRow('unready');
      return r?.STATUS === 'Running' ? r : undefined;
    }, 30_000);
    assert.deepEqual([row.READY, row.RESTARTS], ['0/1', '0']);
    await waitFor('Unhealthy event', async () => /Readiness probe failed/.test(await c.k('get', 'events', '--field-selector', `involvedObject.name=${row.NAME}`)) || undefined);
    const deploy = parseTable(await c.k('get', 'deploy', 'unready'))[0]!;
    assert.deepEqual([deploy.READY, deploy['UP-TO-DATE'], deploy.AVAILABLE], ['0/1', '1', '0']);
    assert.equal((await podRow('unready'))?.READY, '0/1', 'still not ready');
  });

  it("an unmappable image shows ImagePullBackOff; describe has the catalog's advice, which works", async () => {
    await apply(busyboxDeployment('private', '        image: example.com/team/app:2.0\n'));
    await waitFor('ImagePullBackOff', async () => (await podRow('private'))?.STATUS === 'ImagePullBackOff' || undefined, 30_000);
    const describe = await c.k('describe', 'pods', '-l', 'app=private');
    assert.match(describe, /State:\s+Waiting\n\s+Reason:\s+ImagePullBackOff\n/);
    const file = join(c.dataDir, 'images.yaml');
    if (c.netns && process.env.SKIFF_TEST_CONTAINER_RUNTIME !== 'process') {
      // netns mode runs images the catalog does not map with the oci runtime: the pull goes to the harness'
      // refusing registry mirror (registries.yaml), and the catalog's mapping still wins once it is written
      assert.match(describe, /Failed to pull image "example\.com\/team\/app:2\.0": .*docker:\/\/127\.0\.0\.1:1\/team\/app:2\.0/, describe);
    } else {
      assert.ok(describe.includes(`Failed to pull image "example.com/team/app:2.0": image "example.com/team/app:2.0" is not in skiff's image catalog (skiff runs containers as host processes and pulls no images); map it to a host command in ${file}, for example:\n- match: "example.com/team/app*"\n  command: ["/path/to/program"]`), describe);
    }
    assert.match(describe, /Warning\s+Failed\s+.*kubelet\s+Error: ImagePullBackOff/);
    assert.match(describe, /Normal\s+BackOff\s+.*kubelet\s+Back-off pulling image "example.com\/team\/app:2.0"/);
    // Following the advice: the mapping is read on the next pull.
    await writeFile(file, '- match: "example.com/team/app*"\n  command: ["sh", "-c", "echo mapped; exec sleep 3600"]\n');
    await c.k('delete', 'pods', '-l', 'app=private');
    await c.k('rollout', 'status', 'deploy/private', '--timeout=30s');
    await track('app=private');
    assert.equal(await c.k('logs', 'deploy/private'), 'mapped\n');
  });
});
