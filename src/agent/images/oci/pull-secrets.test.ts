import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Secret } from 'kubernetes-types/core/v1.js';
import { insecureRegistry, registryCredentials } from './pull-secrets.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const dockerconfigjson = (auths: object): Secret => ({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } });

test('dockerconfigjson: the entry of the image registry, by host[:port]', () => {
  const s = dockerconfigjson({ '127.0.0.5:5000': { auth: b64('u:p') }, 'https://other.example/v2/': { username: 'x', password: 'y' } });
  assert.deepEqual(registryCredentials([s], '127.0.0.5:5000'), [{ auth: b64('u:p') }]);
  assert.deepEqual(registryCredentials([s], 'other.example'), [{ username: 'x', password: 'y' }]);
  assert.deepEqual(registryCredentials([s], '127.0.0.5:5001'), []);
});

test('Docker Hub keys match docker.io images; dockercfg secrets; globs one label deep, exact first', () => {
  const hub = dockerconfigjson({ 'https://index.docker.io/v1/': { auth: 'aHViOmh1Yg==' } });
  assert.deepEqual(registryCredentials([hub], 'docker.io'), [{ auth: 'aHViOmh1Yg==' }]);
  const cfg: Secret = { type: 'kubernetes.io/dockercfg', data: { '.dockercfg': b64(JSON.stringify({ '*.corp.example': { auth: 'Z2xvYg==' }, 'reg.corp.example': { auth: 'ZXhhY3Q=' } })) } };
  assert.deepEqual(registryCredentials([cfg], 'reg.corp.example'), [{ auth: 'ZXhhY3Q=' }, { auth: 'Z2xvYg==' }]);
  assert.deepEqual(registryCredentials([cfg], 'a.b.corp.example'), []);
});

test('malformed or other Secrets give no credentials', () => {
  const bad: Secret = { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64('{not json') } };
  const opaque: Secret = { type: 'Opaque', data: { '.dockerconfigjson': b64('{"auths":{"x":{"auth":"eA=="}}}') } };
  assert.deepEqual(registryCredentials([bad, opaque], 'x'), []);
});

test('loopback registries are reached without TLS', () => {
  assert.ok(insecureRegistry('127.0.0.5:5000'));
  assert.ok(insecureRegistry('localhost:5000'));
  assert.ok(!insecureRegistry('registry.example:5000'));
  assert.ok(!insecureRegistry('docker.io'));
});
