import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeObject, encodeObject, setValueTransformer } from './codec.js';
import { newEncryptionConfig, transformerFor } from './encryption.js';

describe('encryption at rest (aescbc, as kube-apiserver)', () => {
  it('Secrets are stored as k8s:enc:aescbc:v1:<key>: + IV + ciphertext and read back; other kinds stay plain', (t) => {
    const config = newEncryptionConfig(Date.parse('2026-12-03T06:00:00Z'));
    assert.equal(config.resources[0]!.providers[0]!.aescbc!.keys[0]!.name, 'aescbckey-20261203T060000Z');
    assert.equal(Buffer.from(config.resources[0]!.providers[0]!.aescbc!.keys[0]!.secret, 'base64').length, 32);
    const plainSecret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', resourceVersion: '3' }, data: { password: 'aHVudGVyMg==' } };
    const before = encodeObject(plainSecret);
    setValueTransformer(transformerFor(config));
    t.after(() => setValueTransformer(undefined));
    const stored = Buffer.from(encodeObject(plainSecret));
    assert.ok(stored.subarray(0, 18).toString() === 'k8s:enc:aescbc:v1:');
    assert.ok(stored.toString('latin1').startsWith('k8s:enc:aescbc:v1:aescbckey-20261203T060000Z:'));
    assert.ok(!stored.includes('aHVudGVyMg=='));
    const back = decodeObject({ key: '/registry/secrets/default/s', value: stored, modRevision: 9, createRevision: 9 } as never);
    assert.deepEqual(back.data, { password: 'aHVudGVyMg==' });
    assert.equal(back.metadata.resourceVersion, '9');
    // written before encryption was turned on: still readable (identity provider)
    assert.deepEqual(decodeObject({ key: '/registry/secrets/default/s', value: before, modRevision: 2, createRevision: 2 } as never).data, plainSecret.data);
    const cm = Buffer.from(encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } }));
    assert.equal(cm[0], 0x7b);
    // two writes of the same Secret differ (fresh IV)
    assert.ok(!stored.equals(Buffer.from(encodeObject(plainSecret))));
  });
});
