// End-to-end flows shared by the durability suite (SQLite) and the etcd suite.
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import type { TestCluster } from './cluster.js';
import { waitFor } from './ports.js';
import { lines, namespaceManifest } from './kubectl.js';

export interface StoredObject {
  key: string;
  uid: string;
  resourceVersion: number;
  body: string;
}

const KINDS = 'namespaces,configmaps,secrets,services,pods,deployments.apps,replicasets.apps,ingresses.networking.k8s.io,ipaddresspools.metallb.io';

/** Every object of the served kinds we write in tests (not controller-owned ones), keyed by kind/namespace/name. */
export async function snapshot(cluster: TestCluster): Promise<Map<string, StoredObject>> {
  const list = JSON.parse(await cluster.k('get', KINDS, '-A', '-o', 'json')) as { items: Record<string, unknown>[] };
  const out = new Map<string, StoredObject>();
  for (const item of list.items) {
    const md = item.metadata as { name: string; namespace?: string; uid: string; resourceVersion: string; ownerReferences?: unknown[] };
    if (md.ownerReferences?.length) continue; // controllers' objects may legitimately change after a restart
    const key = `${item.kind as string}/${md.namespace ?? ''}/${md.name}`;
    // Content without what controllers may legitimately rewrite after a restart (status, bookkeeping).
    const { resourceVersion: _rv, managedFields: _mf, ...meta } = md as typeof md & { managedFields?: unknown };
    out.set(key, { key, uid: md.uid, resourceVersion: Number(md.resourceVersion), body: JSON.stringify({ ...item, metadata: meta, status: undefined }) });
  }
  return out;
}

export function maxResourceVersion(objs: Map<string, StoredObject>): number {
  return Math.max(...[...objs.values()].map((o) => o.resourceVersion));
}

/** A varied set of objects (Services with allocated IPs and ports, workloads, config, another namespace). */
export async function populate(cluster: TestCluster): Promise<void> {
  const apply = async (text: string) => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: text });
    assert.equal(r.code, 0, r.stderr);
  };
  await apply(namespaceManifest('durable'));
  await apply('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\n  namespace: durable\ndata:\n  a: "1"\n');
  await apply('apiVersion: v1\nkind: Secret\nmetadata:\n  name: sec\n  namespace: durable\nstringData:\n  p: q\n');
  await apply('apiVersion: v1\nkind: Service\nmetadata:\n  name: np\nspec:\n  type: NodePort\n  selector:\n    app: web\n  ports:\n  - port: 80\n    nodePort: 30008\n');
  await apply('apiVersion: v1\nkind: Service\nmetadata:\n  name: lb\nspec:\n  type: LoadBalancer\n  selector:\n    app: web\n  ports:\n  - port: 8080\n');
  await apply('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: nginx\n');
  await apply(
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: c\n        image: nginx\n',
  );
  await cluster.k('scale', 'deploy', 'web', '--replicas=3');
}

/** Asserts every object of `before` is in `after` unchanged (same uid and content; resourceVersion never lower). */
export function assertSurvived(before: Map<string, StoredObject>, after: Map<string, StoredObject>): void {
  for (const [key, obj] of before) {
    const now = after.get(key);
    assert.ok(now, `${key} survived`);
    assert.equal(now.uid, obj.uid, `${key} uid`);
    assert.ok(now.resourceVersion >= obj.resourceVersion, `${key} resourceVersion ${now.resourceVersion} >= ${obj.resourceVersion}`);
    assert.equal(now.body, obj.body, `${key} content`);
  }
}

/** After a restart: the allocations are remembered and new writes get higher resourceVersions. */
export async function assertServesAfterRestart(cluster: TestCluster, previousMax: number): Promise<void> {
  const r = await cluster.kubectl(['create', '-f', '-'], {
    input: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: np-again\nspec:\n  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 30008\n',
  });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'The Service "np-again" is invalid: spec.ports[0].nodePort: Invalid value: 30008: provided port is already allocated\n');
  const out = await cluster.kubectl(['apply', '-f', '-', '-o', 'json'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-restart\ndata:\n  k: v\n' });
  assert.equal(out.code, 0, out.stderr);
  const rv = Number((JSON.parse(out.stdout) as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
  assert.ok(rv > previousMax, `new resourceVersion ${rv} > ${previousMax}`);
  // The default objects were not recreated or duplicated.
  assert.deepEqual(lines(await cluster.k('get', 'svc', 'kubernetes', '-o', 'name')), ['service/kubernetes']);
  const ips = lines(await cluster.k('get', 'svc', '-A', '-o', 'jsonpath={range .items[*]}{.spec.clusterIP}{"\\n"}{end}')).filter((ip) => ip !== 'None');
  assert.equal(new Set(ips).size, ips.length, `cluster IPs stay unique: ${ips.join(' ')}`);
}

export interface CrashResult {
  acknowledged: Map<string, number>;
  counterAck: number;
}

/**
 * Writes in parallel through client-node (creates of ConfigMaps, and replaces of one counter ConfigMap),
 * SIGKILLs the server once enough writes were acknowledged, and reports what was acknowledged.
 */
export async function crashDuringWrites(cluster: TestCluster, opts: { writers?: number; killAfter?: number } = {}): Promise<CrashResult> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'counter' }, data: { n: '0' } } });
  const acknowledged = new Map<string, number>();
  let counterAck = 0;
  let stop = false;
  const writer = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const name = `crash-${w}-${i}`;
      try {
        const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name, labels: { crash: 'yes' } }, data: { i: String(i) } } });
        acknowledged.set(name, Number(cm.metadata!.resourceVersion));
      } catch {
        return; // the server is gone: this write is unacknowledged
      }
    }
  };
  const counter = async () => {
    while (!stop) {
      try {
        const cur = await core.readNamespacedConfigMap({ name: 'counter', namespace: 'default' });
        const next = Number(cur.data!.n) + 1;
        await core.replaceNamespacedConfigMap({ name: 'counter', namespace: 'default', body: { ...cur, data: { n: String(next) } } });
        counterAck = next;
      } catch {
        return;
      }
    }
  };
  const running = [...Array.from({ length: opts.writers ?? 4 }, (_, w) => writer(w)), counter()];
  await waitFor('writes acknowledged before the crash', () => (acknowledged.size >= (opts.killAfter ?? 60) && counterAck >= 5) || undefined, 60_000);
  await cluster.kill9();
  stop = true;
  await Promise.all(running);
  return { acknowledged, counterAck };
}

/** After restarting from a crash: every acknowledged write is there with its resourceVersion; new writes go higher. */
export async function assertCrashSurvived(cluster: TestCluster, result: CrashResult): Promise<void> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'crash=yes' });
  const stored = new Map(list.items.map((i) => [i.metadata!.name!, Number(i.metadata!.resourceVersion)]));
  const missing = [...result.acknowledged.keys()].filter((n) => !stored.has(n));
  assert.deepEqual(missing, [], 'acknowledged creates lost');
  for (const [name, rv] of result.acknowledged) assert.equal(stored.get(name), rv, `${name} resourceVersion`);
  const counter = await core.readNamespacedConfigMap({ name: 'counter', namespace: 'default' });
  const n = Number(counter.data!.n);
  assert.ok(n === result.counterAck || n === result.counterAck + 1, `counter ${n} is the last acknowledged ${result.counterAck} (or the one in flight)`);
  const maxBefore = Math.max(Number(list.metadata!.resourceVersion), ...stored.values(), Number(counter.metadata!.resourceVersion));
  const fresh = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-crash' } } });
  assert.ok(Number(fresh.metadata!.resourceVersion) > maxBefore, `new resourceVersion ${fresh.metadata!.resourceVersion} > ${maxBefore}`);
  const updated = await core.replaceNamespacedConfigMap({ name: 'counter', namespace: 'default', body: { ...counter, data: { n: String(n + 1) } } });
  assert.ok(Number(updated.metadata!.resourceVersion) > Number(fresh.metadata!.resourceVersion));
}
