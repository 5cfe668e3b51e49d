/**
 * k3s' private registry configuration with the real skiff and kubectl in netns mode: registries.yaml
 * (`--private-registry`) mirrors a made-up registry host to a registry on the node's loopback, with its
 * rewrite and the credentials of `configs`; `--disable-default-registry-endpoint` keeps the pull of an image
 * no mirror has from ever reaching the registry itself (the harness' refusing `"*"` mirror answers).
 * Root only (skips with a message otherwise).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run, TestCluster } from '../support/cluster.js';
import { netnsSkipReason } from '../support/netns.js';
import { waitFor } from '../support/ports.js';
import { buildTestImages, testImageSkipReason, type TestImageArchives } from '../support/oci-image.js';
import { netnsRegistryPort, REGISTRY_PASSWORD, REGISTRY_USER, registrySkipReason, startRegistry, type TestRegistry } from '../support/registry.js';
import { REFUSED_REGISTRY } from '../support/registries.js';

const ociRuntime = ['crun', 'runc'].some((b) => ['/usr/bin', '/usr/sbin', '/usr/local/bin'].some((d) => fs.existsSync(path.join(d, b))));
const skip = (await netnsSkipReason()) ?? (await testImageSkipReason()) ?? registrySkipReason() ?? (ociRuntime ? undefined : 'no crun or runc installed');

describe('registries.yaml mirrors and --disable-default-registry-endpoint (netns, oci)', { skip }, () => {
  let cluster: TestCluster;
  let dir: string;
  let archives: TestImageArchives;
  let registry: TestRegistry | undefined;
  const port = netnsRegistryPort();
  const events = (pod: string) => cluster.k('get', 'events', '--field-selector', `involvedObject.name=${pod}`);

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-registries-e2e-'));
    archives = await buildTestImages(path.join(dir, 'images'));
    cluster = await TestCluster.start({
      network: 'netns',
      extraArgs: ['--container-runtime', 'oci', '--disable', 'traefik'],
      registries: {
        mirrors: { 'registry.example.test': { endpoint: [`http://127.0.0.1:${port}`], rewrite: { '^(.*)$': 'mirror/$1' } } },
        configs: { [`127.0.0.1:${port}`]: { auth: { username: REGISTRY_USER, password: REGISTRY_PASSWORD } } },
      },
    });
    await waitFor('a Ready node', async () => (await cluster.k('get', 'nodes')).includes(' Ready ') || undefined, 30_000);
    registry = await startRegistry(path.join(dir, 'registry'), { netns: `skiff-${cluster.netns!.clusterName}-n1`, port });
    await registry.push(`oci-archive:${archives.v1}`, 'mirror/busybox-http:v1');
  });
  after(async () => {
    await registry?.stop();
    await cluster?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs registry.example.test/busybox-http:v1 from its mirror, rewritten, with the auth of configs', async () => {
    assert.match(cluster.logs, /private registry configuration: .*registries\.yaml \(default registry endpoint disabled\)/);
    assert.equal(await cluster.k('run', 'mirrored', '--image=registry.example.test/busybox-http:v1'), 'pod/mirrored created\n');
    await cluster.k('wait', '--for=condition=Ready', 'pod/mirrored', '--timeout=90s');
    assert.match(await events('mirrored'), /Successfully pulled image "registry\.example\.test\/busybox-http:v1" in /);
    const ip = (await cluster.k('get', 'pod', 'mirrored', '-o', 'jsonpath={.status.podIP}')).trim();
    await cluster.assertRouted(ip);
    assert.equal((await run('curl', ['-s', '--max-time', '2', `http://${ip}:8080/`])).stdout, 'v1\n');
    // stored under the name the pod gave, whichever endpoint served it (as containerd stores it)
    const imageID = (await cluster.k('get', 'pod', 'mirrored', '-o', 'jsonpath={.status.containerStatuses[0].imageID}')).trim();
    assert.match(imageID, /^registry\.example\.test\/busybox-http@sha256:[0-9a-f]{64}$/);
  });

  it('an image no mirror has: ErrImagePull, ImagePullBackOff with the refusing mirror\'s error, never the registry itself', async () => {
    const image = 'ghcr.io/skiff-test/absent:v1';
    assert.equal(await cluster.k('run', 'unknown', `--image=${image}`), 'pod/unknown created\n');
    await waitFor('ImagePullBackOff', async () => (/ImagePullBackOff/.test(await cluster.k('get', 'pod', 'unknown')) ? true : undefined), 60_000);
    const ev = await events('unknown');
    const refused = REFUSED_REGISTRY.replace('http://', '').replace(/\./g, '\\.');
    // skopeo was sent to the mirror only: the error names its address, never ghcr.io's
    assert.match(ev, new RegExp(`Failed to pull image "${image}": [^\\n]*docker://${refused}/skiff-test/absent:v1[^\\n]*connection refused`));
    assert.doesNotMatch(ev.replaceAll(`"${image}"`, ''), /ghcr\.io/);
    assert.match(ev, /Error: ErrImagePull/);
    assert.match(ev, /Back-off pulling image "ghcr\.io\/skiff-test\/absent:v1"/);
  });
});
