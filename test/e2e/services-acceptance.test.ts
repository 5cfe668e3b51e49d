/**
 * Issue 4's acceptance, part 1, with REAL pods (host nginx and the echo app run by the in-process kubelets):
 * the seeds' NodePort/ClusterIP/LoadBalancer Services, load balancing over 3 echo replicas, session
 * affinity, readiness and scale changes reaching the proxy within one sync, refusal without endpoints,
 * and LoadBalancer EXTERNAL-IPs from the pool. Driven by the real kubectl and curl on a 3-node cluster.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, TestCluster } from '../support/cluster.js';
import { inCidr, parseTable } from '../support/kubectl.js';
import { connectOutcome, curl, curlEcho, curlHostnames, podProcesses, tally } from '../support/net-tools.js';
import { waitFor } from '../support/ports.js';

const seeds = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');
/**
 * One sync of the proxy is 100ms (kube-proxy's min-sync-period); what the test observes adds a kubectl
 * poll of the EndpointSlice and a batch of curl requests, each well under this bound.
 */
const SYNC_BOUND_MS = 1000;

const echoDeployment = (replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
      - name: echo
        image: skiff/echo
        env: [{name: PORT, value: "8080"}]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /readyz, port: 8080}
          periodSeconds: 1
          failureThreshold: 1
`;

describe('Services carry real traffic to real pods (3 nodes)', () => {
  let c: TestCluster;
  // The cluster's own address block (address-block.ts): its nodes take 127.S.0.1-3; externalIPs and
  // client addresses are spare addresses of the block.
  let nodeIPs: string[];
  let lbPool: string;
  const echoIPs = new Map<string, string>(); // pod name → pod IP

  const apply = async (text: string) => c.kubectl(['apply', '-f', '-'], { input: text }).then((r) => assert.equal(r.code, 0, r.stderr));
  const clusterIP = async (svc: string) => (await c.k('get', 'svc', svc, '-o', 'jsonpath={.spec.clusterIP}')).trim();
  const readyIPs = async (svc: string): Promise<string[]> => {
    const out = JSON.parse(await c.k('get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`, '-o', 'json'));
    return out.items
      .flatMap((s: { endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }> }) => (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false))
      .map((e: { addresses: string[] }) => e.addresses[0]).sort();
  };
  const echoPods = async () => {
    const pods = JSON.parse(await c.k('get', 'pods', '-l', 'app=echo', '-o', 'json')).items as Array<{ metadata: { name: string; deletionTimestamp?: string }; status: { podIP?: string; conditions?: Array<{ type: string; status: string }> } }>;
    return pods.filter((p) => !p.metadata.deletionTimestamp).map((p) => ({ name: p.metadata.name, ip: p.status.podIP ?? '', ready: p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false }));
  };

  before(async () => {
    // loopback mode: seed 001's externalIPs and the test's clients are spare 127.x addresses of the block
    c = await TestCluster.start({ network: 'loopback', nodes: 3, extraArgs: ['--disable', 'traefik'] });
    nodeIPs = [1, 2, 3].map((n) => c.nodeIP.replace(/\.1$/, `.${n}`));
    lbPool = c.lbPool;
    await waitFor('3 Ready nodes', async () => parseTable(await c.k('get', 'nodes')).filter((r) => r.STATUS === 'Ready').length === 3 || undefined);
  });
  after(async () => {
    await c?.destroy();
    if (c) assert.deepEqual(podProcesses(`127.${c.octet}.`), [], 'no pod process outlives the cluster');
  });

  it("seed 000: curl NODE_IP:30008 reaches the nginx pod from every node's IP", async () => {
    await c.k('apply', '-f', resolve(seeds, '000-nodeport.yaml'));
    await c.k('wait', '--for=condition=Ready', 'pod/pod-nginx', '--timeout=60s');
    assert.deepEqual(await readyIPs('nginx-nodeport'), [(await c.k('get', 'pod', 'pod-nginx', '-o', 'jsonpath={.status.podIP}')).trim()]);
    for (const ip of nodeIPs) {
      const page = await waitFor(`nginx through ${ip}:30008`, () => curl(`http://${ip}:30008/`), 5000);
      assert.match(page, /<title>Welcome to nginx!<\/title>/, `from ${ip}`);
    }
  });

  it("seed 001: ClusterIP, NodePort and LoadBalancer Services (externalIPs in the test's range) answer with the echo app's JSON", async () => {
    await c.k('apply', '-f', resolve(seeds, '001-pod.yaml'));
    const externalIPs = [150, 151, 152].map((n) => c.spare(n, 2));
    for (const f of ['001-clusterip.yaml', '001-nodeport.yaml', '001-loadbalancer.yaml']) {
      await apply((await readFile(resolve(seeds, f), 'utf8')).replace(/192\.168\.56\.(\d+)/g, (_, n: string) => c.spare(Number(n), 2)));
    }
    await c.k('wait', '--for=condition=Ready', 'pod/spring-boot-rest-pod-app', '--timeout=60s');
    const podIP = (await c.k('get', 'pod', 'spring-boot-rest-pod-app', '-o', 'jsonpath={.status.podIP}')).trim();
    const lbIP = await waitFor('the LoadBalancer ingress IP', async () => (await c.k('get', 'svc', 'loadbalancer-sample-service', '-o', 'jsonpath={.status.loadBalancer.ingress[0].ip}')).trim() || undefined);
    assert.ok(inCidr(lbIP, lbPool), `${lbIP} from the pool ${lbPool}`);
    const rows = new Map(parseTable(await c.k('get', 'svc')).map((r) => [r.NAME, r]));
    assert.equal(rows.get('nodeport-sample-service')?.['EXTERNAL-IP'], externalIPs.join(','));
    assert.equal(rows.get('nodeport-sample-service')?.['PORT(S)'], '8080:30303/TCP');
    assert.equal(rows.get('loadbalancer-sample-service')?.['EXTERNAL-IP'], [lbIP, ...externalIPs].join(','));
    const lbNodePort = (await c.k('get', 'svc', 'loadbalancer-sample-service', '-o', 'jsonpath={.spec.ports[0].nodePort}')).trim();
    const urls = [
      `http://${await clusterIP('clusterip-sample-service')}:8080/`,
      ...nodeIPs.map((ip) => `http://${ip}:30303/`),
      ...externalIPs.map((ip) => `http://${ip}:8080/`),
      `http://${await clusterIP('nodeport-sample-service')}:8080/`,
      `http://${lbIP}:8080/`,
      `http://${nodeIPs[2]}:${lbNodePort}/`,
    ];
    for (const url of urls) {
      const body = await waitFor(`echo JSON at ${url}`, () => curlEcho(url), 5000);
      assert.equal(body.hostname, 'spring-boot-rest-pod-app', url);
      assert.equal(body.podIP, podIP, url);
    }
  });

  it('3 echo replicas behind a ClusterIP: 300 requests reach all 3 (random)', async () => {
    await apply(echoDeployment(3));
    await apply('apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec:\n  selector: {app: echo}\n  ports: [{name: http, port: 80, targetPort: http}]\n');
    await c.k('rollout', 'status', 'deploy/echo', '--timeout=60s');
    for (const p of await echoPods()) echoIPs.set(p.name, p.ip);
    assert.equal(echoIPs.size, 3);
    const ip = await clusterIP('echo');
    await waitFor('3 ready endpoints', async () => (await readyIPs('echo')).length === 3 || undefined);
    // the proxy applies endpoint changes at most once a second under churn (kube-proxy's minSyncPeriod):
    // count once it has all three
    await waitFor('the proxy balances over all 3', async () => tally(await curlHostnames(`http://${ip}`, 30)).size === 3 || undefined, 10_000);
    const counts = tally(await curlHostnames(`http://${ip}`, 300));
    assert.deepEqual([...counts.keys()].sort(), [...echoIPs.keys()].sort());
    // random: each pod's share is Binomial(300, 1/3), mean 100, sd ~8.2; 60 is ~5 sd below.
    for (const [pod, n] of counts) assert.ok(n >= 60 && n <= 140, `${pod} got ${n} of 300`);
  });

  it('sessionAffinity ClientIP pins each client to one pod', async () => {
    await apply('apiVersion: v1\nkind: Service\nmetadata: {name: echo-sticky}\nspec:\n  selector: {app: echo}\n  sessionAffinity: ClientIP\n  ports: [{port: 80, targetPort: 8080}]\n');
    const ip = await clusterIP('echo-sticky');
    await waitFor('3 ready endpoints', async () => (await readyIPs('echo-sticky')).length === 3 || undefined);
    const pinned = new Set<string>();
    for (let k = 1; k <= 12; k++) {
      const from = c.spare(k, 3);
      const counts = tally(await curlHostnames(`http://${ip}`, 15, { from }));
      assert.equal(counts.size, 1, `client ${from} was spread over ${[...counts.keys()]}`);
      pinned.add([...counts.keys()][0]!);
    }
    // 12 clients all landing on one of 3 pods by chance: 3 * 3^-12.
    assert.ok(pinned.size >= 2, `all clients pinned to ${[...pinned]}`);
  });

  it('a readiness flip removes a pod from the rotation and a new replica joins, each within one sync', async (t) => {
    const ip = await clusterIP('echo');
    const [victim, victimIP] = [...echoIPs.entries()][0]!;
    const hits = (names: string[], pod: string) => names.filter((n) => n === pod).length;

    // The probe fails from now; the kubelet marks the pod unready, the EndpointSlice follows, then the proxy.
    const flippedAt = performance.now();
    assert.match(await curl(`http://${victimIP}:8080/control/fail-readiness`, ['-X', 'POST']), /readiness failing/);
    let sliceAt = 0;
    const slice = waitFor('the EndpointSlice marks the pod unready', async () => {
      if ((await readyIPs('echo')).includes(victimIP)) return undefined;
      sliceAt = performance.now();
      return true;
    }, 15_000, 20);
    let lastHitAt = flippedAt;
    await waitFor('the proxy stops sending to the unready pod', async () => {
      const names = await curlHostnames(`http://${ip}`, 30);
      if (hits(names, victim) > 0) lastHitAt = performance.now();
      return (sliceAt > 0 && hits(names, victim) === 0) || undefined;
    }, 15_000, 0);
    await slice;
    // probe period 1s x failureThreshold 1, then kubelet status, EndpointSlice controller and one proxy sync
    assert.ok(lastHitAt - flippedAt < 5000, `the unready pod still got traffic ${Math.round(lastHitAt - flippedAt)}ms after the flip`);
    t.diagnostic(`unready: slice ${Math.round(sliceAt - flippedAt)}ms after the flip, last hit ${Math.round(lastHitAt - sliceAt)}ms after the slice`);
    assert.ok(lastHitAt - sliceAt < SYNC_BOUND_MS, `last request to the unready pod ${Math.round(lastHitAt - sliceAt)}ms after its slice turned unready`);
    const after = tally(await curlHostnames(`http://${ip}`, 60));
    assert.deepEqual([...after.keys()].sort(), [...echoIPs.keys()].filter((n) => n !== victim).sort());
    assert.equal(parseTable(await c.k('get', 'pod', victim)).find((r) => r.NAME === victim)?.READY, '0/1');

    // Scale to 4: the new pod gets traffic within one sync of being ready in the slice.
    await c.k('scale', 'deploy/echo', '--replicas=4');
    const added = await waitFor('the 4th pod', async () => (await echoPods()).find((p) => !echoIPs.has(p.name) && p.ip), 30_000);
    let addedReadyAt = 0;
    const addedReady = waitFor('the new pod is ready in the slice', async () => {
      if (!(await readyIPs('echo')).includes(added.ip)) return undefined;
      addedReadyAt = performance.now();
      return true;
    }, 30_000, 20);
    const firstHitAt = await waitFor('the proxy sends to the new pod', async () => {
      const names = await curlHostnames(`http://${ip}`, 30);
      return hits(names, added.name) > 0 ? performance.now() : undefined;
    }, 30_000, 0);
    await addedReady;
    t.diagnostic(`new replica: first hit ${Math.round(firstHitAt - addedReadyAt)}ms after its slice turned ready`);
    assert.ok(firstHitAt - addedReadyAt < SYNC_BOUND_MS, `first request to the new pod ${Math.round(firstHitAt - addedReadyAt)}ms after it was ready in its slice`);
    const final = tally(await curlHostnames(`http://${ip}`, 90));
    assert.deepEqual([...final.keys()].sort(), [...echoIPs.keys(), added.name].filter((n) => n !== victim).sort());
  });

  it('a Service with no endpoints refuses connections at once', async (t) => {
    await apply('apiVersion: v1\nkind: Service\nmetadata: {name: nobody}\nspec:\n  selector: {app: nobody}\n  ports: [{port: 80, targetPort: 8080}]\n');
    const ip = await clusterIP('nobody');
    assert.deepEqual(await readyIPs('nobody'), []);
    const r = await run('curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{time_total}', `http://${ip}/`]);
    assert.ok([7, 52, 56].includes(r.code), `curl exit ${r.code} (7 = refused, 52/56 = reset): ${r.stderr}`);
    assert.ok(Number(r.stdout) < 0.5, `curl gave up after ${r.stdout}s`);
    for (let i = 0; i < 5; i++) {
      const o = await connectOutcome(ip, 80);
      assert.ok(o.error === 'ECONNREFUSED' || o.error === 'ECONNRESET', `connection ended with ${o.error}`);
      assert.ok(o.ms < 200, `refusal took ${Math.round(o.ms)}ms`);
      if (i === 0) t.diagnostic(`refused with ${o.error} after ${o.ms.toFixed(1)}ms`);
    }
  });

  it('a LoadBalancer Service gets an EXTERNAL-IP from the pool, carries traffic, and describe shows endpoints and IPAllocated', async () => {
    await c.k('expose', 'deploy/echo', '--type=LoadBalancer', '--name=echo-lb', '--port=80', '--target-port=8080');
    const row = await waitFor('EXTERNAL-IP in kubectl get svc', async () => {
      const r = parseTable(await c.k('get', 'svc', 'echo-lb')).find((x) => x.NAME === 'echo-lb');
      return r && r['EXTERNAL-IP'] !== '<pending>' ? r : undefined;
    }, 10_000);
    const lbIP = row['EXTERNAL-IP']!;
    assert.ok(inCidr(lbIP, lbPool), `${lbIP} in ${lbPool}`);
    assert.equal(row.TYPE, 'LoadBalancer');
    const ready = (await echoPods()).filter((p) => p.ready);
    assert.equal(ready.length, 3);
    const counts = await waitFor('traffic through the EXTERNAL-IP', async () => tally(await curlHostnames(`http://${lbIP}`, 90)), 5000);
    assert.deepEqual([...counts.keys()].sort(), ready.map((p) => p.name).sort());
    const describe = await waitFor('describe with endpoints and the event', async () => {
      const out = await c.k('describe', 'svc', 'echo-lb');
      return /Endpoints:\s+\S/.test(out) && /IPAllocated/.test(out) ? out : undefined;
    }, 10_000);
    assert.match(describe, new RegExp(`LoadBalancer Ingress:\\s+${lbIP.replace(/\./g, '\\.')}`));
    const endpoints = /Endpoints:\s+(\S+)/.exec(describe)![1]!.split(',').sort();
    assert.deepEqual(endpoints, ready.map((p) => `${p.ip}:8080`).sort());
    assert.match(describe, new RegExp(`Normal\\s+IPAllocated\\s+\\S+\\s+metallb-controller\\s+Assigned IP \\["${lbIP.replace(/\./g, '\\.')}"\\]`));
  });
});
