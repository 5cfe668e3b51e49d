import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notFound } from '../../api/status.js';
import type { KubeObject } from '../../api/types.js';
import { FakeClock } from '../../util/clock.js';
import { TokenSigner } from './jwt.js';
import { ServiceAccountTokens } from './service-account.js';
import { serviceAccountHooks, serviceAccountMountPath } from '../admission/service-account.js';
import { defaultStorageClassHooks } from '../admission/default-storage-class.js';

function fakeStorage(objects: Map<string, KubeObject>) {
  return (_g: string, _v: string, resource: string) =>
    ({
      get: async (ns: string | undefined, name: string) => {
        const o = objects.get(`${resource}/${ns ?? ''}/${name}`);
        if (!o) throw notFound({ group: '', resource }, name);
        return o;
      },
    }) as never;
}

const issuer = 'https://kubernetes.default.svc.cluster.local';
const k = (x: object): KubeObject => x as unknown as KubeObject;

test('TokenRequest: bound token claims; the authenticator checks signature, audience, expiry, SA and pod', async () => {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const objects = new Map<string, KubeObject>([
    ['serviceaccounts/default/default', k({ metadata: { name: 'default', namespace: 'default', uid: 'sa-uid' } })],
    ['pods/default/web', k({ metadata: { name: 'web', namespace: 'default', uid: 'pod-uid' }, spec: {} })],
  ]);
  const signer = TokenSigner.generate();
  const tokens = new ServiceAccountTokens({ signer, issuer, clock, storage: fakeStorage(objects) });
  const answer = await tokens.issue('default', 'default', { spec: { expirationSeconds: 3607, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web', uid: 'pod-uid' } } });
  const status = answer.status as { token: string; expirationTimestamp: string };
  assert.equal(status.expirationTimestamp, '2026-01-01T01:00:07Z');
  const claims = signer.verify(status.token)!;
  assert.deepEqual(claims['aud'], [issuer]);
  assert.equal(claims['sub'], 'system:serviceaccount:default:default');
  assert.deepEqual(claims['kubernetes.io'], { namespace: 'default', pod: { name: 'web', uid: 'pod-uid' }, serviceaccount: { name: 'default', uid: 'sa-uid' } });
  const user = await tokens.authenticate(status.token);
  assert.equal(user?.username, 'system:serviceaccount:default:default');
  assert.deepEqual(user?.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
  assert.deepEqual(user?.extra?.['authentication.kubernetes.io/pod-name'], ['web']);
  // another key's signature, another audience, expiry, a recreated pod
  assert.equal(await new ServiceAccountTokens({ signer: TokenSigner.generate(), issuer, clock, storage: fakeStorage(objects) }).authenticate(status.token), undefined);
  const vault = (await tokens.issue('default', 'default', { spec: { audiences: ['vault'] } })).status as { token: string };
  assert.equal(await tokens.authenticate(vault.token), undefined);
  objects.set('pods/default/web', k({ metadata: { name: 'web', namespace: 'default', uid: 'another' } }));
  assert.equal(await tokens.authenticate(status.token), undefined);
  const plain = (await tokens.issue('default', 'default', {})).status as { token: string };
  assert.ok(await tokens.authenticate(plain.token));
  clock.step(3600_000);
  assert.equal(await tokens.authenticate(plain.token), undefined, 'expired');
  await assert.rejects(tokens.issue('default', 'default', { spec: { expirationSeconds: 10 } }), /spec\.expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes/);
  await assert.rejects(tokens.issue('default', 'nobody', {}), /serviceaccounts "nobody" not found/);
  await assert.rejects(tokens.issue('default', 'default', { spec: { boundObjectRef: { kind: 'Pod', name: 'web', uid: 'pod-uid' } } }), /the UID in the bound object reference \(pod-uid\) does not match the UID in record/);
});

test('ServiceAccount admission: serviceAccountName default, kube-api-access volume and mounts, automount off, unknown account', async () => {
  const hooks = serviceAccountHooks(async (_ns, name) => (name === 'default' ? k({ metadata: { name } }) : name === 'quiet' ? k({ metadata: { name }, automountServiceAccountToken: false }) : undefined));
  const pod = { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'a' }, { name: 'b', volumeMounts: [{ name: 'own', mountPath: serviceAccountMountPath }] }], initContainers: [{ name: 'i' }] } } as unknown as KubeObject;
  await hooks.beforeCreate!(pod, { dryRun: false });
  const spec = pod.spec as { serviceAccountName: string; volumes: Array<{ name: string }>; containers: Array<{ volumeMounts?: unknown[] }>; initContainers: Array<{ volumeMounts?: unknown[] }> };
  assert.equal(spec.serviceAccountName, 'default');
  assert.match(spec.volumes[0]!.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(spec.containers[0]!.volumeMounts, [{ name: spec.volumes[0]!.name, readOnly: true, mountPath: serviceAccountMountPath }]);
  assert.equal(spec.containers[1]!.volumeMounts!.length, 1, 'a container with its own mount there keeps it');
  assert.equal(spec.initContainers[0]!.volumeMounts!.length, 1);
  const quiet = { metadata: { name: 'q', namespace: 'default' }, spec: { serviceAccountName: 'quiet', containers: [{ name: 'a' }] } } as unknown as KubeObject;
  await hooks.beforeCreate!(quiet, { dryRun: false });
  assert.equal((quiet.spec as { volumes?: unknown[] }).volumes, undefined);
  const missing = { metadata: { name: 'm', namespace: 'default' }, spec: { serviceAccountName: 'ghost', containers: [{ name: 'a' }] } } as unknown as KubeObject;
  await assert.rejects(Promise.resolve(hooks.beforeCreate!(missing, { dryRun: false })), /pods "m" is forbidden: error looking up service account default\/ghost: serviceaccount "ghost" not found/);
});

test('DefaultStorageClass admission: nil class gets the default, "" stays', async () => {
  const hooks = defaultStorageClassHooks(async () => [k({ metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } }), k({ metadata: { name: 'other' } })]);
  const pvc = k({ metadata: { name: 'c' }, spec: {} });
  await hooks.beforeCreate!(pvc, { dryRun: false });
  assert.equal((pvc.spec as { storageClassName?: string }).storageClassName, 'local-path');
  const none = { metadata: { name: 'c' }, spec: { storageClassName: '' } } as unknown as KubeObject;
  await hooks.beforeCreate!(none, { dryRun: false });
  assert.equal((none.spec as { storageClassName?: string }).storageClassName, '');
});
