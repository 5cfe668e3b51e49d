/**
 * The oci container runtime as a user sees it (issue 11): in a netns cluster (default runtime there:
 * oci), a pod of an imported image runs in its own filesystem (`kubectl exec … cat /etc/os-release` is
 * the image's), a container that ignores SIGTERM is killed at the grace period with exit code 137, and a
 * container over its memory limit is OOMKilled where cgroups allow. Root only (skips with a message).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { imageStoreDir, openImageStore } from '../../src/agent/images/oci/store.js';
import { detectCgroups } from '../../src/agent/runtime/oci/cgroups.js';
import { findOciBinary } from '../../src/agent/runtime/oci/cli.js';
import { TestCluster } from '../support/cluster.js';
import { netnsSkipReason } from '../support/netns.js';
import { buildTestImages, TEST_IMAGE, testImageSkipReason } from '../support/oci-image.js';
import { waitFor } from '../support/ports.js';

const skip = (await netnsSkipReason()) ?? (findOciBinary() ? undefined : 'neither crun nor runc is installed') ?? (await testImageSkipReason());
const IMAGE = `${TEST_IMAGE}:v1`;

describe('the oci container runtime in a netns cluster', { skip }, () => {
  let cluster: TestCluster;
  let dir: string;
  const jsonpath = async (pod: string, expr: string) => (await cluster.k('get', 'pod', pod, '-o', `jsonpath=${expr}`)).trim();

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-oci-e2e-'));
    const archives = await buildTestImages(path.join(dir, 'images'));
    cluster = await TestCluster.start({ network: 'netns' });
    // as `skiff image import` would: into the store the nodes share under the data dir
    await openImageStore({ root: imageStoreDir(cluster.dataDir) }).importArchive(archives.v1);
    await waitFor('a Ready node', async () => ((await cluster.k('get', 'nodes', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}')).trim() === 'True' ? true : undefined), 30_000);
  });
  after(async () => {
    await cluster?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('says at start-up that it runs containers with the oci runtime', async () => {
    await waitFor('the runtime line', () => (cluster.logs.includes('container runtime: oci') ? true : undefined), 10_000);
  });

  it("runs `kubectl exec` inside the container's filesystem: /etc/os-release is the image's", async () => {
    await cluster.k('run', 'web', `--image=${IMAGE}`, '--image-pull-policy=Never');
    await waitFor('web running', async () => ((await jsonpath('web', '{.status.containerStatuses[0].state.running.startedAt}')) ? true : undefined), 60_000);
    const r = await cluster.kubectl(['exec', 'web', '--', 'cat', '/etc/os-release']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME="skiff test image"$/m);
    assert.match(r.stdout, /^VERSION_ID=v1$/m);
    assert.notEqual(r.stdout, fs.readFileSync('/etc/os-release', 'utf8'));
    assert.match(await jsonpath('web', '{.status.containerStatuses[0].imageID}'), /@sha256:[0-9a-f]{64}$/);
  });

  it('kills a container that ignores SIGTERM at the grace period: exit code 137', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: ${IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, "trap 'echo term-ignored' TERM; echo started; while true; do sleep 0.2; done"]
    livenessProbe: {exec: {command: [sh, -c, "exit 1"]}, initialDelaySeconds: 1, periodSeconds: 1, failureThreshold: 1}
`;
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
    const code = await waitFor('a terminated lastState', async () => (await jsonpath('stubborn', '{.status.containerStatuses[0].lastState.terminated.exitCode}')) || undefined, 60_000);
    assert.equal(code, '137', await jsonpath('stubborn', '{.status.containerStatuses[0].lastState.terminated.message}'));
    const started = Date.parse(await jsonpath('stubborn', '{.status.containerStatuses[0].lastState.terminated.startedAt}'));
    const finished = Date.parse(await jsonpath('stubborn', '{.status.containerStatuses[0].lastState.terminated.finishedAt}'));
    assert.ok(finished - started >= 3000, `killed only after the probe (>= 1 s) and the grace period (2 s): ran ${finished - started} ms`);
    const logs = await cluster.kubectl(['logs', 'stubborn', '--previous']);
    assert.match(logs.stdout, /term-ignored/, 'SIGTERM reached it (and it ignored it)');
  });

  it('OOMKills a container over its memory limit', async (t) => {
    const cg = detectCgroups();
    if (!cg.limits) return t.skip(`no cgroup limits on this machine: ${cg.summary}`);
    const manifest = `apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: ${IMAGE}
    imagePullPolicy: Never
    command: [sh, -c, "x=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; while true; do x=$x$x; done"]
    resources: {limits: {memory: 32Mi}}
`;
    const r = await cluster.kubectl(['apply', '-f', '-'], { input: manifest });
    assert.equal(r.code, 0, r.stderr);
    const term = await waitFor('hog terminated', async () => (await jsonpath('hog', '{.status.containerStatuses[0].state.terminated.reason}/{.status.containerStatuses[0].state.terminated.exitCode}')).replace(/^\/$/, '') || undefined, 60_000);
    assert.equal(term, 'OOMKilled/137', await jsonpath('hog', '{.status.containerStatuses[0].state.terminated.message}'));
  });
});
