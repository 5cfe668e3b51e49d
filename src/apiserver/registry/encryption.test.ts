import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findResource } from '../../api/resources.js';
import { MemoryStore } from '../../storage/memory.js';
import { FakeClock } from '../../util/clock.js';
import { decodeObject, encodeObject } from './codec.js';
import { newEncryptionConfig, transformerFor } from './encryption.js';
import { RestStorage } from './rest-storage.js';

describe('encryption at rest (aescbc, as kube-apiserver)', () => {
  it('Secrets are stored as k8s:enc:aescbc:v1:<key>: + IV + ciphertext and read back; other kinds stay plain', async () => {
    const config = newEncryptionConfig(Date.parse('2026-12-03T06:00:00Z'));
    assert.equal(config.resources[0]!.providers[0]!.aescbc!.keys[0]!.name, 'aescbckey-20261203T060000Z');
    assert.equal(Buffer.from(config.resources[0]!.providers[0]!.aescbc!.keys[0]!.secret, 'base64').length, 32);
    const plainSecret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', resourceVersion: '3' }, data: { password: 'aHVudGVyMg==' } };
    const before = encodeObject(plainSecret);
    const transformer = transformerFor(config);
    const stored = Buffer.from(encodeObject(plainSecret, transformer));
    assert.ok(stored.subarray(0, 18).toString() === 'k8s:enc:aescbc:v1:');
    assert.ok(stored.toString('latin1').startsWith('k8s:enc:aescbc:v1:aescbckey-20261203T060000Z:'));
    assert.ok(!stored.includes('aHVudGVyMg=='));
    const back = decodeObject({ key: '/registry/secrets/default/s', value: stored, modRevision: 9, createRevision: 9 } as never, transformer);
    assert.deepEqual(back.data, { password: 'aHVudGVyMg==' });
    assert.equal(back.metadata.resourceVersion, '9');
    // written before encryption was turned on: still readable (identity provider)
    assert.deepEqual(decodeObject({ key: '/registry/secrets/default/s', value: before, modRevision: 2, createRevision: 2 } as never, transformer).data, plainSecret.data);
    // two writes of the same Secret differ (fresh IV)
    assert.ok(!stored.equals(Buffer.from(encodeObject(plainSecret, transformer))));
    // the storages given the transformer: only the resources the config names are encrypted
    const store = new MemoryStore();
    const storage = (resource: string) => new RestStorage({ info: findResource('', 'v1', resource)!, store, clock: new FakeClock(), transformer });
    await storage('secrets').create('default', plainSecret);
    await storage('configmaps').create('default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } });
    assert.equal(Buffer.from((await store.get('/registry/secrets/default/s'))!.value).subarray(0, 18).toString(), 'k8s:enc:aescbc:v1:');
    assert.equal((await store.get('/registry/configmaps/default/c'))!.value[0], 0x7b);
    assert.deepEqual((await storage('secrets').get('default', 's')).data, plainSecret.data);
  });
});
