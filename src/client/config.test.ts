import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFromKubeconfig } from './config.js';

const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const kubeconfig = `
apiVersion: v1
kind: Config
current-context: skiff
clusters:
- name: skiff
  cluster:
    server: https://127.0.0.1:6443/
    certificate-authority-data: ${Buffer.from(pem).toString('base64')}
- name: other
  cluster:
    server: https://127.0.0.2:6443
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: abc123
contexts:
- name: skiff
  context: { cluster: skiff, user: admin, namespace: shop }
- name: other
  context: { cluster: other, user: admin }
`;

test('kubeconfig: current context, CA data, token, namespace', () => {
  const c = configFromKubeconfig(kubeconfig, { userAgent: 'ua' });
  assert.deepEqual(c, { server: 'https://127.0.0.1:6443', token: 'abc123', caData: pem, insecureSkipTLSVerify: false, userAgent: 'ua', namespace: 'shop' });
  const o = configFromKubeconfig(kubeconfig, { context: 'other' });
  assert.equal(o.server, 'https://127.0.0.2:6443');
  assert.equal(o.insecureSkipTLSVerify, true);
  assert.throws(() => configFromKubeconfig(kubeconfig, { context: 'nope' }), /context "nope" does not exist/);
});
