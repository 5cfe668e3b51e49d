/**
 * Kernel datapaths side by side in one run (root only), in a namespace lab (src/proxy/kernel/lab.ts):
 * wrk keep-alive and new-connection req/s and a 200 MB transfer from the client netns, direct to the backend
 * netns vs ClusterIP via iptables vs nftables vs the userspace datapath (running in the node netns); then
 * endpoint change → rules programmed (p50/p99) at 100, 1,000 and 10,000 Services with fake endpoints,
 * and the full sync time at 10,000 Services.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceInfo } from '../src/proxy/conformance.js';
import { IptablesDatapath } from '../src/proxy/iptables/index.js';
import { canRunLab, DatapathLab } from '../src/proxy/kernel/lab.js';
import { NftablesDatapath } from '../src/proxy/nftables/index.js';
import type { Datapath, Endpoint, ProxyState, ServicePortInfo } from '../src/proxy/types.js';
import { run } from '../test/support/cluster.js';
import { waitFor } from '../test/support/ports.js';
import { fmt, median, percentile } from './stats.js';
import { Daemon, have, loadSeconds, parseWrk, row, type WrkResult } from './tools.js';

const here = dirname(fileURLToPath(import.meta.url));
/** SKIFF_BENCH_KERNEL_SERVICES=100,1000 shortens the rules-programming part (10,000 takes minutes on 2 busy cores). */
const serviceCounts = (process.env.SKIFF_BENCH_KERNEL_SERVICES ?? '100,1000,10000').split(',').map(Number);
/** SKIFF_BENCH_KERNEL_PARTS=traffic or =programming runs one half. */
const parts = process.env.SKIFF_BENCH_KERNEL_PARTS ?? 'traffic,programming';

function nginxConfig(dir: string): string {
  return `user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/cb;
  proxy_temp_path ${dir}/px;
  fastcgi_temp_path ${dir}/fc;
  uwsgi_temp_path ${dir}/uw;
  scgi_temp_path ${dir}/sc;
  keepalive_requests 1000000;
  sendfile on;
  server {
    listen 80;
    location = / { return 200 "ok\\n"; }
    location = /bulk { root ${dir}; try_files /bulk =404; }
  }
}
`;
}

async function wrkIn(ns: string, url: string, close: boolean): Promise<WrkResult> {
  const args = ['netns', 'exec', ns, 'wrk', '-t', '2', '-c', '50', '-d', `${loadSeconds}s`, '--latency', '--timeout', '5s'];
  if (close) args.push('-H', 'Connection: close');
  const r = await run('ip', [...args, url], { timeoutMs: (loadSeconds + 30) * 1000 });
  if (r.code !== 0) throw new Error(`wrk ${url}: ${r.stderr}${r.stdout}`);
  return parseWrk(r.stdout);
}

/** Seconds for one 200 MB download (curl in the client netns). */
async function bulkIn(ns: string, url: string): Promise<number> {
  const r = await run('ip', ['netns', 'exec', ns, 'curl', '-sS', '-o', '/dev/null', '-w', '%{time_total} %{size_download}', url], { timeoutMs: 120_000 });
  const [secs, size] = r.stdout.trim().split(' ').map(Number);
  if (r.code !== 0 || size !== 200 * 1024 * 1024) throw new Error(`bulk ${url}: ${r.stderr}${r.stdout}`);
  return secs!;
}

function state(services: Array<[string, ServicePortInfo, Endpoint[]]>, nodeIP: string): ProxyState {
  return { services: new Map(services.map(([n, s]) => [n, s])), endpoints: new Map(services.map(([n, , e]) => [n, e])), nodeIPs: [nodeIP] };
}

/** n Services with 2 fake endpoints each (10.O.64.0/18 addresses that nothing answers). */
function fakeServices(lab: DatapathLab, n: number, version: Map<number, number>): Array<[string, ServicePortInfo, Endpoint[]]> {
  const out: Array<[string, ServicePortInfo, Endpoint[]]> = [];
  for (let i = 0; i < n; i++) {
    const v = version.get(i) ?? 0;
    const vip = `10.${lab.octet}.${128 + Math.floor(i / 250)}.${1 + (i % 250)}`;
    const ep = (k: number): Endpoint => ({
      ip: `10.${lab.octet}.${64 + ((i * 2 + k + v) >> 8) % 64}.${(i * 2 + k + v) % 256}`, port: 8080,
      ready: true, serving: true, terminating: false, nodeName: 'n', isLocal: true,
    });
    out.push([`bench/svc-${i}:http`, serviceInfo({ clusterIP: vip, port: 80, nodePort: i < 2000 ? 30000 + i : 0 }), [ep(0), ep(1)]]);
  }
  return out;
}

async function programming(lab: DatapathLab, make: () => Datapath, label: string): Promise<void> {
  for (const n of serviceCounts) {
    const dp = make();
    try {
      const version = new Map<number, number>();
      let t = performance.now();
      await dp.sync(state(fakeServices(lab, n, version), lab.nodeIP));
      const first = performance.now() - t;
      const changes = n >= 10_000 ? 10 : 30;
      const samples: number[] = [];
      for (let c = 0; c < changes; c++) {
        const i = (c * 7919) % n;
        version.set(i, (version.get(i) ?? 0) + 1);
        const s = state(fakeServices(lab, n, version), lab.nodeIP);
        t = performance.now();
        await dp.sync(s);
        samples.push(performance.now() - t);
      }
      let full = '';
      if (n === 10_000) {
        const d = make();
        await dp.close();
        t = performance.now();
        await d.sync(state(fakeServices(lab, n, version), lab.nodeIP));
        full = `; full sync (fresh proxy) ${fmt(performance.now() - t)}`;
        await d.close();
      }
      console.log(`${label.padEnd(9)} ${String(n).padStart(6)} Services: first sync ${fmt(first)}; one endpoint change → programmed p50 ${fmt(median(samples))} p99 ${fmt(percentile(samples, 99))}${full}`);
    } finally {
      await dp.close();
    }
  }
}

export async function benchKernelDatapath(): Promise<void> {
  const why = canRunLab();
  if (why) return void console.log(`kernel datapath: skipped: ${why}`);
  if (!have('wrk', 'kernel datapath') || !have('nginx', 'kernel datapath') || !have('curl', 'kernel datapath')) return;
  const lab = await DatapathLab.create({ backends: 1, tag: 'bench' });
  const dir = mkdtempSync(join(tmpdir(), 'skkp-bench-'));
  const daemons: Daemon[] = [];
  const interrupted = () => void Promise.all(daemons.map((d) => d.stop())).finally(() => lab.destroy().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  }));
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    if (parts.includes('traffic')) await traffic(lab, dir, daemons);
    if (parts.includes('programming')) {
      await programming(lab, () => new NftablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR, serviceCIDRs: [lab.serviceCIDR] }), 'nftables');
      await programming(lab, () => new IptablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR }), 'iptables');
    }
  } finally {
    for (const d of daemons) await d.stop();
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

async function traffic(lab: DatapathLab, dir: string, daemons: Daemon[]): Promise<void> {
  {
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir));
    await run('truncate', ['-s', '200M', join(dir, 'bulk')]);
    const backend = lab.backends[0]!;
    const nginx = new Daemon('ip', ['netns', 'exec', backend.name, 'nginx', '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;']);
    daemons.push(nginx);
    const c = `${lab.id}-c`;
    await waitFor('nginx in the backend netns', async () => ((await run('ip', ['netns', 'exec', c, 'curl', '-sf', `http://${backend.ip}/`])).code === 0 ? true : undefined), 10_000);
    const ep: Endpoint = { ip: backend.ip, port: 80, ready: true, serving: true, terminating: false, nodeName: 'n', isLocal: true };
    const vip = lab.vip(200);
    const svc = state([['default/bench:http', serviceInfo({ clusterIP: vip, port: 80 }), [ep]]], lab.nodeIP);

    const results: Array<{ label: string; keep: WrkResult; close: WrkResult; bulk: number }> = [];
    const measure = async (label: string, url: string) => {
      results.push({ label, keep: await wrkIn(c, `${url}/`, false), close: await wrkIn(c, `${url}/`, true), bulk: await bulkIn(c, `${url}/bulk`) });
    };
    await wrkIn(c, `http://${backend.ip}/`, false); // warm-up, not counted
    await bulkIn(c, `http://${backend.ip}/bulk`);
    await measure('direct to the backend netns', `http://${backend.ip}`);
    for (const [label, make] of [
      ['ClusterIP via iptables', () => new IptablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR })],
      ['ClusterIP via nftables', () => new NftablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR, serviceCIDRs: [lab.serviceCIDR] })],
    ] as const) {
      const dp = make();
      try {
        await dp.sync(svc);
        await measure(label, `http://${vip}`);
      } finally {
        await dp.close();
      }
    }
    // the userspace datapath, as a process in the node netns with the VIP on its lo
    await lab.inNode('ip', ['addr', 'add', `${vip}/32`, 'dev', 'lo']);
    const us = new Daemon('ip', ['netns', 'exec', lab.node, process.execPath, '--import', 'tsx', join(here, 'datapath-process.ts'),
      join(here, '../src/proxy/userspace/index.ts'), `${vip}:80`, `${backend.ip}:80`]);
    daemons.push(us);
    await waitFor('userspace datapath', () => (us.output.includes('ready') ? true : !us.running ? Promise.reject(new Error(us.output)) : undefined), 30_000);
    await measure('ClusterIP via userspace datapath', `http://${vip}`);
    await us.stop();

    const base = results[0]!;
    console.log(`wrk -t2 -c50 ${loadSeconds}s from the client netns; 1 nginx backend; 200 MB with curl`);
    for (const r of results) {
      console.log(row(`${r.label} (keep-alive)`, r.keep) + `  ${(r.keep.rps / base.keep.rps).toFixed(2)}x`);
      console.log(row(`${r.label} (new connection)`, r.close) + `  ${(r.close.rps / base.close.rps).toFixed(2)}x`);
      console.log(`${`${r.label} (200 MB)`.padEnd(44)} ${(200 / r.bulk).toFixed(0).padStart(7)} MB/s  ${(base.bulk / r.bulk).toFixed(2)}x`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchKernelDatapath();
