/** pullImage from a real registry on loopback (Debian's docker-registry) with htpasswd auth. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OciImageStore } from './store.js';
import { buildTestImages, testImageSkipReason } from '../../../../test/support/oci-image.js';
import { REGISTRY_PASSWORD, REGISTRY_USER, registrySkipReason, startRegistry, type TestRegistry } from '../../../../test/support/registry.js';

const skip = (await testImageSkipReason()) ?? registrySkipReason();

describe('OciImageStore.pullImage from a loopback registry', { skip }, () => {
  let dir: string;
  let registry: TestRegistry;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-registry-'));
    const built = await buildTestImages(path.join(dir, 'build'));
    registry = await startRegistry(path.join(dir, 'registry'));
    await registry.push(`oci-archive:${built.v2}`, 'team/web:v2');
  });
  after(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('pulls and unpacks with the credentials; the name is the registry\'s', async () => {
    const store = new OciImageStore({ root: path.join(dir, 'store') });
    const img = await store.pullImage(`${registry.host}/team/web:v2`, { auth: { username: REGISTRY_USER, password: REGISTRY_PASSWORD }, insecure: true });
    assert.equal(img.ref, `${registry.host}/team/web:v2`);
    assert.equal(fs.readFileSync(path.join(img.rootfs, 'www/index.html'), 'utf8'), 'v2\n');
    assert.equal((await store.imageStatus(`${registry.host}/team/web@${img.digest}`))?.id, img.id);
    // the auth file went with the temp dir
    assert.deepEqual(fs.readdirSync(path.join(store.root, 'tmp')), []);
  });

  test('without or with wrong credentials: the registry\'s refusal, nothing stored', async () => {
    const store = new OciImageStore({ root: path.join(dir, 'refused') });
    await assert.rejects(store.pullImage(`${registry.host}/team/web:v2`, { insecure: true }), /unauthorized|authentication required/i);
    await assert.rejects(store.pullImage(`${registry.host}/team/web:v2`, { auth: { username: REGISTRY_USER, password: 'wrong' }, insecure: true }), /unauthorized|authentication required|invalid username\/password/i);
    await assert.rejects(store.pullImage(`${registry.host}/team/absent:v1`, { auth: { auth: Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64') }, insecure: true }), /manifest unknown|not found/i);
    assert.deepEqual(await store.listImages(), []);
  });

  test('registries.yaml: a mirror (with its rewrite and the auth of configs) serves a made-up registry\'s image', async () => {
    const store = new OciImageStore({ root: path.join(dir, 'mirrored'), registries: { disableDefaultEndpoint: true, config: {
      mirrors: { 'registry.example.test': { endpoint: [`http://${registry.host}`], rewrite: { '^(.*)$': 'team/$1' } } },
      configs: { [registry.host]: { auth: { username: REGISTRY_USER, password: REGISTRY_PASSWORD } } },
    } } });
    const img = await store.pullImage('registry.example.test/web:v2');
    assert.equal(img.ref, 'registry.example.test/web:v2');
    assert.equal(fs.readFileSync(path.join(img.rootfs, 'www/index.html'), 'utf8'), 'v2\n');
  });

  test('registries.yaml: a refused mirror with the default endpoint disabled fails with the mirror\'s error only', async () => {
    const store = new OciImageStore({ root: path.join(dir, 'refused-mirror'), registries: { disableDefaultEndpoint: true, config: { mirrors: { '*': { endpoint: ['http://127.0.0.1:1'] } } } } });
    const err = await store.pullImage('registry.example.test/web:v2').then(() => undefined, (e: Error) => e);
    assert.match(err?.message ?? '', /127\.0\.0\.1:1\/v2\/.*connection refused/);
    assert.doesNotMatch(err!.message, /example\.test/, 'never sent to the registry itself');
    assert.deepEqual(await store.listImages(), []);
  });

  test('registries.yaml configs give the registry\'s own credentials; the pod\'s imagePullSecrets win over them', async () => {
    const registries = { config: { configs: { [registry.host]: { auth: { username: REGISTRY_USER, password: REGISTRY_PASSWORD } } } } };
    const store = new OciImageStore({ root: path.join(dir, 'configs'), registries });
    assert.equal((await store.pullImage(`${registry.host}/team/web:v2`, { insecure: true })).ref, `${registry.host}/team/web:v2`);
    await assert.rejects(store.pullImage(`${registry.host}/team/web:v2`, { auth: { username: REGISTRY_USER, password: 'wrong' }, insecure: true }), /unauthorized|authentication required|invalid username\/password/i);
  });
});
