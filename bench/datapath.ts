/**
 * The userspace datapath alone (its own process, no API server beside it) over nginx backends, against
 * direct and HAProxy: isolates the proxy's own per-connection and per-byte cost from cluster noise.
 * SKIFF_BENCH_BASELINE_SRC=/path/to/other/src adds that tree's datapath, run interleaved with this one,
 * for before/after figures of a datapath change.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from '../test/support/cluster.js';
import { waitFor } from '../test/support/ports.js';
import { waitServing } from './cluster.js';
import { median } from './stats.js';
import { Daemon, have, ratio, row, wrk, type WrkResult } from './tools.js';

const bulkMB = Number(process.env.SKIFF_BENCH_BULK_MB ?? 200);
const here = import.meta.dirname;
const l7Host = 'bench.skiff.test';

function nginxConfig(dir: string, listens: string[]): string {
  return `user root;
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/cb;
  proxy_temp_path ${dir}/px;
  fastcgi_temp_path ${dir}/fc;
  uwsgi_temp_path ${dir}/uw;
  scgi_temp_path ${dir}/sc;
  server {
${listens.map((l) => `    listen ${l};`).join('\n')}
    location = / { return 200 "ok\\n"; }
    location = /bulk { alias ${dir}/bulk.bin; }
  }
}
`;
}

async function startDatapath(module: string, vip: string, backends: string[]): Promise<Daemon> {
  const d = new Daemon(process.execPath, ['--import', 'tsx', join(here, 'datapath-process.ts'), module, vip, ...backends]);
  await waitFor(`datapath ${module}`, () => (d.output.includes('ready') ? true : !d.running ? Promise.reject(new Error(d.output)) : undefined), 30_000);
  return d;
}

async function startIngress(src: string, listenIP: string, backends: string[]): Promise<{ d: Daemon; addr: string }> {
  const d = new Daemon(process.execPath, ['--import', 'tsx', join(here, 'ingress-process.ts'), src, listenIP, l7Host, ...backends]);
  const port = await waitFor(`ingress ${src}`, () => /ready (\d+)/.exec(d.output)?.[1] ?? (!d.running ? Promise.reject(new Error(d.output)) : undefined), 30_000);
  return { d, addr: `${listenIP}:${port}` };
}

/** nginx as the L7 comparison: one worker, upstream keep-alive, the forwarded headers ingress-nginx sets. */
function reverseProxyConfig(dir: string, listen: string, backends: string[]): string {
  return `user root;
worker_processes 1;
pid ${dir}/rp.pid;
error_log ${dir}/rp-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/rcb;
  proxy_temp_path ${dir}/rpx;
  fastcgi_temp_path ${dir}/rfc;
  uwsgi_temp_path ${dir}/ruw;
  scgi_temp_path ${dir}/rsc;
  upstream backends {
${backends.map((b) => `    server ${b};`).join('\n')}
    keepalive 64;
  }
  server {
    listen ${listen};
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-ID $request_id;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Scheme $scheme;
      proxy_set_header X-Scheme $scheme;
    }
  }
}
`;
}

/** Each proxy runs twice, interleaved (A B C, C B A), and the two runs are averaged. */
async function compare(label: string, direct: string, proxies: Array<{ name: string; addr: string }>, opts: { host?: string; baseline?: boolean }): Promise<void> {
  for (const close of [false, true]) {
    console.log(`\n[datapath] ${label}, ${close ? 'new connection per request' : 'keep-alive'} (wrk -t2 -c50${close ? " -H 'Connection: close'" : ''})`);
    const base = await wrk(`http://${direct}/`, { close, host: opts.host });
    console.log(row('direct to one backend', base));
    const first = new Map<string, WrkResult>();
    for (const p of proxies) first.set(p.name, await wrk(`http://${p.addr}/`, { close, host: opts.host }));
    const results = new Map<string, WrkResult>();
    for (const p of [...proxies].reverse()) results.set(p.name, mean(first.get(p.name)!, await wrk(`http://${p.addr}/`, { close, host: opts.host })));
    for (const p of proxies) console.log(row(p.name, results.get(p.name)!));
    for (const p of proxies) console.log(`  ${p.name}/direct: ${ratio(results.get(p.name)!, base)}`);
    // With a baseline tree, proxies[0] is the baseline and proxies[1] this tree: the before/after figure.
    if (opts.baseline) console.log(`  this tree/baseline: ${ratio(results.get(proxies[1]!.name)!, results.get(proxies[0]!.name)!)}`);
  }
}

async function transfer(url: string): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download}', url], { timeoutMs: 120_000 });
    if (r.code !== 0 || Number(r.stdout) !== bulkMB << 20) throw new Error(`bulk from ${url} failed: ${r.stderr}`);
    rates.push(bulkMB / ((performance.now() - t) / 1000));
  }
  return median(rates);
}

function mean(a: WrkResult, b: WrkResult): WrkResult {
  return { rps: (a.rps + b.rps) / 2, p50: (a.p50 + b.p50) / 2, p99: (a.p99 + b.p99) / 2, errors: a.errors + b.errors, requests: a.requests + b.requests };
}

export async function benchDatapath(): Promise<void> {
  if (!have('wrk', '[datapath]') || !have('nginx', '[datapath] backends')) return;
  const o = 2 + Math.floor(Math.random() * 39);
  const ip = (n: number) => `127.${o}.5.${n}`;
  const backends = [2, 3, 4].map((n) => `${ip(n)}:8080`);
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-dp-'));
  const daemons: Daemon[] = [];
  try {
    await run('truncate', ['-s', `${bulkMB}M`, join(dir, 'bulk.bin')]);
    await writeFile(join(dir, 'nginx.conf'), nginxConfig(dir, backends));
    daemons.push(new Daemon('nginx', ['-e', `${dir}/error.log`, '-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;']));
    for (const b of backends) await waitServing(b.split(':')[0]!, 8080);
    const proxies: Array<{ name: string; addr: string }> = [];
    const baseline = process.env.SKIFF_BENCH_BASELINE_SRC;
    if (baseline) {
      daemons.push(await startDatapath(resolve(baseline, 'proxy/userspace/datapath.ts'), `${ip(11)}:80`, backends));
      proxies.push({ name: `baseline datapath (${baseline})`, addr: `${ip(11)}:80` });
    }
    daemons.push(await startDatapath(join(here, '..', 'src', 'proxy', 'userspace', 'datapath.ts'), `${ip(10)}:80`, backends));
    proxies.push({ name: 'userspace datapath (this tree)', addr: `${ip(10)}:80` });
    if (have('haproxy', '[datapath] HAProxy comparison')) {
      const cfg = ['global', '  maxconn 4096', '  nbthread 1', 'defaults', '  mode tcp', '  timeout connect 2s', '  timeout client 60s', '  timeout server 60s',
        'frontend fe', `  bind ${ip(12)}:80`, '  default_backend be', 'backend be', '  balance roundrobin', ...backends.map((b, i) => `  server s${i} ${b}`)].join('\n');
      await writeFile(join(dir, 'haproxy.cfg'), cfg + '\n');
      daemons.push(new Daemon('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')]));
      await waitServing(ip(12), 80);
      proxies.push({ name: 'HAProxy tcp mode (nbthread 1)', addr: `${ip(12)}:80` });
    }
    console.log('[datapath] each proxy in its own process; 3 backends on one nginx (2 workers); 2 cores shared with wrk');
    await compare('L4 (TCP proxy)', backends[0]!, proxies, { baseline: !!baseline });
    console.log(`\n[datapath] bulk: one ${bulkMB} MB body from nginx (sendfile), curl, median of 3`);
    console.log(`direct                                        ${(await transfer(`http://${backends[0]}/bulk`)).toFixed(0).padStart(6)} MB/s`);
    for (const p of proxies) console.log(`${p.name.padEnd(45)} ${(await transfer(`http://${p.addr}/bulk`)).toFixed(0).padStart(6)} MB/s`);
    for (const d of daemons.splice(1).reverse()) await d.stop();
    const l7: Array<{ name: string; addr: string }> = [];
    if (baseline) {
      const b = await startIngress(resolve(baseline), ip(21), backends);
      daemons.push(b.d);
      l7.push({ name: `baseline ingress (${baseline})`, addr: b.addr });
    }
    const cur = await startIngress(join(here, '..', 'src'), ip(20), backends);
    daemons.push(cur.d);
    l7.push({ name: 'skiff ingress proxy (this tree)', addr: cur.addr });
    await writeFile(join(dir, 'rp.conf'), reverseProxyConfig(dir, `${ip(22)}:80`, backends));
    daemons.push(new Daemon('nginx', ['-e', `${dir}/rp-error.log`, '-p', dir, '-c', join(dir, 'rp.conf'), '-g', 'daemon off;']));
    await waitServing(ip(22), 80);
    l7.push({ name: 'nginx reverse proxy (1 worker)', addr: `${ip(22)}:80` });
    await compare(`L7 (HTTP proxy, Host: ${l7Host})`, backends[0]!, l7, { host: l7Host, baseline: !!baseline });
  } finally {
    for (const d of daemons.reverse()) await d.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
