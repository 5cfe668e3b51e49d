// Issue 12 in netns mode: the web view's traffic comes from conntrack of the node netns and its rules
// panel from iptables-save -c there. A 2-node netns cluster with the view on a free port, seed 000's
// Deployment of 3 behind cl-service, 100 requests from the machine to the ClusterIP: each endpoint's
// counter in the page rises by its share (±50 %), the connections table names the pods, the rules panel
// shows KUBE-SVC-... with non-zero packet counters, no console errors. Then the same in nftables mode
// (1 node, 30 requests; the Service's chains of table ip kube-proxy). Screenshot paths are printed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromiumSkip, endpointTotals, get, launchChromium, type BrowserContext, type Page } from '../support/ui-page.js';
import { TestCluster } from '../support/cluster.js';
import { netnsSkipReason } from '../support/netns.js';
import { freePort, waitFor } from '../support/ports.js';

const seeds = resolve(import.meta.dirname, '..', 'fixtures', 'seeds');
const conntrack = ['/usr/sbin/conntrack', '/sbin/conntrack', '/usr/bin/conntrack'].some((p) => existsSync(p));
const skip = (await netnsSkipReason())
  ?? chromiumSkip
  ?? (conntrack ? false : 'conntrack is not installed (scripts/install-test-deps.sh installs it)');

interface View {
  cluster: TestCluster;
  browser: BrowserContext;
  page: Page;
  consoleErrors: string[];
  userDataDir: string;
}

/** A netns cluster with the view on a free port, seed 000's cl-service rolled out, the page open and live. */
async function openView(o: { nodes: number; extraArgs?: string[] }, v: Partial<View>): Promise<void> {
  const uiPort = await freePort();
  v.cluster = await TestCluster.start({ network: 'netns', nodes: o.nodes, extraArgs: ['--ui-port', String(uiPort), ...(o.extraArgs ?? [])] });
  const m = /Web view: (http:\/\/127\.0\.0\.1:\d+\/login#token=[0-9a-f]+)/.exec(v.cluster.logs);
  assert.ok(m, `skiff server printed no login URL:\n${v.cluster.logs}`);
  await v.cluster.k('apply', '-f', join(seeds, '000-clusterip.yaml'));
  await v.cluster.k('rollout', 'status', 'deployment/cluster-nginx-deployment', '--timeout=90s');
  ({ browser: v.browser, userDataDir: v.userDataDir } = await launchChromium('skiff-ui-netns-chromium-'));
  const page = (v.page = await v.browser.newPage());
  const errors = (v.consoleErrors = [] as string[]);
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(m[1]!);
  await page.waitForSelector('[data-testid=status]:has-text("live")');
}

async function closeView(v: Partial<View>): Promise<void> {
  await v.browser?.close();
  await v.cluster?.destroy();
  if (v.userDataDir) rmSync(v.userDataDir, { recursive: true, force: true });
}

/** Sends `count` requests (10 at a time) to cl-service's ClusterIP and waits for the page to count them all; the per-pod increases. */
async function sendAndCount(v: View, count: number): Promise<{ ip: string; shares: Array<readonly [string, number]> }> {
  const { page, cluster } = v;
  await page.click('[data-testid=svc-node][data-name="cl-service"]');
  await waitFor('3 ready endpoints of cl-service', async () => (await page.$$('[data-testid=endpoint-row]:not(.dim)')).length === 3 || undefined, 30_000);
  const ip = (await cluster.k('get', 'svc', 'cl-service', '-o', 'jsonpath={.spec.clusterIP}')).trim();
  await cluster.assertRouted(ip);
  const before = await endpointTotals(page);
  for (let i = 0; i < count; i += 10) {
    const codes = await Promise.all(Array.from({ length: 10 }, () => get(ip, 80)));
    assert.ok(codes.every((c) => c === 200), `statuses ${codes.join(',')}`);
  }
  const after = await waitFor(`the page to count ${count} more connections`, async () => {
    const now = await endpointTotals(page);
    const sum = [...now].reduce((a, [pod, t]) => a + t - (before.get(pod) ?? 0), 0);
    return sum >= count ? now : undefined;
  }, 10_000);
  const shares = [...after].map(([pod, t]) => [pod, t - (before.get(pod) ?? 0)] as const);
  assert.equal(shares.length, 3);
  assert.equal(shares.reduce((a, [, n]) => a + n, 0), count, `exactly the ${count} connections sent: ${JSON.stringify(shares)}`);
  const share = count / 3;
  for (const [pod, got] of shares) assert.ok(got >= share * 0.5 && got <= share * 1.5, `${pod} got ${got} of ${count} (expected ${share.toFixed(1)} ± 50 %)`);
  const named = await page.$$eval('[data-testid=conn-row]', (els) => els.map((e) => e.getAttribute('data-pod') ?? ''));
  for (const [pod] of shares) assert.ok(named.includes(pod), `connections table names ${pod}`);
  return { ip, shares };
}

async function screenshot(page: Page, name: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-ui-netns-shots-'));
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  process.stdout.write(`# screenshot: ${path}\n`);
}

describe('web view in netns mode (iptables): conntrack and kernel rule counters (issue 12)', { skip }, () => {
  const v: Partial<View> = {};
  before(() => openView({ nodes: 2 }, v));
  after(() => closeView(v));

  it('100 requests to the ClusterIP: endpoint counters from conntrack, pods named, KUBE-SVC counters', async () => {
    const { ip } = await sendAndCount(v as View, 100);
    const page = v.page!;
    const table = (await page.textContent('[data-testid=connections]')) ?? '';
    assert.match(table, /random \(iptables\)/);
    assert.ok(table.includes(`${ip}:80`), 'the dialled ClusterIP in the connections table');
    // the rules panel: kube-proxy's chains of this Service in the node netns, with the kernel's counters
    const rules = await waitFor('KUBE-SVC rules with non-zero packet counters', async () => {
      const text = (await page.textContent('[data-testid=rules-text]').catch(() => '')) ?? '';
      return /^\[[1-9]\d*:\d+\] -A KUBE-SVC-[A-Z0-9]+ /m.test(text) ? text : undefined;
    }, 10_000);
    assert.match(rules, /^:KUBE-SVC-[A-Z0-9]+ /m);
    assert.match(rules, /^\[[1-9]\d*:\d+\] -A KUBE-SEP-[A-Z0-9]+ .*-j DNAT --to-destination/m);
    assert.match(rules, /default\/cl-service/);
    assert.doesNotMatch(rules, /kube-system\/kube-dns/, 'only this Service\'s rules');
    const bytes = await page.$$eval('[data-testid=endpoint-row]', (els) => els.map((e) => e.querySelectorAll('td')[7]?.textContent ?? ''));
    assert.ok(bytes.every((b) => b !== '' && !/^0\s*B?$/.test(b.trim())), `bytes counted (conntrack accounting in the node netns): ${bytes.join(' | ')}`);
    await screenshot(page, 'netns-iptables-traffic');
  });

  it('sessionAffinity ClientIP: the recent-list rules appear, every request goes to one pod, marked affinity', async () => {
    const { cluster, page } = v as View;
    await cluster.k('patch', 'svc', 'cl-service', '-p', '{"spec":{"sessionAffinity":"ClientIP"}}');
    await waitFor('the recent-list check in the rules panel', async () => ((await page.textContent('[data-testid=rules-text]').catch(() => '')) ?? '').includes('--rcheck') || undefined, 15_000);
    const ip = (await cluster.k('get', 'svc', 'cl-service', '-o', 'jsonpath={.spec.clusterIP}')).trim();
    await cluster.assertRouted(ip);
    const before = await endpointTotals(page);
    for (let i = 0; i < 10; i++) assert.equal(await get(ip, 80), 200);
    const after = await waitFor('the page to count 10 more connections', async () => {
      const now = await endpointTotals(page);
      return [...now].reduce((a, [pod, t]) => a + t - (before.get(pod) ?? 0), 0) >= 10 ? now : undefined;
    }, 10_000);
    const got = [...after].map(([pod, t]) => [pod, t - (before.get(pod) ?? 0)] as const).filter(([, n]) => n > 0);
    assert.equal(got.length, 1, `one pod got them all: ${JSON.stringify(got)}`);
    assert.equal(got[0]![1], 10);
    // rows arrive with the next conntrack read, which may come after the counters moved
    const newest = async () => page.$$eval('[data-testid=conn-row]', (els) => els.slice(0, 10).map((e) => e.textContent ?? ''));
    const affinityRows = async () => (await newest()).filter((r) => r.includes('affinity')).length >= 9 || undefined;
    await waitFor('affinity named in the newest rows', affinityRows, 10_000).catch(async () => assert.fail(`affinity named in the newest rows:\n${(await newest()).join('\n')}`));
    await screenshot(page, 'netns-iptables-affinity');
  });

  it('logged no console errors', () => {
    assert.deepEqual(v.consoleErrors, []);
  });
});

describe('web view in netns mode (nftables): conntrack and the Service\'s nft chains (issue 12)', { skip }, () => {
  const v: Partial<View> = {};
  before(() => openView({ nodes: 1, extraArgs: ['--proxy-mode', 'nftables', '--disable', 'traefik'] }, v));
  after(() => closeView(v));

  it('30 requests to the ClusterIP: counters from conntrack, the Service\'s chains of table ip kube-proxy', async () => {
    await sendAndCount(v as View, 30);
    const page = v.page!;
    assert.match((await page.textContent('[data-testid=connections]')) ?? '', /random \(nftables\)/);
    const rules = await waitFor('the nft chains of cl-service', async () => {
      const text = (await page.textContent('[data-testid=rules-text]').catch(() => '')) ?? '';
      return /chain service-[A-Z0-9]+-default\/cl-service\/tcp\/http \{/.test(text) ? text : undefined;
    }, 10_000);
    assert.match(rules, /nft list table ip kube-proxy/);
    assert.match(rules, /chain endpoint-[A-Z0-9]+-default\/cl-service\/tcp\/http__[\d.]+\/80 \{[^}]*dnat to [\d.]+:80/);
    assert.doesNotMatch(rules, /kube-dns/, 'only this Service\'s chains');
    await screenshot(page, 'netns-nftables-traffic');
    assert.deepEqual(v.consoleErrors, []);
  });
});
