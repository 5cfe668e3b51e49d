import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import { findResource } from '../api/resources.js';
import { StatusError } from '../api/status.js';
import type { KubeObject } from '../api/types.js';
import { RestClient } from '../client/rest.js';
import { MemoryStore } from '../storage/memory.js';
import { createCA, createServingCert } from '../util/pki.js';
import { EventEmitter, once } from 'node:events';
import { Transport } from '../client/transport.js';
import { SkiffError } from '../util/errors.js';
import { ApiServer } from './api-server.js';
import { localConnector } from './local-request.js';
import { createApiWiring } from './wiring.js';

const namespaces = findResource('', 'v1', 'namespaces')!;
const services = findResource('', 'v1', 'services')!;
const configmaps = findResource('', 'v1', 'configmaps')!;

/** A real API server (memory store, the server's admission wiring) with one client in memory and one over HTTPS. */
async function serve(t: { after: (fn: () => Promise<void>) => void }) {
  const ca = await createCA('test-ca');
  const tls = await createServingCert({ ca, commonName: 'skiff', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
  const wiring = createApiWiring({ serviceCIDR: '10.43.0.0/16', nodePortRange: '30000-32767' });
  const api = new ApiServer({ store: new MemoryStore(), tls, tokens: ['secret'], strategies: wiring.strategies, hooks: wiring.hooks });
  await wiring.restore(api);
  const port = await api.listen(0, '127.0.0.1');
  api.setReady(true);
  const server = `https://127.0.0.1:${port}`;
  const local = new RestClient({ server, token: 'secret', caData: ca.certPem, local: api.localConnector() });
  const remote = new RestClient({ server, token: 'secret', caData: ca.certPem });
  t.after(async () => {
    local.close();
    remote.close();
    await api.close();
  });
  return { api, server, ca, local, remote };
}

test('an in-process client is authenticated by its token like any client', async (t) => {
  const { api, server, ca } = await serve(t);
  const intruder = new RestClient({ server, token: 'wrong', caData: ca.certPem, local: api.localConnector() });
  t.after(() => intruder.close());
  await assert.rejects(intruder.list(namespaces), (err: unknown) => err instanceof StatusError && err.status.code === 401 && err.status.reason === 'Unauthorized');
});

test('in memory and over HTTPS a client sees the same objects, admission and errors', async (t) => {
  const { local, remote } = await serve(t);
  await local.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } });
  const made = await local.create<Service & KubeObject>(services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'ns1' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
  // the allocation admission plugin ran: a ClusterIP from the service CIDR
  assert.match(made.spec?.clusterIP ?? '', /^10\.43\./);
  assert.deepEqual(await local.get(services, { namespace: 'ns1', name: 'web' }), await remote.get(services, { namespace: 'ns1', name: 'web' }));
  await assert.rejects(local.get(services, { namespace: 'ns1', name: 'nope' }), (err: unknown) => err instanceof StatusError && err.status.code === 404 && err.status.reason === 'NotFound');
  await assert.rejects(
    local.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'missing' } }),
    (err: unknown) => err instanceof StatusError && err.status.code === 404 && /namespaces "missing" not found/.test(err.message),
  );
  await assert.rejects(
    local.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name', namespace: 'ns1' } }),
    (err: unknown) => err instanceof StatusError && err.status.code === 422 && err.status.reason === 'Invalid',
  );
  const list = await local.list(services, { namespace: 'ns1' });
  assert.deepEqual(list.items.map((s) => s.metadata.name), ['web']);
});

test('an in-process watch streams events and ends when its client stops it', async (t) => {
  const { api, local } = await serve(t);
  await local.create(namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1' } });
  let open = 0;
  api['server'].prependListener('request', (req: { url?: string }, res: { once(e: string, f: () => void): void }) => {
    if (req.url?.includes('watch=true')) {
      open++;
      res.once('close', () => open--);
    }
  });
  const abort = new AbortController();
  const events = local.watch(configmaps, { namespace: 'ns1', signal: abort.signal });
  const seen: string[] = [];
  const reading = (async () => {
    for await (const ev of events) {
      seen.push(`${ev.type} ${ev.object.metadata.name}`);
      if (seen.length === 2) abort.abort();
    }
  })();
  for (const name of ['a', 'b']) await local.create(configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns1' } });
  await reading;
  assert.deepEqual(seen, ['ADDED a', 'ADDED b']);
  // the server side of the stream closed with the client's abort, as a closed connection would
  for (let i = 0; open > 0 && i < 100; i++) await new Promise((r) => setImmediate(r));
  assert.equal(open, 0);
});

test('a request whose deadline fires before the server answers rejects, and nothing is left to crash the process', async () => {
  // a server that has not got to the request yet (as every request in flight when the process was stopped)
  const silent = new EventEmitter();
  let handed: { destroyed: boolean } | undefined;
  silent.on('request', (_req, res: { destroyed: boolean }) => (handed = res));
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(), 20);
    const pending = localConnector(silent).request({ method: 'GET', path: '/api/v1/namespaces', headers: {}, signal: deadline.signal });
    await assert.rejects(pending, { name: 'AbortError' });
    await new Promise((r) => setTimeout(r, 50)); // the body's destroy emits on a later tick
    assert.deepEqual(uncaught, []);
    assert.ok(handed, 'the server got the request');
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});

test('an in-process request past the client deadline fails as RequestTimeout, and its response is dropped', { timeout: 10_000 }, async () => {
  const silent = new EventEmitter();
  let handed: (EventEmitter & { destroyed: boolean }) | undefined;
  silent.on('request', (_req, res: EventEmitter & { destroyed: boolean }) => (handed = res));
  const transport = new Transport({ server: 'https://127.0.0.1:1', token: 't', timeoutMs: 30, local: localConnector(silent) });
  await assert.rejects(transport.json({ method: 'GET', path: '/api/v1/namespaces' }), (err: unknown) => err instanceof SkiffError && err.code === 'RequestTimeout' && /no response within 30ms/.test(err.message));
  assert.ok(handed, 'the server got the request');
  if (!handed.destroyed) await once(handed, 'close');
  assert.equal(handed.destroyed, true);
});
