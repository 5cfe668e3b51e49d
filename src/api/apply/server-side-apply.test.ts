import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverSideApply, updateManagedFields, parseApplyBody } from './server-side-apply.js';
import { isStatusError } from '../status.js';
import type { KubeObject } from '../types.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const deploy = { group: 'apps', kind: 'Deployment' };
const svc = { group: '', kind: 'Service' };
const T1 = '2026-01-01T00:00:00Z';
const T2 = '2026-01-01T00:01:00Z';

/** The body of `kubectl apply --server-side` in transcript 23 (replicas as given). */
function appliedDeployment(replicas = 2, image = 'nginx:1.25'): KubeObject {
  return parseApplyBody(
    JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { labels: { app: 'web' }, name: 'web', namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ image, name: 'c', ports: [{ containerPort: 80, name: 'http' }] }] } },
      },
    }),
  );
}

/** What the API server would store after a create: defaults and server metadata added. */
function stored(o: KubeObject): KubeObject {
  const s = structuredClone(o) as Any;
  s.metadata.uid = 'u1';
  s.metadata.resourceVersion = '5';
  s.metadata.creationTimestamp = T1;
  s.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent';
  s.spec.template.spec.containers[0].ports[0].protocol = 'TCP';
  s.status = { replicas: s.spec.replicas };
  return s;
}

test('apply creates: managedFields entry in Kubernetes shape', () => {
  const { object, changed } = serverSideApply({ live: undefined, applied: appliedDeployment(), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T1 });
  assert.equal(changed, true);
  assert.equal(object.metadata.name, 'web');
  assert.equal(object.metadata.namespace, 'default');
  assert.deepEqual(object.metadata.managedFields, [
    {
      manager: 'kubectl',
      operation: 'Apply',
      apiVersion: 'apps/v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:replicas': {},
          'f:selector': {},
          'f:template': {
            'f:metadata': { 'f:labels': { 'f:app': {} } },
            'f:spec': {
              'f:containers': {
                'k:{"name":"c"}': {
                  '.': {},
                  'f:image': {},
                  'f:name': {},
                  'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {} } },
                },
              },
            },
          },
        },
      },
    },
  ]);
});

test('client-side-apply owner conflicts on replicas; force takes it', () => {
  const created = stored(appliedDeployment(3));
  const live = updateManagedFields({ old: undefined, new: created, kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl-client-side-apply', time: T1 });
  assert.equal(live.metadata.managedFields?.[0].operation, 'Update');
  assert.throws(
    () => serverSideApply({ live, applied: appliedDeployment(2), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T2 }),
    (e) => isStatusError(e, 'Conflict') && e.status.code === 409 && e.message === 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas' && e.status.details?.causes?.[0].field === '.spec.replicas' && e.status.details?.causes?.[0].reason === 'FieldManagerConflict',
  );
  const { object } = serverSideApply({ live, applied: appliedDeployment(2), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', force: true, now: T2 });
  const o = object as Any;
  assert.equal(o.spec.replicas, 2);
  assert.equal(o.metadata.uid, 'u1');
  assert.deepEqual(o.status, { replicas: 3 }, 'status untouched by a main-resource apply');
  assert.equal(o.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent', 'unowned defaulted field kept');
  const [apply, csa] = o.metadata.managedFields;
  assert.equal(apply.manager, 'kubectl');
  assert.equal(csa.manager, 'kubectl-client-side-apply');
  assert.equal('f:replicas' in csa.fieldsV1['f:spec'], false, 'replicas moved to the applier');
  assert.ok('f:replicas' in apply.fieldsV1['f:spec']);
  assert.ok('f:image' in csa.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"c"}'], 'same-valued fields are shared');
});

test('kubectl set image takes the image; a later apply with another image conflicts', () => {
  const first = serverSideApply({ live: undefined, applied: appliedDeployment(2), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T1 }).object;
  const live = stored(first);
  const next = structuredClone(live) as Any;
  next.spec.template.spec.containers[0].image = 'nginx:1.26';
  const afterSet = updateManagedFields({ old: live, new: next, kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl-set', time: T2 });
  const setEntry = afterSet.metadata.managedFields!.find((m) => m.manager === 'kubectl-set') as Any;
  assert.deepEqual(setEntry.fieldsV1, { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"c"}': { 'f:image': {} } } } } } });
  const applyEntry = afterSet.metadata.managedFields!.find((m) => m.manager === 'kubectl') as Any;
  assert.equal('f:image' in applyEntry.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"c"}'], false);
  assert.throws(
    () => serverSideApply({ live: afterSet, applied: appliedDeployment(2, 'nginx:1.27'), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T2 }),
    { message: 'Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1: .spec.template.spec.containers[name="c"].image' },
  );
  // Re-applying the value kubectl-set wrote is no conflict: ownership is shared.
  const same = serverSideApply({ live: afterSet, applied: appliedDeployment(2, 'nginx:1.26'), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T2 });
  assert.equal(same.changed, false);
});

test('fields the manager stops applying are removed unless another manager owns them', () => {
  const withExtra = appliedDeployment() as Any;
  withExtra.metadata.labels.tier = 'fe';
  withExtra.spec.template.spec.containers.push({ name: 'side', image: 'busybox' });
  const live = stored(serverSideApply({ live: undefined, applied: withExtra, kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T1 }).object);
  const { object } = serverSideApply({ live, applied: appliedDeployment(), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T2 });
  const o = object as Any;
  assert.deepEqual(o.metadata.labels, { app: 'web' });
  assert.deepEqual(o.spec.template.spec.containers.map((c: Any) => c.name), ['c']);

  // Another manager co-owns the label: it stays.
  const other = serverSideApply({ live, applied: parseApplyBody('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    tier: fe\n'), kind: deploy, apiVersion: 'apps/v1', manager: 'other', now: T2 }).object;
  const kept = serverSideApply({ live: other, applied: appliedDeployment(), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T2 }).object as Any;
  assert.deepEqual(kept.metadata.labels, { app: 'web', tier: 'fe' });
});

test('multiple conflicts are grouped per manager', () => {
  const live = updateManagedFields({ old: undefined, new: stored(appliedDeployment(3)), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl-client-side-apply', time: T1 });
  assert.throws(
    () => serverSideApply({ live, applied: appliedDeployment(2, 'x'), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T2 }),
    {
      message:
        'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="c"].image',
    },
  );
});

test('update on create: Kubernetes-like Update entry with "." for new maps and items', () => {
  const o = updateManagedFields({
    old: undefined,
    new: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], type: 'ClusterIP' }, status: { loadBalancer: {} } },
    kind: svc,
    apiVersion: 'v1',
    manager: 'kubectl-create',
    time: T1,
  });
  assert.deepEqual(o.metadata.managedFields, [
    {
      manager: 'kubectl-create',
      operation: 'Update',
      apiVersion: 'v1',
      time: T1,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        'f:spec': {
          'f:ports': { '.': {}, 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:port': {}, 'f:protocol': {}, 'f:targetPort': {} } },
          'f:selector': {},
          'f:type': {},
        },
      },
    },
  ]);
  // A no-op update changes nothing; a status write is its own entry.
  const same = updateManagedFields({ old: o, new: o, kind: svc, apiVersion: 'v1', manager: 'other', time: T2 });
  assert.deepEqual(same.metadata.managedFields, o.metadata.managedFields);
  const withStatus = structuredClone(o) as Any;
  withStatus.status = { loadBalancer: { ingress: [{ ip: '127.0.0.50' }] } };
  const s = updateManagedFields({ old: o, new: withStatus, kind: svc, apiVersion: 'v1', manager: 'lb-controller', subresource: 'status', time: T2 });
  const entry = s.metadata.managedFields!.find((m) => m.manager === 'lb-controller') as Any;
  assert.equal(entry.subresource, 'status');
  assert.deepEqual(entry.fieldsV1, { 'f:status': { 'f:loadBalancer': { 'f:ingress': {} } } });
});

test('removed fields leave every manager; empty entries disappear', () => {
  const a = updateManagedFields({ old: undefined, new: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' } }, kind: { group: '', kind: 'ConfigMap' }, apiVersion: 'v1', manager: 'm1', time: T1 });
  const b = updateManagedFields({ old: a, new: { ...a, data: { k2: 'v' } }, kind: { group: '', kind: 'ConfigMap' }, apiVersion: 'v1', manager: 'm2', time: T2 });
  // m1 keeps only the map node it created (as Kubernetes keeps `f:data: {}`), m2 owns the new key.
  assert.deepEqual(b.metadata.managedFields?.map((m) => [m.manager, m.fieldsV1]), [
    ['m1', { 'f:data': {} }],
    ['m2', { 'f:data': { 'f:k2': {} } }],
  ]);
  const c = updateManagedFields({ old: b, new: { ...b, data: undefined }, kind: { group: '', kind: 'ConfigMap' }, apiVersion: 'v1', manager: 'm3', time: T2 });
  assert.equal(c.metadata.managedFields, undefined, 'every entry emptied');
});

test('bad requests', () => {
  assert.throws(() => serverSideApply({ live: undefined, applied: appliedDeployment(), kind: deploy, apiVersion: 'apps/v1', manager: '', now: T1 }), (e) => isStatusError(e, 'BadRequest'));
  assert.throws(() => parseApplyBody('- a\n- b'), (e) => isStatusError(e, 'BadRequest'));
  assert.throws(() => parseApplyBody('a: [b'), (e) => isStatusError(e, 'BadRequest'));
});

test('service ports: applied items without protocol match live items defaulted to TCP', () => {
  const applied = parseApplyBody('{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"ports":[{"name":"http","port":80,"targetPort":"http"}],"selector":{"app":"web"}}}');
  const created = serverSideApply({ live: undefined, applied, kind: svc, apiVersion: 'v1', manager: 'kubectl', now: T1 }).object as Any;
  created.spec.ports[0].protocol = 'TCP';
  created.spec.clusterIP = '127.10.0.5';
  created.spec.type = 'ClusterIP';
  const again = serverSideApply({ live: created, applied, kind: svc, apiVersion: 'v1', manager: 'kubectl', now: T2 });
  assert.equal(again.changed, false);
  const o = again.object as Any;
  assert.deepEqual(o.spec.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  assert.equal(o.spec.clusterIP, '127.10.0.5');
  assert.equal(o.metadata.managedFields[0].time, T2);
  // Selector is an atomic map: changing it replaces it whole.
  const sel = parseApplyBody('{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"ports":[{"name":"http","port":80,"targetPort":"http"}],"selector":{"tier":"x"}}}');
  assert.deepEqual((serverSideApply({ live: created, applied: sel, kind: svc, apiVersion: 'v1', manager: 'kubectl', now: T2 }).object as Any).spec.selector, { tier: 'x' });
});

test('items co-owned by another manager survive the applier dropping them', () => {
  const withSide = appliedDeployment() as Any;
  withSide.spec.template.spec.containers.push({ name: 'side', image: 'busybox' });
  const live = stored(serverSideApply({ live: undefined, applied: withSide, kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T1 }).object);
  const edited = structuredClone(live) as Any;
  edited.spec.template.spec.containers[1].image = 'busybox:2';
  const afterEdit = updateManagedFields({ old: live, new: edited, kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl-edit', time: T2 });
  const o = serverSideApply({ live: afterEdit, applied: appliedDeployment(), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T2 }).object as Any;
  assert.deepEqual(o.spec.template.spec.containers.map((c: Any) => [c.name, c.image]), [['c', 'nginx:1.25'], ['side', 'busybox:2']]);
});

test('status subresource apply touches only status', () => {
  const live = stored(serverSideApply({ live: undefined, applied: appliedDeployment(), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T1 }).object);
  const applied = parseApplyBody('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 9\nstatus:\n  readyReplicas: 2\n');
  const o = serverSideApply({ live, applied, kind: deploy, apiVersion: 'apps/v1', manager: 'ctrl', subresource: 'status', now: T2 }).object as Any;
  assert.equal(o.spec.replicas, 2);
  assert.deepEqual(o.status, { replicas: 2, readyReplicas: 2 });
  const entry = o.metadata.managedFields.find((m: Any) => m.manager === 'ctrl');
  assert.equal(entry.subresource, 'status');
  assert.deepEqual(entry.fieldsV1, { 'f:status': { 'f:readyReplicas': {} } });
});

test('finalizers are a set: items owned per value', () => {
  const cm = { group: '', kind: 'ConfigMap' };
  const a = serverSideApply({ live: undefined, applied: parseApplyBody('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  finalizers: [x]\n'), kind: cm, apiVersion: 'v1', manager: 'a', now: T1 }).object;
  const b = serverSideApply({ live: a, applied: parseApplyBody('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  finalizers: [y]\n'), kind: cm, apiVersion: 'v1', manager: 'b', now: T1 }).object;
  assert.deepEqual(b.metadata.finalizers, ['x', 'y']);
  const c = serverSideApply({ live: b, applied: parseApplyBody('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n'), kind: cm, apiVersion: 'v1', manager: 'a', now: T1 }).object;
  assert.deepEqual(c.metadata.finalizers, ['y']);
  assert.deepEqual(c.metadata.managedFields?.map((m) => m.manager), ['b']);
});

test('kubectl upgrading from client-side apply: unchanged last-applied fields are taken without force', () => {
  const lastApplied = JSON.stringify(appliedDeployment(3));
  const created = stored(appliedDeployment(3)) as Any;
  created.metadata.annotations = { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied };
  const live = updateManagedFields({ old: undefined, new: created, kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl-client-side-apply', time: T1 });
  const o = serverSideApply({ live, applied: appliedDeployment(2), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T2 }).object as Any;
  assert.equal(o.spec.replicas, 2);
  const ann = JSON.parse(o.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  assert.equal(ann.spec.replicas, 2, 'annotation synced to the applied configuration');
  assert.match(o.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], /^\{"apiVersion":"apps\/v1","kind":"Deployment","metadata":\{"labels"/);
  // Another manager name gets no such help.
  assert.throws(() => serverSideApply({ live, applied: appliedDeployment(2), kind: deploy, apiVersion: 'apps/v1', manager: 'other', now: T2 }), (e) => isStatusError(e, 'Conflict'));
  // Once the live value drifted from last-applied (kubectl scale), the conflict is real.
  const scaled = structuredClone(live) as Any;
  scaled.spec.replicas = 5;
  const afterScale = updateManagedFields({ old: live, new: scaled, kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl-scale', time: T2 });
  assert.throws(
    () => serverSideApply({ live: afterScale, applied: appliedDeployment(2), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl', now: T2 }),
    { message: 'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas' },
  );
});

test('update on create of a Deployment: containers list is not itself claimed, its items are', () => {
  const o = updateManagedFields({ old: undefined, new: stored(appliedDeployment(1)), kind: deploy, apiVersion: 'apps/v1', manager: 'kubectl-create', time: T1 }) as Any;
  const spec = o.metadata.managedFields[0].fieldsV1['f:spec'];
  assert.equal('.' in spec['f:template']['f:spec']['f:containers'], false);
  assert.ok('.' in spec['f:template']['f:spec']['f:containers']['k:{"name":"c"}']);
  assert.ok('.' in spec['f:template']['f:metadata']['f:labels']);
  assert.equal('.' in spec['f:template'], false);
  assert.deepEqual(spec['f:selector'], {});
  assert.equal('f:status' in o.metadata.managedFields[0].fieldsV1, false, 'status is not tracked on the main resource');
});
