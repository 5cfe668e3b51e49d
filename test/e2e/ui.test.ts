// Issue 12: the web view in headless Chromium (playwright-core + Debian's chromium) against the real skiff
// server: the token gate, seed 000/002 objects on the map, 300 requests spread over the endpoints and
// named in the connections table, scaling 3 → 5 from the page, a DNS query in the DNS panel, the proxy's
// /metrics, and no console errors. Screenshots of each state go to a temp dir whose paths are printed.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import { WebSocket } from 'ws';
import { run, TestCluster } from '../support/cluster.js';
import { chromiumSkip, endpointTotals, get, launchChromium, type BrowserContext, type Page } from '../support/ui-page.js';
import { freePort, waitFor } from '../support/ports.js';

const seeds = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');
const skip = chromiumSkip ?? false;

describe('web view (issue 12)', { skip }, () => {
  let cluster: TestCluster;
  let browser: BrowserContext;
  let page: Page;
  let loginURL = '';
  let base = '';
  let shots = '';
  let userDataDir = '';
  const consoleErrors: string[] = [];
  let n = 0;
  const shot = async (name: string) => {
    const path = join(shots, `${String(++n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path, fullPage: true });
    process.stdout.write(`# screenshot: ${path}\n`);
  };

  before(async () => {
    const uiPort = await freePort();
    // the page's send-N-requests and traffic checks go through the server's userspace proxy (ui-netns.test.ts is the netns half)
    cluster = await TestCluster.start({ network: 'loopback', extraArgs: ['--ui-port', String(uiPort)] });
    const m = /Web view: (http:\/\/127\.0\.0\.1:\d+\/login#token=[0-9a-f]+)/.exec(cluster.logs);
    assert.ok(m, `skiff server printed no login URL:\n${cluster.logs}`);
    loginURL = m[1]!;
    base = `http://127.0.0.1:${uiPort}`;
    for (const f of ['000-clusterip.yaml', '000-nodeport.yaml', '000-loadbalancer.yaml', '002-deployment.yaml', '002-headless.yaml']) await cluster.k('apply', '-f', join(seeds, f));
    shots = mkdtempSync(join(tmpdir(), 'skiff-ui-shots-'));
    ({ browser, userDataDir } = await launchChromium('skiff-ui-chromium-'));
    page = await browser.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
  });

  after(async () => {
    await browser?.close();
    await cluster?.destroy();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('`skiff ui` prints the same login URL again', async () => {
    const r = await run(process.execPath, [join(resolve(import.meta.dirname, '..', '..'), 'bin', 'skiff.js'), 'ui', '--data-dir', cluster.dataDir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), loginURL);
  });

  it('refuses every request without the token', async () => {
    const other = await browser.newPage();
    const res = await other.goto(base + '/');
    assert.equal(res?.status(), 401);
    assert.match(await other.textContent('body') ?? '', /Unauthorized/);
    assert.equal(await other.$('[data-testid=status]'), null, 'the app must not load');
    await other.close();
    for (const path of ['/api/state', '/assets/app.js', '/api/traffic', '/api/services/default/cl-service']) {
      const r = await fetch(base + path);
      assert.equal(r.status, 401, path);
    }
    const bad = await fetch(base + '/api/state', { headers: { authorization: 'Bearer 00112233445566778899aabbccddeeff' } });
    assert.equal(bad.status, 401);
    const foreign = await fetch(base + '/api/state', { headers: { authorization: `Bearer ${loginURL.split('#token=')[1]}`, origin: 'http://evil.example' } });
    assert.equal(foreign.status, 403);
    const ws = new WebSocket(base.replace('http', 'ws') + '/api/ws');
    const status = await new Promise<number>((res) => {
      ws.on('unexpected-response', (_req, r) => res(r.statusCode ?? 0));
      ws.on('open', () => res(101));
      ws.on('error', () => undefined);
    });
    ws.terminate();
    assert.equal(status, 401);
  });

  it('loads with the token and shows the seed 000 and 002 objects', async () => {
    await page.goto(loginURL);
    await page.waitForSelector('[data-testid=status]:has-text("live")');
    assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');
    for (const name of ['cl-service', 'nginx-nodeport', 'lb-nginx', 'headless-service']) await page.waitForSelector(`[data-testid=svc-node][data-name="${name}"]`);
    await waitFor('11 pods on the map', async () => (await page.$$('[data-testid=pod-node]')).length >= 11 || undefined, 30_000);
    const pods = await page.$$eval('[data-testid=pod-node]', (els) => els.map((e) => e.getAttribute('data-name') ?? ''));
    for (const prefix of ['cluster-nginx-deployment-', 'lb-nginx-deployment-', 'webui-', 'pod-nginx']) assert.ok(pods.some((p) => p.startsWith(prefix)), `${prefix} in ${pods.join(' ')}`);
    await page.click('[data-testid=svc-node][data-name="headless-service"]');
    await page.waitForSelector('[data-testid=service-panel]:has-text("headless")');
    await waitFor('headless DNS records', async () => ((await page.textContent('[data-testid=service-panel]')) ?? '').includes('headless-service.default.svc.cluster.local.') || undefined);
    await shot('map');
  });

  it('300 requests to the ClusterIP spread over the endpoints, and the table names the pods', async () => {
    await page.click('[data-testid=svc-node][data-name="cl-service"]');
    await waitFor('3 ready endpoints of cl-service', async () => (await page.$$('[data-testid=endpoint-row]:not(.dim)')).length === 3 || undefined, 30_000);
    const before = await endpointTotals(page);
    const ip = (await cluster.k('get', 'svc', 'cl-service', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    assert.match(ip, /^127\./);
    for (let i = 0; i < 300; i += 10) {
      const codes = await Promise.all(Array.from({ length: 10 }, () => get(ip, 80)));
      assert.ok(codes.every((c) => c === 200), `statuses ${codes.join(',')}`);
    }
    const after = await waitFor('the page to count 300 more connections', async () => {
      const now = await endpointTotals(page);
      const sum = [...now].reduce((a, [pod, t]) => a + t - (before.get(pod) ?? 0), 0);
      return sum >= 300 ? now : undefined;
    }, 5000);
    const shares = [...after].map(([pod, t]) => [pod, t - (before.get(pod) ?? 0)] as const);
    assert.equal(shares.length, 3);
    for (const [pod, got] of shares) assert.ok(got >= 70 && got <= 130, `${pod} got ${got} of 300 (expected 100 ± 30 %)`);
    const named = await page.$$eval('[data-testid=conn-row]', (els) => els.map((e) => e.getAttribute('data-pod') ?? ''));
    for (const [pod] of shares) assert.ok(named.includes(pod), `connections table names ${pod}`);
    assert.match((await page.textContent('[data-testid=connections]')) ?? '', /random/);
    await shot('traffic');
    if (process.env.SKIFF_UI_DOC_SHOT) await page.screenshot({ path: process.env.SKIFF_UI_DOC_SHOT }); // the README's picture
    const metrics = await fetch(`http://${cluster.nodeIP}:10249/metrics`).then((r) => r.text());
    assert.match(metrics, /^kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]/m);
    assert.match(metrics, /^kubeproxy_sync_proxy_rules_last_timestamp_seconds \d/m);
    assert.match(metrics, /^skiff_proxy_endpoint_connections_total\{service_port_name="default\/cl-service:http",protocol="TCP",endpoint="[^"]+"\} \d+/m);
  });

  it('"send N requests" from the page with a pod as the source shows that pod as the client', async () => {
    const client = (await cluster.k('get', 'pod', 'pod-nginx', '-o', 'jsonpath={.status.podIP}')).trim();
    await page.fill('[data-testid=send-count]', '30');
    await page.selectOption('[data-testid=send-from]', 'default/pod-nginx');
    await page.click('[data-testid=send-button]');
    const result = await page.waitForSelector('[data-testid=send-result]', { timeout: 15_000 });
    assert.match((await result.textContent()) ?? '', /^30\/30 answered/);
    await waitFor('connections from pod-nginx in the table', async () => {
      const text = (await page.textContent('[data-testid=connections]')) ?? '';
      return text.includes(`${client}:`) && text.includes('pod-nginx') ? true : undefined;
    }, 3000);
  });

  // The "within 2 s" is a figure of bench/ui.ts (bench/ui-scale.ts: click → 5th endpoint, p50/max over
  // rounds); a timed assertion here would measure the machine. This asserts what the page then shows.
  it('scaling 3 → 5 from the page shows 5 endpoints', async () => {
    await page.fill('[data-testid=scale-input]', '5');
    await page.click('[data-testid=scale-button]');
    await waitFor('5 endpoint rows in the Service panel', async () => (await page.$$('[data-testid=endpoint-row]')).length === 5 || undefined, 30_000);
    await waitFor('5 ready endpoints', async () => (await page.$$('[data-testid=endpoint-row]:not(.dim)')).length === 5 || undefined, 30_000);
    await waitFor('5 pods of the Deployment on the map', async () => {
      const names = await page.$$eval('[data-testid=pod-node]', (els) => els.map((e) => e.getAttribute('data-name') ?? ''));
      return names.filter((n) => n.startsWith('cluster-nginx-deployment-')).length === 5 || undefined;
    });
    assert.equal((await cluster.k('get', 'deploy', 'cluster-nginx-deployment', '-o', 'jsonpath={.spec.replicas}')).trim(), '5');
    const shown = (await endpointTotals(page)).keys();
    const sliced = (await cluster.k('get', 'endpointslices', '-l', 'kubernetes.io/service-name=cl-service', '-o', 'jsonpath={.items[*].endpoints[*].targetRef.name}')).trim().split(/\s+/);
    assert.deepEqual([...shown].sort(), sliced.sort(), 'the page names the pods the EndpointSlices list');
    await shot('scaled');
  });

  it('a DNS query to cluster DNS appears in the DNS panel', async () => {
    const dnsIP = (await cluster.k('get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    assert.match(dnsIP, /^127\./);
    const ip = (await cluster.k('get', 'svc', 'cl-service', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    // from an address of the cluster's own block, so the panel must name that client (not the proxy's socket)
    const client = cluster.spare(7);
    const sock = createSocket('udp4');
    try {
      await new Promise<void>((res) => sock.bind(0, client, () => res()));
      const reply = new Promise<Buffer>((res) => sock.once('message', (m) => res(m)));
      sock.send(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'cl-service.default.svc.cluster.local' }] }), 53, dnsIP);
      const answer = dnsPacket.decode(await reply);
      assert.deepEqual(answer.answers?.map((a) => (a as { data: string }).data), [ip]);
    } finally {
      sock.close();
    }
    const row = await page.waitForSelector('[data-testid=dns-row][data-name="cl-service.default.svc.cluster.local"]', { timeout: 2000 });
    const text = (await row.textContent()) ?? '';
    assert.match(text, /NOERROR/);
    assert.ok(text.includes(ip), text);
    assert.ok(text.includes(`${client}:`), `the query's client ${client} in: ${text}`);
    const r = await run('dig', [`@${dnsIP}`, '-p', '53', '+tries=1', '+time=5', '+short', 'headless-service.default.svc.cluster.local', 'A']);
    assert.equal(r.stdout.trim().split('\n').length, 3, r.stdout + r.stderr);
    await page.waitForSelector('[data-testid=dns-row][data-name="headless-service.default.svc.cluster.local"]', { timeout: 2000 });
    await shot('dns');
  });

  it('deleting a pod from the page: the ReplicaSet replaces it', async () => {
    const pod = (await page.$$eval('[data-testid=endpoint-row]', (els) => els.map((e) => e.getAttribute('data-pod') ?? '')))[0]!;
    await page.click(`[data-testid=pod-node][data-name="${pod}"]`);
    await page.click('[data-testid=delete-pod]');
    await waitFor(`${pod} gone from the map`, async () => (await page.$(`[data-testid=pod-node][data-name="${pod}"]`)) === null || undefined, 30_000);
    await waitFor('5 cluster-nginx pods again', async () => {
      const names = await page.$$eval('[data-testid=pod-node]', (els) => els.map((e) => e.getAttribute('data-name') ?? ''));
      return names.filter((x) => x.startsWith('cluster-nginx-deployment-')).length === 5 || undefined;
    }, 30_000);
  });

  it('answers bad input with a Status, never a 500', async () => {
    const token = loginURL.split('#token=')[1]!;
    const call = async (path: string, body: string, type = 'application/json') => {
      const r = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
      return { status: r.status, body: (await r.json()) as { kind?: string; message?: string } };
    };
    const cases: Array<[string, string, number, RegExp, string?]> = [
      ['/api/actions/scale', '{"namespace":"default","name":"cluster-nginx-deployment","replicas":-1}', 400, /replicas: must be an integer/],
      ['/api/actions/scale', '{"namespace":"default","name":"nope","replicas":1}', 404, /deployments.apps "nope" not found/],
      ['/api/actions/scale', '{not json', 400, /invalid JSON body/],
      ['/api/actions/delete-pod', '{"namespace":"default","name":"Bad_Name"}', 400, /invalid name/],
      ['/api/actions/send', '{"namespace":"default","name":"headless-service","count":1}', 400, /no ClusterIP/],
      ['/api/actions/send', '{"namespace":"default","name":"cl-service","count":0}', 400, /count: must be/],
      ['/api/actions/scale', '{}', 415, /content-type/, 'text/plain'],
    ];
    for (const [path, body, status, message, type] of cases) {
      const r = await call(path, body, type);
      assert.equal(r.status, status, `${path} ${body}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.kind, 'Status');
      assert.match(r.body.message ?? '', message);
    }
    const missing = await fetch(base + '/api/services/default/nope', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(missing.status, 404);
  });

  it('logged no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
