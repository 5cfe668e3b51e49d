import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { findResource } from '../api/resources.js';
import { isStatusError } from '../api/status.js';
import { createCA, createServingCert } from '../util/pki.js';
import { RestClient, resourcePath } from './rest.js';
import { FakeApiServer, startFakeApiServer } from './testing/fake-apiserver.js';

const pods = findResource('', 'v1', 'pods')!;
const namespaces = findResource('', 'v1', 'namespaces')!;
const deployments = findResource('apps', 'v1', 'deployments')!;

test('resource paths for core, named groups, cluster scope and subresources', () => {
  assert.equal(resourcePath(pods, { namespace: 'a' }), '/api/v1/namespaces/a/pods');
  assert.equal(resourcePath(pods), '/api/v1/pods');
  assert.equal(resourcePath(deployments, { namespace: 'a', name: 'web', subresource: 'scale' }), '/apis/apps/v1/namespaces/a/deployments/web/scale');
  assert.equal(resourcePath(namespaces, { namespace: 'ignored', name: 'shop', subresource: 'finalize' }), '/api/v1/namespaces/shop/finalize');
});

test('HTTPS with the CA in PEM: verified against the CA, rejected without it', async (t) => {
  const ca = await createCA('skiff-test-ca');
  const serving = await createServingCert({ ca, commonName: 'apiserver', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  const server = new FakeApiServer({ tls: { cert: serving.certPem, key: serving.keyPem } });
  await server.start();
  const good = new RestClient({ server: server.url, token: 'tok', caData: ca.certPem });
  const bad = new RestClient({ server: server.url, token: 'tok' });
  t.after(async () => {
    good.close();
    bad.close();
    await server.stop();
  });
  assert.match(server.url, /^https:/);
  const created = await good.create(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name: 'p' } });
  assert.equal(created.metadata.name, 'p');
  assert.equal(server.requests[0].authorization, 'Bearer tok');
  await assert.rejects(bad.get(pods, { namespace: 'default', name: 'p' }), /self[- ]signed|unable to verify|certificate/i);
});

test('listAll follows continue tokens; patch content types; apply needs a fieldManager', async (t) => {
  const { server, client } = await startFakeApiServer(t);
  for (let i = 0; i < 7; i++) server.put(pods, { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name: `p${i}` } });
  const all = await client.listAll(pods, { namespace: 'default', limit: 3 });
  assert.equal(all.items.length, 7);
  assert.equal(all.metadata.continue, undefined);
  assert.equal(server.requests.length, 3);
  assert.throws(() => client.patch(pods, { namespace: 'default', name: 'p0', type: 'apply', patch: {} }), /fieldManager/);
});

test('non-Status error bodies and hung servers become typed errors', async (t) => {
  let hang = false;
  const srv = http.createServer((req, res) => {
    if (hang) return; // never answer
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('upstream sleeping');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const client = new RestClient({ server: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, token: 't', timeoutMs: 100 });
  t.after(async () => {
    client.close();
    srv.closeAllConnections();
    await new Promise((r) => srv.close(r));
  });
  await assert.rejects(client.get(pods, { namespace: 'a', name: 'b' }), (err) => isStatusError(err, 'ServiceUnavailable') && err.message === 'upstream sleeping' && err.status.code === 503);
  hang = true;
  await assert.rejects(client.get(pods, { namespace: 'a', name: 'b' }), (err) => (err as { code?: string }).code === 'RequestTimeout');
});
