// @kubernetes/client-node as a second, independent client: CRUD, label selectors, watch and error codes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/ports.js';
import { inCidr, apiOnly } from '../support/kubectl.js';

const NS = 'default';

interface StatusBody {
  kind?: string;
  reason?: string;
  code?: number;
  message?: string;
  details?: { causes?: { field?: string; reason?: string; message?: string }[] };
}

/** Runs `fn`, expects an ApiException, returns its code and parsed Status body. */
async function apiError(fn: () => Promise<unknown>): Promise<{ code: number; status: StatusBody }> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof k8s.ApiException, `expected ApiException, got ${String(err)}`);
    const e = err as k8s.ApiException<unknown>;
    const status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as StatusBody;
    return { code: e.code, status };
  }
  assert.fail('expected the call to fail');
}

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

describe('@kubernetes/client-node against skiff', () => {
  let cluster: TestCluster;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  let kc: k8s.KubeConfig;
  before(async () => {
    cluster = await TestCluster.start(apiOnly());
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('ConfigMap CRUD', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cm1', labels: { app: 'one' } }, data: { a: '1' } } });
    assert.equal(created.metadata?.name, 'cm1');
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(Number(created.metadata?.resourceVersion) > 0);
    assert.ok(created.metadata?.creationTimestamp instanceof Date);
    const read = await core.readNamespacedConfigMap({ name: 'cm1', namespace: NS });
    assert.deepEqual(read.data, { a: '1' });
    assert.equal(read.metadata?.uid, created.metadata?.uid);
    read.data = { a: '2', b: '3' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'cm1', namespace: NS, body: read });
    assert.deepEqual(replaced.data, { a: '2', b: '3' });
    assert.ok(Number(replaced.metadata?.resourceVersion) > Number(created.metadata?.resourceVersion));
    const patched = await core.patchNamespacedConfigMap({ name: 'cm1', namespace: NS, body: { data: { b: null, c: '4' } } }, mergePatch);
    assert.deepEqual(patched.data, { a: '2', c: '4' });
    const status = await core.deleteNamespacedConfigMap({ name: 'cm1', namespace: NS });
    assert.equal((status as { kind?: string }).kind !== undefined, true);
    const gone = await apiError(() => core.readNamespacedConfigMap({ name: 'cm1', namespace: NS }));
    assert.equal(gone.code, 404);
  });

  it('Service CRUD allocates a ClusterIP and a NodePort and frees them on delete', async () => {
    const svc = await core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'np', labels: { app: 'np' } }, spec: { type: 'NodePort', selector: { app: 'np' }, ports: [{ port: 80, targetPort: 8080 }] } },
    });
    const ip = svc.spec?.clusterIP ?? '';
    assert.ok(inCidr(ip, cluster.serviceCIDR), `clusterIP ${ip}`);
    assert.deepEqual(svc.spec?.clusterIPs, [ip]);
    const port = svc.spec?.ports?.[0];
    assert.equal(port?.protocol, 'TCP');
    assert.ok(port?.nodePort && port.nodePort >= 30000 && port.nodePort <= 32767, `nodePort ${port?.nodePort}`);
    assert.equal(svc.spec?.sessionAffinity, 'None');
    assert.equal(svc.spec?.externalTrafficPolicy, 'Cluster');
    assert.deepEqual(svc.spec?.ipFamilies, ['IPv4']);
    assert.equal(svc.spec?.ipFamilyPolicy, 'SingleStack');
    const read = await core.readNamespacedService({ name: 'np', namespace: NS });
    read.spec!.ports![0]!.port = 81;
    const replaced = await core.replaceNamespacedService({ name: 'np', namespace: NS, body: read });
    assert.equal(replaced.spec?.ports?.[0]?.port, 81);
    assert.equal(replaced.spec?.ports?.[0]?.nodePort, port.nodePort, 'nodePort kept across update');
    assert.equal(replaced.spec?.clusterIP, ip, 'clusterIP kept across update');
    const patched = await core.patchNamespacedService({ name: 'np', namespace: NS, body: { metadata: { labels: { extra: 'x' } } } }, mergePatch);
    assert.deepEqual(patched.metadata?.labels, { app: 'np', extra: 'x' });
    await core.deleteNamespacedService({ name: 'np', namespace: NS });
    assert.equal((await apiError(() => core.readNamespacedService({ name: 'np', namespace: NS }))).code, 404);
    // The freed port can be requested again.
    const again = await core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'np2' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: port.nodePort }] } } });
    assert.equal(again.spec?.ports?.[0]?.nodePort, port.nodePort);
    await core.deleteNamespacedService({ name: 'np2', namespace: NS });
  });

  it('lists with a labelSelector', async () => {
    for (const [name, tier] of [['l1', 'web'], ['l2', 'web'], ['l3', 'db']] as const) {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name, labels: { listed: 'yes', tier } } } });
    }
    const web = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'listed=yes,tier=web' });
    assert.deepEqual(web.items.map((i) => i.metadata?.name).sort(), ['l1', 'l2']);
    assert.equal(web.kind, 'ConfigMapList');
    assert.ok(Number(web.metadata?.resourceVersion) > 0);
    const notWeb = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'listed=yes,tier notin (web)' });
    assert.deepEqual(notWeb.items.map((i) => i.metadata?.name), ['l3']);
    const page = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'listed=yes', limit: 2 });
    assert.equal(page.items.length, 2);
    assert.ok(page.metadata?._continue);
    const rest = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'listed=yes', limit: 2, _continue: page.metadata._continue });
    assert.deepEqual([...page.items, ...rest.items].map((i) => i.metadata?.name), ['l1', 'l2', 'l3']);
    assert.equal(rest.metadata?._continue, undefined);
  });

  it('Watch receives ADDED, MODIFIED, DELETED in order, and replays from a resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'watched=yes' });
    const startRV = list.metadata!.resourceVersion!;
    const events: string[] = [];
    let watchErr: unknown;
    const watch = new k8s.Watch(kc);
    const ctl = await watch.watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { labelSelector: 'watched=yes', resourceVersion: startRV, allowWatchBookmarks: true },
      (phase, obj: k8s.V1ConfigMap) => {
        if (phase !== 'BOOKMARK') events.push(`${phase} ${obj.metadata?.name} ${JSON.stringify(obj.data ?? {})}`);
      },
      (err) => (watchErr = err),
    );
    try {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'w', labels: { watched: 'yes' } }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap({ name: 'w', namespace: NS, body: { data: { v: '2' } } }, mergePatch);
      await core.deleteNamespacedConfigMap({ name: 'w', namespace: NS });
      await waitFor(`3 events, got ${JSON.stringify(events)} ${String(watchErr ?? '')}`, () => events.length >= 3 || undefined);
      assert.deepEqual(events, ['ADDED w {"v":"1"}', 'MODIFIED w {"v":"2"}', 'DELETED w {"v":"2"}']);
    } finally {
      ctl.abort();
    }
    // A new watch from the same resourceVersion replays the same history.
    const replay: string[] = [];
    const ctl2 = await watch.watch(
      `/api/v1/namespaces/${NS}/configmaps`,
      { labelSelector: 'watched=yes', resourceVersion: startRV },
      (phase, obj: k8s.V1ConfigMap) => replay.push(`${phase} ${obj.metadata?.name} ${JSON.stringify(obj.data ?? {})}`),
      () => undefined,
    );
    try {
      await waitFor(`replay, got ${JSON.stringify(replay)}`, () => replay.length >= 3 || undefined);
      assert.deepEqual(replay, events);
    } finally {
      ctl2.abort();
    }
  });

  it('errors surface as ApiException with Kubernetes codes and Status bodies', async () => {
    const missing = await apiError(() => core.readNamespacedConfigMap({ name: 'nope', namespace: NS }));
    assert.equal(missing.code, 404);
    assert.equal(missing.status.reason, 'NotFound');
    assert.equal(missing.status.message, 'configmaps "nope" not found');

    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'dup' } } });
    const dup = await apiError(() => core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'dup' } } }));
    assert.equal(dup.code, 409);
    assert.equal(dup.status.reason, 'AlreadyExists');
    assert.equal(dup.status.message, 'configmaps "dup" already exists');

    const stale = await core.readNamespacedConfigMap({ name: 'dup', namespace: NS });
    await core.patchNamespacedConfigMap({ name: 'dup', namespace: NS, body: { data: { x: 'y' } } }, mergePatch);
    const conflict = await apiError(() => core.replaceNamespacedConfigMap({ name: 'dup', namespace: NS, body: stale }));
    assert.equal(conflict.code, 409);
    assert.equal(conflict.status.reason, 'Conflict');
    assert.equal(conflict.status.message, 'Operation cannot be fulfilled on configmaps "dup": the object has been modified; please apply your changes to the latest version and try again');

    const invalid = await apiError(() =>
      core.createNamespacedService({ namespace: NS, body: { metadata: { name: 'bad' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] } } }),
    );
    assert.equal(invalid.code, 422);
    assert.equal(invalid.status.reason, 'Invalid');
    assert.deepEqual(invalid.status.details?.causes, [
      { reason: 'FieldValueInvalid', message: 'Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767', field: 'spec.ports[0].nodePort' },
    ]);

    const noNs = await apiError(() => core.createNamespacedConfigMap({ namespace: 'absent', body: { metadata: { name: 'x' } } }));
    assert.equal(noNs.code, 404);
    assert.equal(noNs.status.message, 'namespaces "absent" not found');
  });

  it('Deployments and the scale subresource through AppsV1Api', async () => {
    await apps.createNamespacedDeployment({
      namespace: NS,
      body: {
        metadata: { name: 'd' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      },
    });
    const scale = await apps.readNamespacedDeploymentScale({ name: 'd', namespace: NS });
    assert.equal(scale.spec?.replicas, 2);
    assert.equal(scale.kind, 'Scale');
    await apps.patchNamespacedDeploymentScale({ name: 'd', namespace: NS, body: { spec: { replicas: 4 } } }, mergePatch);
    const d = await apps.readNamespacedDeployment({ name: 'd', namespace: NS });
    assert.equal(d.spec?.replicas, 4);
    assert.equal(d.spec?.strategy?.type, 'RollingUpdate');
    assert.equal(d.spec?.revisionHistoryLimit, 10);
    assert.equal(d.spec?.template.spec?.containers[0]?.imagePullPolicy, 'Always');
  });
});
