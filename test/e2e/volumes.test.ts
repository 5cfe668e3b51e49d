import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from '../support/cluster.js';
import { parseTable } from '../support/kubectl.js';
import { waitFor } from '../support/ports.js';
import { mountedFromEnv, volShell } from '../support/volumes.js';
import { findNginx } from '../../src/agent/images/nginx.js';

describe('volumes: configMap, secret, emptyDir, persistentVolumeClaim', () => {
  let cluster: TestCluster;
  let mountNamespaces = false;
  const apply = async (yaml: string) => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: yaml });
    assert.equal(r.code, 0, r.stderr);
  };
  const ready = (pod: string) => cluster.k('wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=60s');
  const logs = (pod: string, container?: string) => cluster.k('logs', pod, ...(container ? ['-c', container] : []));
  const busybox = (name: string, script: string, mounts: string, volumes: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, ${JSON.stringify(volShell + script + '; exec sleep 3600')}]
    volumeMounts: ${mounts}
  volumes: ${volumes}
`;

  before(async () => {
    cluster = await TestCluster.start();
    await apply(busybox('probe', 'env | grep ^SKIFF_', '[{name: scratch, mountPath: /scratch}]', '[{name: scratch, emptyDir: {}}]'));
    await ready('probe');
    mountNamespaces = mountedFromEnv(await waitFor('probe env', async () => (await logs('probe')) || undefined));
  });
  after(async () => {
    await cluster?.destroy();
  });

  it('lists the storage kinds with their short names', async () => {
    const out = await cluster.k('api-resources', '--no-headers');
    assert.match(out, /^persistentvolumeclaims\s+pvc\s+v1\s+true\s+PersistentVolumeClaim$/m);
    assert.match(out, /^persistentvolumes\s+pv\s+v1\s+false\s+PersistentVolume$/m);
    assert.match(out, /^storageclasses\s+sc\s+storage\.k8s\.io\/v1\s+false\s+StorageClass$/m);
    assert.match(await cluster.k('get', 'sc'), /^local-path \(default\)\s+rancher\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false\s+/m);
  });

  it('two containers share an emptyDir', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: share}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: writer
    image: busybox
    command: [sh, -c, ${JSON.stringify(volShell + 'echo "from the writer" > $(vol /shared)/msg; exec sleep 3600')}]
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: reader
    image: busybox
    command: [sh, -c, ${JSON.stringify(volShell + 'until [ -f $(vol /data)/msg ]; do sleep 0.1; done; cat $(vol /data)/msg; exec sleep 3600')}]
    volumeMounts: [{name: shared, mountPath: /data}]
  volumes: [{name: shared, emptyDir: {}}]
`);
    await ready('share');
    await waitFor('the reader to print the writer\'s file', async () => (await logs('share', 'reader')).includes('from the writer'));
  });

  it('a Secret volume has mode 0644 files by default; items and mode override', async () => {
    await apply(`apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: hunter2, token: abc}
`);
    await apply(busybox('secret', 'for f in password only-token; do echo "$f $(stat -L -c %a $(vol /etc/creds)/$f) $(cat $(vol /etc/creds)/$f)"; done; echo "other $(stat -L -c %a $(vol /etc/tok)/t)"',
      '[{name: creds, mountPath: /etc/creds}, {name: tok, mountPath: /etc/tok}]',
      '[{name: creds, secret: {secretName: creds, items: [{key: password, path: password}, {key: token, path: only-token, mode: 0400}]}}, {name: tok, secret: {secretName: creds, defaultMode: 0440, items: [{key: token, path: t}]}}]'));
    await ready('secret');
    const out = await waitFor('secret listing', async () => ((await logs('secret')).includes('other') ? logs('secret') : undefined));
    assert.match(out, /^password 644 hunter2$/m);
    assert.match(out, /^only-token 400 abc$/m);
    assert.match(out, /^other 440$/m);
  });

  it('a missing ConfigMap keeps the pod ContainerCreating with FailedMount until it exists', async () => {
    await apply(busybox('waits', 'cat $(vol /etc/cfg)/key; echo', '[{name: cfg, mountPath: /etc/cfg}]', '[{name: cfg, configMap: {name: late}}]'));
    await waitFor('FailedMount event', async () => /FailedMount\s+.*MountVolume\.SetUp failed for volume "cfg" : configmap "late" not found/.test(await cluster.k('describe', 'pod', 'waits')));
    const row = parseTable(await cluster.k('get', 'pod', 'waits')).find((r) => r.NAME === 'waits');
    assert.equal(row?.STATUS, 'ContainerCreating');
    await apply('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\ndata: {key: arrived}\n');
    await ready('waits');
    await waitFor('the late key', async () => (await logs('waits')).includes('arrived')).catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${await logs('waits')}\n${await cluster.k('describe', 'pod', 'waits')}`);
    });
  });

  it('an nginx pod serves a config from a ConfigMap volume, and the file follows an edit of the ConfigMap', async (t) => {
    if (!findNginx()) return t.skip('nginx is not installed on this host (apt-get install nginx)');
    const conf = (v: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: nginx-conf}
data:
  default.conf: |
    server {
      listen 80;
      location / { return 200 "config ${v}\\n"; }
    }
`;
    await apply(conf('v1'));
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: nginx
    image: nginx:1.27
    ports: [{containerPort: 80}]
    volumeMounts: [{name: conf, mountPath: /etc/nginx/conf.d}]
  volumes: [{name: conf, configMap: {name: nginx-conf}}]
`);
    await ready('web');
    const ip = (await cluster.k('get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}')).trim();
    await cluster.assertRouted(ip);
    const body = await waitFor('nginx to answer with the mounted config', async () => {
      const res = await fetch(`http://${ip}:80/`).catch(() => undefined);
      return res ? res.text() : undefined;
    });
    assert.equal(body, 'config v1\n');
    const read = () => cluster.k('exec', 'web', '--', 'sh', '-c', `${volShell} cat $(vol /etc/nginx/conf.d)/default.conf; readlink $(vol /etc/nginx/conf.d)/..data`);
    const before = await read();
    await apply(conf('v2'));
    // the kubelet's sync rewrites the volume in place: a new ..data target with the new file
    const after = await waitFor('the edited ConfigMap in the volume', async () => {
      const now = await read();
      return now.includes('config v2') ? now : undefined;
    }, 30_000, 200);
    assert.notEqual(before.trim().split('\n').pop(), after.trim().split('\n').pop());
  });

  it('nginx serves pages from a ConfigMap volume and answers with an edit of the ConfigMap', async (t) => {
    if (!findNginx()) return t.skip('nginx is not installed on this host (apt-get install nginx)');
    const page = (v: string) => `apiVersion: v1
kind: ConfigMap
metadata: {name: nginx-html}
data:
  index.html: "page ${v}"
`;
    await apply(page('v1'));
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: pages}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: nginx
    image: nginx:1.27
    ports: [{containerPort: 80}]
    volumeMounts: [{name: html, mountPath: /usr/share/nginx/html}]
  volumes: [{name: html, configMap: {name: nginx-html}}]
`);
    await ready('pages');
    const ip = (await cluster.k('get', 'pod', 'pages', '-o', 'jsonpath={.status.podIP}')).trim();
    const served = (want: string) => waitFor(`nginx to serve "${want}"`, async () => {
      const res = await fetch(`http://${ip}:80/`).catch(() => undefined);
      const text = res && (await res.text());
      return text === want ? text : undefined;
    }, 30_000, 200);
    assert.equal(await served('page v1'), 'page v1');
    await apply(page('v2'));
    // nginx reads the file at each request: the kubelet's in-place update is what a client sees
    assert.equal(await served('page v2'), 'page v2');
  });

  it('a PVC is Bound from the local-path class and keeps its data across pod deletion; Delete reclaims it', async () => {
    await apply(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 128Mi}}}
`);
    const pending = parseTable(await cluster.k('get', 'pvc', 'data'));
    assert.deepEqual(Object.keys(pending[0]!), ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    assert.equal(pending[0]!.STATUS, 'Pending');
    assert.equal(pending[0]!.STORAGECLASS, 'local-path');
    const pod = (name: string, script: string) => busybox(name, script, '[{name: data, mountPath: /data}]', '[{name: data, persistentVolumeClaim: {claimName: data}}]');
    await apply(pod('first', 'echo "written by first" > $(vol /data)/keep; echo done'));
    await ready('first');
    const row = await waitFor('the claim Bound', async () => parseTable(await cluster.k('get', 'pvc', 'data')).find((r) => r.STATUS === 'Bound'));
    assert.match(row.VOLUME!, /^pvc-[0-9a-f-]{36}$/);
    assert.equal(row.CAPACITY, '128Mi');
    assert.equal(row['ACCESS MODES'], 'RWO');
    const pv = parseTable(await cluster.k('get', 'pv', row.VOLUME!))[0]!;
    assert.equal(pv.STATUS, 'Bound');
    assert.equal(pv.CLAIM, 'default/data');
    assert.equal(pv['RECLAIM POLICY'], 'Delete');
    const claim = JSON.parse(await cluster.k('get', 'pvc', 'data', '-o', 'json')) as { metadata: { annotations: Record<string, string> } };
    assert.equal(claim.metadata.annotations['pv.kubernetes.io/bind-completed'], 'yes');
    assert.ok(claim.metadata.annotations['volume.kubernetes.io/selected-node']);
    const dir = (await cluster.k('get', 'pv', row.VOLUME!, '-o', 'jsonpath={.spec.hostPath.path}')).trim();
    assert.ok(dir.startsWith(path.join(cluster.dataDir, 'storage') + '/'), dir);
    await waitFor('first wrote', async () => (await logs('first')).includes('done'));
    await cluster.k('delete', 'pod', 'first', '--wait=true');
    await apply(pod('second', 'cat $(vol /data)/keep'));
    await ready('second');
    await waitFor('second reads what first wrote', async () => (await logs('second')).includes('written by first'));
    await cluster.k('delete', 'pod', 'second', '--wait=true');
    await cluster.k('delete', 'pvc', 'data', '--wait=true');
    await waitFor('the PV deleted by its reclaim policy', async () => !(await cluster.k('get', 'pv', '-o', 'name')).includes(row.VOLUME!));
    await waitFor('the directory removed', () => !fs.existsSync(dir));
  });

  it('binds a claim to a matching PersistentVolume the admin made; Retain leaves it Released', async () => {
    await apply(`apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-big}
spec: {capacity: {storage: 5Gi}, accessModes: [ReadWriteOnce], storageClassName: manual, hostPath: {path: ${JSON.stringify(path.join(cluster.dataDir, 'manual-big'))}}}
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: manual-small}
spec: {capacity: {storage: 2Gi}, accessModes: [ReadWriteOnce], storageClassName: manual, hostPath: {path: ${JSON.stringify(path.join(cluster.dataDir, 'manual-small'))}}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static}
spec: {storageClassName: manual, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`);
    const row = await waitFor('the static claim Bound', async () => parseTable(await cluster.k('get', 'pvc', 'static')).find((r) => r.STATUS === 'Bound'));
    assert.equal(row.VOLUME, 'manual-small', 'the smallest volume that fits');
    assert.equal(row.CAPACITY, '2Gi');
    assert.equal(parseTable(await cluster.k('get', 'pv', 'manual-big'))[0]!.STATUS, 'Available');
    await cluster.k('delete', 'pvc', 'static', '--wait=true');
    await waitFor('manual-small Released', async () => parseTable(await cluster.k('get', 'pv', 'manual-small'))[0]!.STATUS === 'Released');
    assert.equal(parseTable(await cluster.k('get', 'pv', 'manual-small'))[0]!['RECLAIM POLICY'], 'Retain');
  });

  it('rejects invalid claims with Kubernetes\' messages', async () => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad}\nspec: {accessModes: [Sometimes]}\n' });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.accessModes: Unsupported value: "Sometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"/);
    assert.match(r.stderr, /spec\.resources\[storage\]: Required value/);
  });

  it('with mount namespaces, containers see each volume at its mountPath (read-only for configMap)', async (t) => {
    if (!mountNamespaces) return t.skip('the container runtime does not mount volumes yet (netns-pods mounts support): loopback stand-ins only');
    await apply('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {k: v}\n');
    await apply(busybox('plain', 'cat /etc/plain/k; echo; touch /etc/plain/new 2>/dev/null && echo writable || echo read-only', '[{name: p, mountPath: /etc/plain}]', '[{name: p, configMap: {name: plain}}]'));
    await ready('plain');
    await waitFor('the mounted key', async () => /^v\nread-only$/m.test(await logs('plain')));
  });
});
