/**
 * Issue 11 as a user sees it, with the real skiff and kubectl in netns mode: images made offline
 * (test/support/oci-image.ts) imported with `skiff image import` into a running cluster; a Deployment of
 * v1 behind a Service rolled to v2 under `kubectl get pods -w` while its answers change from v1 to v2;
 * command/args over the image's entrypoint; `kubectl exec` in the image's filesystem; the image ID in
 * `kubectl describe pod`; a pull from a registry with an imagePullSecret (and the ServiceAccount's).
 * Root only (skips with a message otherwise).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, skiffBin, TestCluster } from '../support/cluster.js';
import { netnsSkipReason } from '../support/netns.js';
import { waitFor } from '../support/ports.js';
import { buildTestImages, testImageSkipReason, TEST_IMAGE, type TestImageArchives } from '../support/oci-image.js';
import { netnsRegistryPort, REGISTRY_PASSWORD, REGISTRY_USER, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';

const ociRuntime = ['crun', 'runc'].some((b) => ['/usr/bin', '/usr/sbin', '/usr/local/bin'].some((d) => fs.existsSync(path.join(d, b))));
const skip = (await netnsSkipReason()) ?? (await testImageSkipReason()) ?? (ociRuntime ? undefined : 'no crun or runc installed');

const deployment = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

describe('OCI images in a netns cluster (issue 11)', { skip }, () => {
  let cluster: TestCluster;
  let dir: string;
  let archives: TestImageArchives;
  let registry: TestRegistry | undefined;
  let watch: ChildProcess | undefined;
  // the registry's own host is its endpoint: the harness' "*" mirror refuses every other registry
  const registryPort = netnsRegistryPort();
  const skiffImage = (...args: string[]) => run(process.execPath, [skiffBin, 'image', ...args, '--data-dir', cluster.dataDir]);
  const apply = async (text: string) => {
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: text });
    assert.equal(r.code, 0, r.stderr);
  };
  /** The Deployment's pods that are not terminating. */
  const webPods = async () => {
    const items = JSON.parse(await cluster.k('get', 'pods', '-l', 'app=web', '-o', 'json')).items as Array<{ metadata: { name: string; deletionTimestamp?: string }; status: { containerStatuses: Array<{ image: string; imageID: string }> } }>;
    return items.filter((p) => !p.metadata.deletionTimestamp);
  };
  const get = async (url: string) => (await run('curl', ['-s', '--max-time', '2', url])).stdout;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-oci-e2e-'));
    archives = await buildTestImages(path.join(dir, 'images'));
    cluster = await TestCluster.start({ network: 'netns', extraArgs: ['--container-runtime', 'oci', '--disable', 'traefik'], registries: { mirrors: { [`127.0.0.1:${registryPort}`]: { endpoint: [`http://127.0.0.1:${registryPort}`] } } } });
    await waitFor('a Ready node', async () => (await cluster.k('get', 'nodes')).includes(' Ready ') || undefined, 30_000);
  });
  after(async () => {
    watch?.kill('SIGTERM');
    await registry?.stop();
    await cluster?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports v1 and v2 into the running cluster and lists them', async () => {
    assert.match(cluster.logs, /container runtime: oci/);
    const imported = await skiffImage('import', archives.v1, archives.v2);
    assert.equal(imported.code, 0, imported.stderr);
    const ls = await skiffImage('ls');
    assert.match(ls.stdout, /^docker\.io\/skiff-test\/web\s+v1\s+[0-9a-f]{13}\s+\S+B$/m);
    assert.match(ls.stdout, /^docker\.io\/skiff-test\/web\s+v2\s+[0-9a-f]{13}\s+\S+B$/m);
  });

  it('rolls a Deployment from v1 to v2 under kubectl get pods -w; the Service answers v1, then v2', async (t) => {
    await apply(deployment('skiff-test/web:v1'));
    await cluster.k('rollout', 'status', 'deploy/web', '--timeout=90s');
    const ip = (await cluster.k('get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    await cluster.assertRouted(ip);
    const url = `http://${ip}/`;
    await waitFor('the Service answers v1', async () => ((await get(url)) === 'v1\n' ? true : undefined), 20_000);
    let watched = '';
    watch = spawn('kubectl', ['get', 'pods', '-l', 'app=web', '-w'], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.home }, stdio: ['ignore', 'pipe', 'inherit'] });
    watch.stdout!.setEncoding('utf8').on('data', (d: string) => (watched += d));
    await waitFor('the watch lists the pods', () => (watched.split('\n').filter((l) => / Running /.test(l)).length >= 2 ? true : undefined));
    const answers: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) answers.push((await get(url)).trim() || 'no answer');
    })();
    assert.equal(await cluster.k('set', 'image', 'deploy/web', `web=${TEST_IMAGE}:v2`), 'deployment.apps/web image updated\n');
    await cluster.k('rollout', 'status', 'deploy/web', '--timeout=90s');
    await waitFor('only v2 answers', () => (answers.slice(-5).length === 5 && answers.slice(-5).every((a) => a === 'v2') ? true : undefined), 20_000);
    polling = false;
    await poller;
    t.diagnostic(`answers during the rollout: ${answers.filter((a) => a === 'v1').length} v1, ${answers.filter((a) => a === 'v2').length} v2, ${answers.filter((a) => a === 'no answer').length} none`);
    assert.equal(answers[0], 'v1', `answers: ${answers.join(' ')}`);
    assert.ok(answers.every((a) => a === 'v1' || a === 'v2' || a === 'no answer'), `answers: ${answers.join(' ')}`);
    await waitFor('the watch sees old pods terminate', () => (/ Terminating /.test(watched) ? true : undefined));
    watch.kill('SIGTERM');
    const lines = watched.split('\n');
    assert.match(lines[0]!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.ok(lines.some((l) => /^web-\S+\s+0\/1\s+(Pending|ContainerCreating)/.test(l)), `the watch saw new pods start:\n${watched}`);
    const pods = await webPods();
    assert.deepEqual([...new Set(pods.map((p) => p.status.containerStatuses[0]!.image))], [`${TEST_IMAGE}:v2`]);
  });

  it('kubectl exec runs in the image\'s filesystem; describe shows the image ID', async () => {
    const osRelease = await cluster.k('exec', 'deploy/web', '--', 'cat', '/etc/os-release');
    assert.match(osRelease, /^NAME="skiff test image"\nID=skiff-test\nVERSION_ID=v2\n/);
    assert.notEqual(osRelease, fs.readFileSync('/etc/os-release', 'utf8'));
    const name = (await webPods())[0]!.metadata.name;
    const index = JSON.parse(fs.readFileSync(path.join(cluster.dataDir, 'agent', 'images', 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
    const digest = index.manifests.find((m) => m.annotations['org.opencontainers.image.ref.name'] === `${TEST_IMAGE}:v2`)!.digest;
    const describe = await cluster.k('describe', 'pod', name);
    assert.match(describe, new RegExp(`\\n    Image:          ${TEST_IMAGE}:v2\\n    Image ID:       ${TEST_IMAGE}@${digest}\\n`));
    assert.match(describe, new RegExp(`Pulled .*Container image "${TEST_IMAGE}:v2" already present on machine`));
    // in use: skiff image rm refuses it while the server runs the pods
    const rm = await skiffImage('rm', `${TEST_IMAGE}:v2`);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, new RegExp(`^skiff: conflict: unable to remove repository reference "${TEST_IMAGE}:v2" - container default/web-\\S+/web is using its referenced image [0-9a-f]{12}\n$`));
    assert.match((await skiffImage('ls')).stdout, /skiff-test\/web\s+v2\s/);
  });

  it('command and args override the image\'s entrypoint and cmd as in Kubernetes', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: args}
spec:
  containers:
  - {name: web, image: skiff-test/web:v1, args: ["-p", "9090", "-h", "/www"]}
---
apiVersion: v1
kind: Pod
metadata: {name: command}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: skiff-test/web:v1
    command: ["/bin/sh", "-c"]
    args: ['echo "image=$SKIFF_TEST_IMAGE cwd=$(pwd) user=$(id -u) arg=$0"', "$(GREETING)"]
    env: [{name: GREETING, value: hello}]
`);
    await cluster.k('wait', '--for=condition=Ready', 'pod/args', '--timeout=60s');
    const ip = (await cluster.k('get', 'pod', 'args', '-o', 'jsonpath={.status.podIP}')).trim();
    await cluster.assertRouted(ip);
    assert.equal(await get(`http://${ip}:9090/`), 'v1\n', 'args replaced Cmd (port 9090), the entrypoint stayed httpd');
    assert.equal((await run('curl', ['-s', '--max-time', '2', '-o', '/dev/null', '-w', '%{http_code}', `http://${ip}:8080/`])).stdout, '000', 'nothing on the image\'s default port');
    const phase = await waitFor('the command pod completes', async () => {
      const p = (await cluster.k('get', 'pod', 'command', '-o', 'jsonpath={.status.phase}')).trim();
      return p === 'Succeeded' || p === 'Failed' ? p : undefined;
    }, 60_000);
    assert.equal(phase, 'Succeeded', await cluster.k('describe', 'pod', 'command'));
    assert.equal(await cluster.k('logs', 'command'), 'image=v1 cwd=/www user=0 arg=hello\n');
  });

  it('pulls from a registry with the pod\'s imagePullSecret, or the ServiceAccount\'s; without one: ErrImagePull, ImagePullBackOff', async (t) => {
    const why = registrySkipReason();
    if (why) return t.skip(why);
    registry = await startRegistry(path.join(dir, 'registry'), { netns: `skiff-${cluster.netns!.clusterName}-n1`, port: registryPort });
    await registry.push(`oci-archive:${archives.v2}`, 'team/web:v2');
    const image = `${registry.host}/team/web:v2`;
    const secret = await cluster.kubectl(['create', 'secret', 'docker-registry', 'regcred', `--docker-server=${registry.host}`, `--docker-username=${REGISTRY_USER}`, `--docker-password=${REGISTRY_PASSWORD}`]);
    assert.equal(secret.code, 0, secret.stderr);
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: nocreds}
spec:
  containers: [{name: web, image: "${image}"}]
`);
    await waitFor('ImagePullBackOff', async () => (/ImagePullBackOff|ErrImagePull/.test(await cluster.k('get', 'pod', 'nocreds')) ? true : undefined), 60_000);
    const events = await cluster.k('get', 'events', '--field-selector', 'involvedObject.name=nocreds');
    assert.match(events, new RegExp(`Failed to pull image "${image.replace(/\./g, '\\.')}": .*unauthorized: authentication required`));
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: withcreds}
spec:
  imagePullSecrets: [{name: regcred}]
  containers: [{name: web, image: "${image}"}]
`);
    await cluster.k('wait', '--for=condition=Ready', 'pod/withcreds', '--timeout=90s');
    const pulled = await cluster.k('get', 'events', '--field-selector', 'involvedObject.name=withcreds');
    assert.match(pulled, /Successfully pulled image ".*" in \d[\d.]*m?s \(\d[\d.]*m?s including waiting\)\. Image size: \d+ bytes\./);
    const ip = (await cluster.k('get', 'pod', 'withcreds', '-o', 'jsonpath={.status.podIP}')).trim();
    await cluster.assertRouted(ip);
    assert.equal(await get(`http://${ip}:8080/`), 'v2\n');
    // the ServiceAccount's imagePullSecrets, in a namespace of its own (the image is in the store now,
    // so pull it again with Always)
    await cluster.k('create', 'namespace', 'team');
    await cluster.kubectl(['create', 'secret', 'docker-registry', 'regcred', '-n', 'team', `--docker-server=${registry.host}`, `--docker-username=${REGISTRY_USER}`, `--docker-password=${REGISTRY_PASSWORD}`]);
    await waitFor('the default ServiceAccount', async () => ((await cluster.kubectl(['get', 'sa', 'default', '-n', 'team'])).code === 0 ? true : undefined));
    await cluster.k('patch', 'serviceaccount', 'default', '-n', 'team', '-p', '{"imagePullSecrets":[{"name":"regcred"}]}');
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: viasa, namespace: team}
spec:
  containers: [{name: web, image: "${image}", imagePullPolicy: Always}]
`);
    await cluster.k('wait', '--for=condition=Ready', 'pod/viasa', '-n', 'team', '--timeout=90s');
    assert.match(await cluster.k('get', 'events', '-n', 'team', '--field-selector', 'involvedObject.name=viasa'), /Successfully pulled image/);
  });
});
