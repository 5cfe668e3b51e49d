// Bad input never gets a 500: a seeded, bounded fuzz of every resource and verb against the real server.
// Asserts no 5xx, every error body a Status, the server still up, and nothing stored before the run changed.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import type { ResourceInfo } from '../../src/api/resources.js';
import { TestCluster } from '../support/cluster.js';
import { baseManifest, fuzzRequest, fuzzResources, Gen, type FuzzRequest, type Target } from '../support/fuzz.js';
import { apiOnly } from '../support/kubectl.js';
import { waitFor } from '../support/ports.js';

const SEED = Number(process.env.SKIFF_FUZZ_SEED ?? 1313);
const REQUESTS = Number(process.env.SKIFF_FUZZ_REQUESTS ?? 3000);
const CONCURRENCY = 8;

interface Answer {
  code: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

describe('fuzzed API requests', () => {
  let cluster: TestCluster;
  let agent: Agent;
  let token: string;

  before(async () => {
    cluster = await TestCluster.start(apiOnly());
    token = await cluster.token();
    agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, rejectUnauthorized: false });
  });
  after(async () => {
    agent?.destroy();
    await cluster?.destroy();
  });

  function send(r: Pick<FuzzRequest, 'method' | 'path' | 'query' | 'contentType' | 'body'>, opts: { stream?: boolean } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
      if (r.contentType !== undefined && r.body !== undefined) headers['Content-Type'] = r.contentType;
      if (r.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(r.body));
      const req = request({ host: '127.0.0.1', port: cluster.port, method: r.method, path: r.query ? `${r.path}?${r.query}` : r.path, headers, agent }, (res) => {
        if (opts.stream && res.statusCode === 200) {
          // a watch that started: its headers are the answer; the stream is cut here
          res.destroy();
          resolve({ code: 200, body: '', headers: res.headers });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      });
      req.setTimeout(15_000, () => req.destroy(new Error(`no answer in 15 s: ${r.method} ${r.path}?${r.query}`)));
      req.on('error', reject);
      req.end(r.body);
    });
  }

  const collection = (info: ResourceInfo, ns: string) =>
    `${info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`}${info.namespaced ? `/namespaces/${ns}` : ''}/${info.resource}`;

  async function create(info: ResourceInfo, ns: string, name: string): Promise<boolean> {
    const a = await send({ method: 'POST', path: collection(info, ns), query: '', contentType: 'application/json', body: JSON.stringify(baseManifest(info, name)) });
    return a.code === 201;
  }

  /** What must not change: identity and desired state of every object (status and bookkeeping excluded). */
  async function fingerprints(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const info of fuzzResources) {
      if (info.kind === 'Event' || info.kind === 'Lease') continue;
      const a = await send({ method: 'GET', path: collection(info, '').replace('/namespaces/', ''), query: '' });
      assert.equal(a.code, 200, `list ${info.resource}: ${a.body}`);
      for (const o of (JSON.parse(a.body) as { items: Array<Record<string, unknown> & { metadata: Record<string, unknown> }> }).items) {
        // fuzzed objects, and what controllers keep inside the fuzzed namespace fz-target-namespaces (its default
        // ServiceAccount and kube-root-ca.crt, gone when the fuzz deletes that namespace)
        if (o.metadata.namespace === 'fuzz' || String(o.metadata.namespace ?? '').startsWith('fz') || String(o.metadata.name).startsWith('fz')) continue;
        const { metadata: m, status: _s, ...rest } = o;
        // the node lifecycle controller taints nodes without a kubelet
        if (info.kind === 'Node') delete (rest.spec as { taints?: unknown } | undefined)?.taints;
        out.set(`${info.resource}/${m.namespace ?? ''}/${m.name}`, JSON.stringify({ uid: m.uid, labels: m.labels, finalizers: m.finalizers, deletionTimestamp: m.deletionTimestamp, rest }));
      }
    }
    return out;
  }

  it('answers a few thousand mutated requests over every resource and verb with 4xx Status, never 5xx', async () => {
    for (const ns of ['fuzz', 'fuzz-keep']) assert.ok(await create(fuzzResources.find((r) => r.kind === 'Namespace')!, '', ns), `namespace ${ns}`);
    const targets: Target[] = [];
    for (const info of fuzzResources) {
      const name = info.namespaced ? 'fuzz-target' : `fz-target-${info.resource}`;
      const keep = info.namespaced ? 'fuzz-keep' : `fuzz-keep-${info.resource}`;
      targets.push({ info, namespace: 'fuzz', name });
      await create(info, 'fuzz', name);
      if (await create(info, 'fuzz-keep', keep)) targets.push({ info, namespace: 'fuzz-keep', name: keep, keep: true });
    }
    assert.ok(targets.filter((t) => t.keep).length >= 10, 'objects to keep were created');
    // Endpoints named after a Service with a selector are the Endpoints controller's: it replaces the test's
    // subsets (no pod matches) on its own schedule, so the snapshot waits until it has
    await waitFor('the Endpoints controller has reconciled Service fuzz-keep', async () => {
      const r = await send({ method: 'GET', path: '/api/v1/namespaces/fuzz-keep/endpoints/fuzz-keep', query: '' });
      return r.code === 200 && !(JSON.parse(r.body) as { subsets?: unknown[] }).subsets?.length ? true : undefined;
    });
    const before = await fingerprints();

    const g = new Gen(SEED);
    const requests = Array.from({ length: REQUESTS }, (_, i) => fuzzRequest(g, g.pick(targets), i));
    const failures: string[] = [];
    const codes = new Map<number, number>();
    let nextIndex = 0;
    const started = Date.now();
    const worker = async () => {
      for (;;) {
        const i = nextIndex++;
        if (i >= requests.length) return;
        const r = requests[i]!;
        const what = `#${i} ${r.method} ${r.path}?${r.query} [${r.contentType}] ${(r.body ?? '').slice(0, 160)}`;
        let a: Answer;
        try {
          a = await send(r, { stream: r.query.includes('watch=1') });
        } catch (err) {
          failures.push(`${what}: ${(err as Error).message}`);
          continue;
        }
        codes.set(a.code, (codes.get(a.code) ?? 0) + 1);
        const tooLarge = a.code === 504 && a.body.includes('"ResourceVersionTooLarge"');
        if (a.code >= 500 && !tooLarge) failures.push(`${what}: ${a.code} ${a.body.slice(0, 300)}`);
        if (a.code >= 400) {
          let status: { kind?: string; status?: string; code?: number } | undefined;
          try {
            status = JSON.parse(a.body) as typeof status;
          } catch {
            status = undefined;
          }
          if (status?.kind !== 'Status' || status.status !== 'Failure' || status.code !== a.code) failures.push(`${what}: ${a.code} is not a Status: ${a.body.slice(0, 300)}`);
          if (a.code === 504 && !a.headers['retry-after']) failures.push(`${what}: 504 without Retry-After`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (Date.now() - started) / 1000;
    console.log(`fuzz: ${REQUESTS} requests (seed ${SEED}) in ${seconds.toFixed(1)} s; codes ${JSON.stringify(Object.fromEntries([...codes].sort((a, b) => a[0] - b[0])))}`);
    assert.deepEqual(failures.slice(0, 40), [], `${failures.length} bad answers`);

    const ready = await send({ method: 'GET', path: '/readyz', query: '' });
    assert.equal(ready.code, 200, 'the server is still up');
    const afterRun = await fingerprints();
    const changed = [...before].filter(([k, v]) => afterRun.get(k) !== v).map(([k]) => k);
    assert.deepEqual(changed, [], 'objects stored before the run are unchanged');
    // a polluted prototype would show on any fresh object
    const probe = await send({ method: 'POST', path: '/api/v1/namespaces/fuzz-keep/configmaps', query: '', contentType: 'application/json', body: '{"metadata":{"name":"probe"}}' });
    assert.equal(probe.code, 201, probe.body);
    assert.ok(!probe.body.includes('polluted'), probe.body);
  });
});
