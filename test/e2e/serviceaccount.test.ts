import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { waitFor } from '../support/ports.js';
import { mountedFromEnv, volShell } from '../support/volumes.js';

const saDir = '/var/run/secrets/kubernetes.io/serviceaccount';

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('in-cluster API access: service accounts and bound tokens', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await TestCluster.start();
  });
  after(async () => {
    await cluster?.destroy();
  });
  const apply = async (yaml: string) => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
  };

  it('every namespace gets its default ServiceAccount and kube-root-ca.crt', async () => {
    await cluster.k('create', 'namespace', 'team-a');
    await waitFor('default SA in team-a', async () => (await cluster.kubectl(['get', 'sa', 'default', '-n', 'team-a'])).code === 0);
    const ca = await waitFor('kube-root-ca.crt in team-a', async () => {
      const r = await cluster.kubectl(['get', 'cm', 'kube-root-ca.crt', '-n', 'team-a', '-o', 'jsonpath={.data.ca\\.crt}']);
      return r.code === 0 ? r.stdout : undefined;
    });
    assert.match(ca, /^-----BEGIN CERTIFICATE-----/);
    // deleted: recreated by the controller
    await cluster.k('delete', 'sa', 'default', '-n', 'team-a');
    await waitFor('default SA recreated', async () => (await cluster.kubectl(['get', 'sa', 'default', '-n', 'team-a'])).code === 0);
  });

  it('kubectl create token issues a signed token the API server accepts; auth whoami names the account', async () => {
    const token = (await cluster.k('create', 'token', 'default')).trim();
    const c = claimsOf(token);
    assert.equal(c.iss, 'https://kubernetes.default.svc.cluster.local');
    assert.deepEqual(c.aud, ['https://kubernetes.default.svc.cluster.local']);
    assert.equal(c.sub, 'system:serviceaccount:default:default');
    assert.equal((c.exp as number) - (c.iat as number), 3600);
    assert.equal(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg, 'ES256');
    const whoami = await cluster.k('--token', token, 'auth', 'whoami');
    assert.match(whoami, /^Username\s+system:serviceaccount:default:default$/m);
    assert.match(whoami, /^Groups\s+\[system:serviceaccounts system:serviceaccounts:default system:authenticated\]$/m);
    assert.equal((await cluster.kubectl(['--token', token, 'get', 'pods'])).code, 0);
    // a forged signature and a token for another audience are not accepted
    const forged = `${token.split('.').slice(0, 2).join('.')}.${Buffer.alloc(64).toString('base64url')}`;
    assert.match((await cluster.kubectl(['--token', forged, 'get', 'pods'])).stderr, /Unauthorized/);
    const other = (await cluster.k('create', 'token', 'default', '--audience', 'vault')).trim();
    assert.match((await cluster.kubectl(['--token', other, 'get', 'pods'])).stderr, /Unauthorized/);
    const bad = await cluster.kubectl(['create', 'token', 'default', '--duration', '10s']);
    assert.match(bad.stderr, /spec\.expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes/);
    const missing = await cluster.kubectl(['create', 'token', 'nobody']);
    assert.match(missing.stderr, /serviceaccounts "nobody" not found/);
  });

  it('a deleted ServiceAccount\'s tokens stop working', async () => {
    await cluster.k('create', 'serviceaccount', 'short-lived');
    const token = (await cluster.k('create', 'token', 'short-lived')).trim();
    assert.equal((await cluster.kubectl(['--token', token, 'get', 'pods'])).code, 0);
    await cluster.k('delete', 'serviceaccount', 'short-lived');
    assert.match((await cluster.kubectl(['--token', token, 'get', 'pods'])).stderr, /Unauthorized/);
  });

  it('a pod gets token, ca.crt and namespace and runs kubectl get pods through its bound token', async () => {
    // the host's kubectl through the busybox-style host tools image; with mount namespaces the files are
    // at the fixed path, in loopback mode SKIFF_MOUNTS says where they live
    const script = `${volShell} D=$(vol ${saDir}); echo "ns=$(cat $D/namespace)"; echo "host=$KUBERNETES_SERVICE_HOST port=$KUBERNETES_SERVICE_PORT";
kubectl --server=https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT --token="$(cat $D/token)" --certificate-authority=$D/ca.crt get pods -o name;
kubectl --server=https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT --token="$(cat $D/token)" --certificate-authority=$D/ca.crt auth whoami;
echo finished; env | grep ^SKIFF_VOLUME_ || true; exec sleep 3600`;
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: kubectl
    image: busybox
    command: [sh, -c, ${JSON.stringify(script)}]
`);
    await cluster.k('wait', '--for=condition=Ready', 'pod/client', '--timeout=60s');
    const spec = JSON.parse(await cluster.k('get', 'pod', 'client', '-o', 'json')) as { spec: { serviceAccountName: string; volumes: Array<{ name: string; projected?: { sources: Array<Record<string, { expirationSeconds?: number }>> } }>; containers: Array<{ volumeMounts: Array<{ mountPath: string; readOnly: boolean; name: string }> }> } };
    assert.equal(spec.spec.serviceAccountName, 'default');
    const vol = spec.spec.volumes.find((v) => /^kube-api-access-[a-z0-9]{5}$/.test(v.name));
    assert.ok(vol?.projected, 'the kube-api-access volume');
    assert.equal(vol.projected.sources[0]!.serviceAccountToken!.expirationSeconds, 3607);
    assert.deepEqual(spec.spec.containers[0]!.volumeMounts.find((m) => m.mountPath === saDir), { name: vol.name, readOnly: true, mountPath: saDir });
    const out = await waitFor('the pod\'s kubectl output', async () => {
      const l = await cluster.k('logs', 'client');
      return l.includes('finished') ? l : undefined;
    }, 30_000);
    assert.match(out, /^ns=default$/m);
    const first = cluster.serviceCIDR.replace(/\.0\/\d+$/, '.1');
    assert.match(out, new RegExp(`^host=${first.replace(/\./g, '\\.')} port=443$`, 'm'));
    assert.match(out, /^pod\/client$/m);
    assert.match(out, /^Username\s+system:serviceaccount:default:default$/m);
    assert.match(out, /^Extra: authentication\.kubernetes\.io\/pod-name\s+\[client\]$/m);
    // bound to the pod: once it is gone its token is refused
    const token = (await cluster.k('exec', 'client', '--', 'sh', '-c', `${volShell} cat $(vol ${saDir})/token`)).trim();
    assert.equal((claimsOf(token)['kubernetes.io'] as { pod: { name: string } }).pod.name, 'client');
    assert.equal((await cluster.kubectl(['--token', token, 'get', 'pods'])).code, 0);
    await cluster.k('delete', 'pod', 'client', '--wait=true');
    assert.match((await cluster.kubectl(['--token', token, 'get', 'pods'])).stderr, /Unauthorized/);
  });

  it('kubectl in a pod works with no configuration at all (in-cluster config)', async (t) => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: incluster}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: kubectl
    image: busybox
    command: [sh, -c, 'env | grep ^SKIFF_VOLUME_; kubectl auth whoami; kubectl get pods -o name; echo finished; exec sleep 3600']
`);
    await cluster.k('wait', '--for=condition=Ready', 'pod/incluster', '--timeout=60s');
    const out = await waitFor('in-cluster kubectl', async () => {
      const l = await cluster.k('logs', 'incluster');
      return l.includes('finished') ? l : undefined;
    }, 30_000);
    if (!mountedFromEnv(out)) return t.skip(`the container runtime does not mount volumes yet (netns-pods mounts support): no ${saDir} inside the pod`);
    assert.match(out, /^Username\s+system:serviceaccount:default:default$/m);
    assert.match(out, /^pod\/incluster$/m);
  });
});
