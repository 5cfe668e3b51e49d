import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch as smp } from './strategic-merge-patch.js';
import { isStatusError } from '../status.js';

const deploy = { group: 'apps', kind: 'Deployment' };
const pod = { group: '', kind: 'Pod' };
const svc = { group: '', kind: 'Service' };

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function liveDeployment(): Any {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '1' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'c', image: 'nginx:1.25', ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }], imagePullPolicy: 'IfNotPresent' },
          ],
          restartPolicy: 'Always',
        },
      },
    },
  };
}

test('kubectl apply (second time) patch from transcript 22', () => {
  const patch = {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{...}\n' } },
    spec: { replicas: 3, template: { spec: { '$setElementOrder/containers': [{ name: 'c' }], containers: [{ image: 'nginx:1.26', name: 'c' }] } } },
  };
  const out = smp<Any>(liveDeployment(), patch, deploy);
  assert.equal(out.spec.replicas, 3);
  const c = out.spec.template.spec.containers;
  assert.equal(c.length, 1);
  assert.deepEqual(c[0], { name: 'c', image: 'nginx:1.26', ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }], imagePullPolicy: 'IfNotPresent' });
  assert.equal(out.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], '{...}\n');
  assert.equal(JSON.stringify(out).includes('$setElementOrder'), false);
});

test('kubectl set image patch from transcript 14', () => {
  const patch = JSON.parse('{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"image":"nginx:1.26","name":"c"}]}}}}');
  const live = liveDeployment();
  const out = smp<Any>(live, patch, deploy);
  assert.equal(out.spec.template.spec.containers[0].image, 'nginx:1.26');
  assert.equal(out.spec.template.spec.containers[0].ports.length, 1);
  assert.equal(live.spec.template.spec.containers[0].image, 'nginx:1.25', 'original untouched');
});

test('merge keys: containers by name, env by name, ports by containerPort, volumes by name', () => {
  const live = liveDeployment();
  live.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }, { name: 'B', value: '2' }];
  live.spec.template.spec.volumes = [{ name: 'v', emptyDir: {} }];
  const out = smp<Any>(live, {
    spec: {
      template: {
        spec: {
          containers: [
            { name: 'c', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }], ports: [{ containerPort: 8080, name: 'alt' }] },
            { name: 'sidecar', image: 'busybox' },
          ],
          volumes: [{ name: 'w', configMap: { name: 'cm' } }],
        },
      },
    },
  }, deploy);
  const [c, s] = out.spec.template.spec.containers;
  assert.deepEqual(c.env, [{ name: 'A', value: '1' }, { name: 'B', value: '3' }, { name: 'C', value: '4' }]);
  assert.deepEqual(c.ports.map((p: Any) => p.containerPort), [80, 8080]);
  assert.equal(s.name, 'sidecar');
  assert.deepEqual(out.spec.template.spec.volumes.map((v: Any) => v.name), ['v', 'w']);
});

test('lists without merge key are replaced; args replaced; tolerations replaced', () => {
  const live = { spec: { containers: [{ name: 'c', args: ['a', 'b'] }], tolerations: [{ key: 'x' }] } };
  const out = smp<Any>(live, { spec: { containers: [{ name: 'c', args: ['z'] }], tolerations: [{ key: 'y' }] } }, pod);
  assert.deepEqual(out.spec.containers[0].args, ['z']);
  assert.deepEqual(out.spec.tolerations, [{ key: 'y' }]);
});

test('service ports merge by port', () => {
  const live = { spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], selector: { app: 'a', tier: 'x' } } };
  const out = smp<Any>(live, { spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 443, name: 'https' }], selector: { tier: null } } }, svc);
  assert.deepEqual(out.spec.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }, { port: 443, name: 'https' }]);
  assert.deepEqual(out.spec.selector, { app: 'a' });
});

test('$patch: delete removes a list item; $patch: replace replaces list or map', () => {
  const live = liveDeployment();
  live.spec.template.spec.containers.push({ name: 'd', image: 'x' });
  let out = smp<Any>(live, { spec: { template: { spec: { containers: [{ name: 'c', $patch: 'delete' }] } } } }, deploy);
  assert.deepEqual(out.spec.template.spec.containers.map((c: Any) => c.name), ['d']);
  out = smp<Any>(live, { spec: { template: { spec: { containers: [{ name: 'z', image: 'i' }, { $patch: 'replace' }] } } } }, deploy);
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'z', image: 'i' }]);
  out = smp<Any>(live, { spec: { strategy: { $patch: 'replace', type: 'Recreate' } } }, deploy);
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  out = smp<Any>(live, { metadata: { labels: { $patch: 'delete' } } }, deploy);
  assert.deepEqual(out.metadata.labels, {});
});

test('$retainKeys drops keys not listed (deployment strategy)', () => {
  const out = smp<Any>(liveDeployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, deploy);
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
});

test('primitive merge lists (finalizers): union, $deleteFromPrimitiveList, $setElementOrder', () => {
  const live = { metadata: { finalizers: ['a', 'b'] } };
  assert.deepEqual(smp<Any>(live, { metadata: { finalizers: ['c', 'a'] } }, pod).metadata.finalizers, ['a', 'b', 'c']);
  assert.deepEqual(smp<Any>(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }, pod).metadata.finalizers, ['b']);
  assert.deepEqual(smp<Any>(live, { metadata: { '$setElementOrder/finalizers': ['b', 'c', 'a'], finalizers: ['c'] } }, pod).metadata.finalizers, ['b', 'c', 'a']);
});

test('$setElementOrder orders merged items and keeps server-only items in place', () => {
  const live = { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } };
  const out = smp<Any>(live, { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }], containers: [{ name: 'c', image: 'x' }] } }, pod);
  // mergeSortedSlice puts server-only 'b' before 'c' because b precedes c on the server.
  assert.deepEqual(out.spec.containers.map((c: Any) => c.name), ['b', 'c', 'a']);
  const out2 = smp<Any>(live, { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'n' }, { name: 'b' }, { name: 'c' }], containers: [{ name: 'n' }] } }, pod);
  assert.deepEqual(out2.spec.containers.map((c: Any) => c.name), ['a', 'n', 'b', 'c']);
});

test('null deletes; nulls in new subtrees are dropped; ownerReferences merge by uid; conditions by type', () => {
  const live = { metadata: { ownerReferences: [{ uid: '1', name: 'x' }] }, spec: { nodeName: 'n' }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
  const out = smp<Any>(live, {
    metadata: { ownerReferences: [{ uid: '2', name: 'y' }] },
    spec: { nodeName: null, affinity: { nodeAffinity: null, podAffinity: {} } },
    status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }] },
  }, pod);
  assert.deepEqual(out.metadata.ownerReferences.map((o: Any) => o.uid), ['1', '2']);
  assert.equal('nodeName' in out.spec, false);
  assert.deepEqual(out.spec.affinity, { podAffinity: {} });
  assert.deepEqual(out.status.conditions, [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
});

test('errors: missing merge key, non-object patch, unknown directive', () => {
  assert.throws(() => smp({ spec: { containers: [] } }, { spec: { containers: [{ image: 'x' }] } }, pod), (e) => isStatusError(e, 'BadRequest') && /does not contain declared merge key: name/.test(e.message));
  assert.throws(() => smp({}, [1], pod), (e) => isStatusError(e, 'BadRequest'));
  assert.throws(() => smp({ spec: {} }, { spec: { $patch: 'frob' } }, pod), (e) => isStatusError(e, 'BadRequest'));
});

test('unknown kinds: every list replaced, maps merged', () => {
  const out = smp<Any>({ spec: { addresses: ['a'], m: { x: 1 } } }, { spec: { addresses: ['b'], m: { y: 2 } } }, { group: 'metallb.io', kind: 'IPAddressPool' });
  assert.deepEqual(out.spec, { addresses: ['b'], m: { x: 1, y: 2 } });
});

test('kubectl apply removing a container and a field (3-way patch shapes)', () => {
  const live = liveDeployment();
  live.spec.template.spec.containers.push({ name: 'side', image: 'busybox' });
  const out = smp<Any>(live, JSON.parse('{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"c"}],"containers":[{"$patch":"delete","name":"side"},{"name":"c","ports":null,"env":[{"name":"A","value":"1"}]}]}}}}'), deploy);
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'c', image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', env: [{ name: 'A', value: '1' }] }]);
});

test('nested $setElementOrder inside a list item; $retainKeys inside a volume', () => {
  const live = {
    spec: {
      containers: [{ name: 'c', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }],
      volumes: [{ name: 'v', emptyDir: {} }],
    },
  };
  const out = smp<Any>(live, {
    spec: {
      containers: [{ name: 'c', '$setElementOrder/env': [{ name: 'B' }, { name: 'A' }], env: [{ name: 'B', value: '3' }] }],
      volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }],
    },
  }, pod);
  assert.deepEqual(out.spec.containers[0].env, [{ name: 'B', value: '3' }, { name: 'A', value: '1' }]);
  assert.deepEqual(out.spec.volumes, [{ name: 'v', configMap: { name: 'cm' } }]);
});

test('type changes and new subtrees take the patch value without directives', () => {
  const out = smp<Any>({ spec: { a: 'x', containers: [{ name: 'c' }] } }, { spec: { a: { b: 1 }, initContainers: [{ name: 'i', env: [{ name: 'E', value: null }] }] } }, pod);
  assert.deepEqual(out.spec.a, { b: 1 });
  assert.deepEqual(out.spec.initContainers, [{ name: 'i', env: [{ name: 'E' }] }]);
});
