/**
 * Issue 4's figures, side by side in one run: HTTP request rates (keep-alive and a new connection per request)
 * direct to a pod vs through a ClusterIP (the userspace proxy) vs through HAProxy in tcp mode over the same
 * backends; bulk throughput; cluster DNS queries per second; time from Ready to traffic.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run, type TestCluster } from '../test/support/cluster.js';
import { freePort } from '../test/support/ports.js';
import { apply, app, clusterIP, startBenchCluster, waitEndpoints, waitServing, type Endpoint } from './cluster.js';
import { benchReadyToTraffic } from './readiness.js';
import { median } from './stats.js';
import { Daemon, dnsperf, have, ratio, row, wrk, type WrkResult } from './tools.js';

const bulkMB = Number(process.env.SKIFF_BENCH_BULK_MB ?? 200);
const readyRounds = Number(process.env.SKIFF_BENCH_READY_ROUNDS ?? 7);

function haproxyConfig(frontends: Array<{ bind: string; servers: Endpoint[] }>): string {
  // One thread: the userspace proxy is one Node event loop, so this compares one core with one core.
  const lines = ['global', '  maxconn 4096', '  nbthread 1', 'defaults', '  mode tcp', '  timeout connect 2s', '  timeout client 60s', '  timeout server 60s'];
  frontends.forEach((f, i) => {
    lines.push(`frontend fe${i}`, `  bind ${f.bind}`, `  default_backend be${i}`, `backend be${i}`, '  balance roundrobin');
    f.servers.forEach((s, j) => lines.push(`  server s${j} ${s.ip}:${s.port}`));
  });
  return lines.join('\n') + '\n';
}

/** HAProxy in the foreground (-db) from a config in `dir`, answering on every frontend before it returns. */
async function startHaproxy(dir: string, frontends: Array<{ bind: string; servers: Endpoint[] }>): Promise<Daemon> {
  const cfg = join(dir, 'haproxy.cfg');
  await writeFile(cfg, haproxyConfig(frontends));
  const d = new Daemon('haproxy', ['-db', '-f', cfg]);
  try {
    for (const f of frontends) {
      const [h, p] = f.bind.split(':');
      await waitServing(h!, Number(p));
    }
  } catch (err) {
    await d.stop();
    throw new Error(`haproxy did not serve: ${(err as Error).message}\n${d.output}`);
  }
  return d;
}

interface Targets {
  direct: string;
  clusterIP: string;
  haproxy?: string;
}

async function httpRates(kind: string, t: Targets): Promise<void> {
  for (const close of [false, true]) {
    const mode = close ? 'new connection per request' : 'keep-alive';
    console.log(`\n[services] HTTP ${kind}, ${mode} (wrk -t2 -c50${close ? " -H 'Connection: close'" : ''})`);
    const direct = await wrk(t.direct, { close });
    console.log(row('direct to one pod', direct));
    const vip = await wrk(t.clusterIP, { close });
    console.log(row('ClusterIP (userspace proxy, 3 pods)', vip));
    let ha: WrkResult | undefined;
    if (t.haproxy) {
      ha = await wrk(t.haproxy, { close });
      console.log(row('HAProxy tcp mode (3 pods, nbthread 1)', ha));
    }
    console.log(`  ClusterIP/direct: ${ratio(vip, direct)}`);
    if (ha) console.log(`  ClusterIP/HAProxy: ${ratio(vip, ha)}`);
  }
}

/** A source of `bulkMB` MB per GET, written with backpressure from one reused 1 MiB buffer. */
async function bulkSource(host: string): Promise<{ server: Server; port: number }> {
  const chunk = Buffer.alloc(1 << 20, 'x');
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(bulkMB * chunk.length), 'content-type': 'application/octet-stream' });
    let left = bulkMB;
    const pump = () => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  const port = await freePort(host);
  await new Promise<void>((r) => server.listen(port, host, r));
  return { server, port };
}

/** MB/s of one transfer with curl (the median of 3); async, since the source runs in this process. */
async function transfer(url: string): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', url], { timeoutMs: 120_000 });
    const secs = (performance.now() - started) / 1000;
    const bytes = Number(r.stdout);
    if (r.code !== 0 || bytes !== bulkMB * (1 << 20)) throw new Error(`bulk transfer from ${url} failed: ${r.stderr} (${r.stdout} bytes)`);
    rates.push(bytes / (1 << 20) / secs);
  }
  return median(rates);
}

async function bulk(c: TestCluster, opts: { host: string; dir: string; haproxyBind?: string }): Promise<void> {
  const { host, haproxyBind } = opts;
  const src = await bulkSource(host);
  let haproxy: Daemon | undefined;
  try {
    if (haproxyBind) haproxy = await startHaproxy(opts.dir, [{ bind: haproxyBind, servers: [{ ip: host, port: src.port }] }]);
    await apply(c, [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bulk' }, spec: { ports: [{ port: 80, targetPort: src.port }] } },
      {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'bulk-1', labels: { 'kubernetes.io/service-name': 'bulk' } },
        addressType: 'IPv4', ports: [{ name: '', port: src.port, protocol: 'TCP' }], endpoints: [{ addresses: [host], conditions: { ready: true } }],
      },
    ]);
    const vip = await clusterIP(c, 'bulk');
    await waitServing(vip, 80);
    console.log(`\n[services] bulk: one ${bulkMB} MB HTTP body, curl, median of 3`);
    const direct = await transfer(`http://${host}:${src.port}/`);
    console.log(`direct                                       ${direct.toFixed(0).padStart(7)} MB/s`);
    const through = await transfer(`http://${vip}/`);
    console.log(`ClusterIP (userspace proxy)                  ${through.toFixed(0).padStart(7)} MB/s`);
    if (haproxyBind) {
      const ha = await transfer(`http://${haproxyBind}/`);
      console.log(`HAProxy tcp mode                             ${ha.toFixed(0).padStart(7)} MB/s`);
    }
    console.log(`  ClusterIP/direct: ${(through / direct).toFixed(2)}x throughput`);
  } finally {
    await haproxy?.stop();
    src.server.closeAllConnections();
    src.server.close();
  }
}

async function dns(c: TestCluster, dir: string): Promise<void> {
  if (!have('dnsperf', '[services] DNS')) return;
  const vip = await clusterIP(c, 'kube-dns', 'kube-system');
  const out = await c.k('get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json');
  const slices = (JSON.parse(out) as { items: Array<{ endpoints?: Array<{ addresses: string[] }>; ports?: Array<{ port: number; protocol: string }> }> }).items;
  const ep = slices.flatMap((s) => (s.endpoints ?? []).map((e) => ({ ip: e.addresses[0]!, port: s.ports?.find((p) => p.protocol === 'UDP')?.port })))[0];
  const queries = join(dir, 'queries.txt');
  const names = ['echo.default.svc.cluster.local', 'web.default.svc.cluster.local', 'kubernetes.default.svc.cluster.local', 'kube-dns.kube-system.svc.cluster.local'];
  await writeFile(queries, names.map((n) => `${n} A`).join('\n') + '\n');
  console.log('\n[services] cluster DNS, UDP, dnsperf -c4 -q100, 4 service names (A)');
  const through = await dnsperf(vip, queries);
  console.log(`kube-dns ClusterIP ${vip.padEnd(22)}    ${through.qps.toFixed(0).padStart(7)} q/s  avg ${through.avgLatency.toFixed(2)} ms, lost ${through.lost}`);
  if (ep?.port) {
    const direct = await dnsperf(ep.ip, queries, { port: ep.port });
    console.log(`DNS server endpoint ${`${ep.ip}:${ep.port}`.padEnd(21)}    ${direct.qps.toFixed(0).padStart(7)} q/s  avg ${direct.avgLatency.toFixed(2)} ms, lost ${direct.lost}`);
    console.log(`  ClusterIP/direct: ${(through.qps / direct.qps).toFixed(2)}x q/s, ${(through.avgLatency - direct.avgLatency >= 0 ? '+' : '')}${(through.avgLatency - direct.avgLatency).toFixed(2)} ms avg`);
  } else {
    console.log('DNS server endpoint: skipped (kube-dns has no UDP endpoint)');
  }
}

export async function benchServices(): Promise<void> {
  const haveWrk = have('wrk', '[services] HTTP request rates');
  const haveHaproxy = have('haproxy', '[services] HAProxy comparison');
  const haveCurl = have('curl', '[services] bulk');
  const { cluster: c, spare } = await startBenchCluster();
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-svc-'));
  let haproxy: Daemon | undefined;
  try {
    await apply(c, [...app('echo', { image: 'skiff/echo', port: 8080, replicas: 3 }), ...app('web', { image: 'nginx', port: 80, replicas: 3 })]);
    const echo = await waitEndpoints(c, 'echo', 3);
    const web = await waitEndpoints(c, 'web', 3);
    const echoVIP = await clusterIP(c, 'echo');
    const webVIP = await clusterIP(c, 'web');
    await waitServing(echoVIP, 80);
    await waitServing(webVIP, 80);
    const ha = { echo: `${spare(1)}:8080`, web: `${spare(1)}:8081`, bulk: `${spare(1)}:8082` };
    if (haveHaproxy) haproxy = await startHaproxy(dir, [{ bind: ha.echo, servers: echo }, { bind: ha.web, servers: web }]);
    console.log(`[services] 2 cores shared by wrk, skiff and the backends; ${echo.length} echo pods (Node), ${web.length} nginx pods`);
    if (haveWrk) await httpRates('echo pods (skiff/echo, Node http)', { direct: `http://${echo[0]!.ip}:${echo[0]!.port}/`, clusterIP: `http://${echoVIP}/`, haproxy: haproxy && `http://${ha.echo}/` });
    if (haveWrk) await httpRates('nginx pods (host nginx, 1 worker each)', { direct: `http://${web[0]!.ip}:${web[0]!.port}/`, clusterIP: `http://${webVIP}/`, haproxy: haproxy && `http://${ha.web}/` });
    await haproxy?.stop();
    haproxy = undefined;
    if (haveCurl) await bulk(c, { host: spare(2), dir, haproxyBind: haveHaproxy ? ha.bulk : undefined });
    await dns(c, dir);
    console.log('\n[services] readiness to traffic');
    await benchReadyToTraffic(c, readyRounds);
  } finally {
    await haproxy?.stop();
    await c.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
