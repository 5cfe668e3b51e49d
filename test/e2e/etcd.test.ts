// The core end-to-end flow on a real etcd (Debian etcd-server) via --datastore-endpoint http://127.0.0.1:PORT.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/ports.js';
import { startEtcd, type RunningEtcd } from '../support/etcd.js';
import { assertCrashSurvived, assertServesAfterRestart, assertSurvived, crashDuringWrites, maxResourceVersion, populate, snapshot } from '../support/flows.js';
import { apiOnly, inCidr, kindRef, lines, namespaceManifest, parseManifest, parseTable } from '../support/kubectl.js';

const seedDir = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');
const seeds = readdirSync(seedDir).filter((f) => f.endsWith('.yaml') && !f.includes('extensions-v1beta1')).sort();

async function etcdCluster(): Promise<{ etcd: RunningEtcd; cluster: TestCluster }> {
  const etcd = await startEtcd();
  try {
    return { etcd, cluster: await TestCluster.start({ ...apiOnly(), datastoreEndpoint: etcd.endpoint }) };
  } catch (err) {
    await etcd.stop();
    throw err;
  }
}

describe('etcd datastore: seed manifests', () => {
  let etcd: RunningEtcd | undefined;
  let cluster: TestCluster;
  before(async () => {
    ({ etcd, cluster } = await etcdCluster());
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: namespaceManifest('metallb-system') });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await cluster?.destroy();
    await etcd?.stop();
  });

  it('reports that it stores in etcd', () => {
    assert.match(cluster.logs, /etcd/i);
  });

  for (const file of seeds) {
    it(`${file}: create, apply (configured, unchanged), get -o wide, describe, delete`, async () => {
      const path = join(seedDir, file);
      const objs = parseManifest(readFileSync(path, 'utf8'));
      const refs = objs.map((o) => `${kindRef(o)}/${o.metadata.name}`);
      assert.deepEqual(lines(await cluster.k('create', '-f', path)), refs.map((r) => `${r} created`));
      assert.deepEqual(lines(await cluster.k('apply', '-f', path)), refs.map((r) => `${r} configured`));
      assert.deepEqual(lines(await cluster.k('apply', '-f', path)), refs.map((r) => `${r} unchanged`));
      for (const o of objs) {
        const ns = o.metadata.namespace ? ['-n', o.metadata.namespace] : [];
        const [row] = parseTable(await cluster.k('get', kindRef(o), o.metadata.name, '-o', 'wide', ...ns));
        assert.equal(row?.NAME, o.metadata.name);
        assert.match(await cluster.k('describe', kindRef(o), o.metadata.name, ...ns), new RegExp(`^Name:\\s+${o.metadata.name}$`, 'm'));
      }
      assert.deepEqual(lines(await cluster.k('delete', '-f', path)), objs.map((o) => `${kindRef(o)} "${o.metadata.name}" deleted`));
    });
  }

  it('get svc shows allocated cluster IPs and node ports; a taken node port is refused', async () => {
    // Without an address pool, LoadBalancer Services stay <pending> (a seed pool may be left by a failed step).
    await cluster.k('delete', 'ipaddresspools', '--all', '-A');
    await cluster.k('create', '-f', join(seedDir, '000-nodeport.yaml'));
    await cluster.k('create', '-f', join(seedDir, '004-service.yaml'));
    const rows = new Map(parseTable(await cluster.k('get', 'svc')).map((r) => [r.NAME!, r]));
    const np = rows.get('nginx-nodeport')!;
    assert.equal(np.TYPE, 'NodePort');
    assert.equal(np['PORT(S)'], '80:30008/TCP');
    assert.equal(np['EXTERNAL-IP'], '<none>');
    assert.ok(inCidr(np['CLUSTER-IP']!, cluster.serviceCIDR), np['CLUSTER-IP']);
    const lb = rows.get('service-test')!;
    assert.equal(lb['EXTERNAL-IP'], '<pending>');
    assert.match(lb['PORT(S)']!, /^80:3\d{4}\/TCP$/);
    const r = await cluster.kubectl(['create', '-f', '-'], {
      input: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: taken\nspec:\n  type: NodePort\n  ports:\n  - port: 80\n    nodePort: 30008\n',
    });
    assert.equal(r.stderr, 'The Service "taken" is invalid: spec.ports[0].nodePort: Invalid value: 30008: provided port is already allocated\n');
  });

  it('watch from a list resourceVersion sees ADDED, MODIFIED, DELETED in order', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'etcdwatch=yes' });
    const events: string[] = [];
    const ctl = await new k8s.Watch(kc).watch(
      '/api/v1/namespaces/default/configmaps',
      { labelSelector: 'etcdwatch=yes', resourceVersion: list.metadata!.resourceVersion },
      (phase, obj: k8s.V1ConfigMap) => events.push(`${phase} ${obj.metadata?.name} ${obj.data?.v ?? ''}`),
      () => undefined,
    );
    try {
      await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'ew', labels: { etcdwatch: 'yes' } }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap({ name: 'ew', namespace: 'default', body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await core.deleteNamespacedConfigMap({ name: 'ew', namespace: 'default' });
      await waitFor(`3 events, got ${JSON.stringify(events)}`, () => events.length >= 3 || undefined);
      assert.deepEqual(events, ['ADDED ew 1', 'MODIFIED ew 2', 'DELETED ew 2']);
    } finally {
      ctl.abort();
    }
  });

  it('namespace deletion removes its objects', async () => {
    await cluster.kubectl(['apply', '-f', '-'], { input: namespaceManifest('gone') });
    await cluster.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: gone\n' });
    assert.equal(await cluster.k('delete', 'ns', 'gone'), 'namespace "gone" deleted\n');
    const all = await cluster.kubectl(['get', 'all,cm', '-n', 'gone']);
    assert.equal(all.stdout, '');
    assert.match((await cluster.kubectl(['get', 'ns', 'gone'])).stderr, /\(NotFound\)/);
  });
});

describe('etcd datastore: restarts', () => {
  let etcd: RunningEtcd | undefined;
  let cluster: TestCluster;
  before(async () => {
    ({ etcd, cluster } = await etcdCluster());
  });
  after(async () => {
    await cluster?.destroy();
    await etcd?.stop();
  });

  it('a SIGTERM restart keeps every object and resourceVersions keep increasing', async () => {
    await populate(cluster);
    const before = await snapshot(cluster);
    await cluster.restart();
    const now = await snapshot(cluster);
    assertSurvived(before, now);
    await assertServesAfterRestart(cluster, maxResourceVersion(now));
  });

  it('kill -9 mid-writes keeps every acknowledged write', async () => {
    const result = await crashDuringWrites(cluster);
    await cluster.restart();
    await assertCrashSurvived(cluster, result);
  });
});
