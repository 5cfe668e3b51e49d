/**
 * Kernel datapaths side by side in one run (root only), in a namespace lab (src/proxy/kernel/lab.ts):
 * wrk keep-alive and new-connection req/s and a 200 MB transfer from the client netns, direct to the backend
 * pod IP vs ClusterIP via iptables vs nftables vs the userspace datapath (running in the node netns), in
 * interleaved rounds; then rules programming (bench/kernel-programming.ts).
 *
 * Fair comparison: every path goes client netns → node netns → backend netns (the direct one is routed by the
 * node, as a pod-to-pod request to another pod's IP is), and the iptables and nftables rules are both loaded
 * for the whole run, each for its own ClusterIP, so every path — direct included — crosses the same hooks
 * and conntrack a kube-proxy node has; what a ClusterIP adds is the DNAT. Each round measures every path once,
 * in a rotated order; ratios are per round against that round's direct figure.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceInfo } from '../src/proxy/conformance.js';
import { IptablesDatapath } from '../src/proxy/iptables/index.js';
import { canRunLab, DatapathLab } from '../src/proxy/kernel/lab.js';
import { NftablesDatapath } from '../src/proxy/nftables/index.js';
import type { Endpoint } from '../src/proxy/types.js';
import { run } from '../test/support/cluster.js';
import { waitFor } from '../test/support/ports.js';
import { benchKernelProgramming } from './kernel-programming.js';
import { median } from './stats.js';
import { Daemon, have, loadSeconds, parseWrk, type WrkResult } from './tools.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Interleaved rounds of the traffic part (SKIFF_BENCH_KERNEL_ROUNDS). */
const rounds = Number(process.env.SKIFF_BENCH_KERNEL_ROUNDS ?? 5);
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

async function wrkIn(ns: string, url: string, close: boolean, seconds = loadSeconds): Promise<WrkResult> {
  const args = ['netns', 'exec', ns, 'wrk', '-t', '2', '-c', '50', '-d', `${seconds}s`, '--latency', '--timeout', '5s'];
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
    if (parts.includes('programming')) await benchKernelProgramming(lab);
  } finally {
    for (const d of daemons) await d.stop();
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

interface Path {
  label: string;
  url: string;
  keep: WrkResult[];
  close: WrkResult[];
  bulk: number[];
}

async function traffic(lab: DatapathLab, dir: string, daemons: Daemon[]): Promise<void> {
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir));
  await run('truncate', ['-s', '200M', join(dir, 'bulk')]);
  const backend = lab.backends[0]!;
  // nginx closes first (Connection: close), so TIME_WAIT sits on the backend, keyed by the client's (or, for
  // masqueraded paths, the node's) address and port. Paths share those tuples, each with its own TCP timestamp
  // clock (the offset is per address pair), so a tuple reused by the next path has its SYN rejected by PAWS
  // in TIME_WAIT (TcpExtPAWSTimewait) and waits a 1 s retransmit: a cost of the bench sharing one backend, not
  // of a datapath. No TIME_WAIT on the backend (its own lab netns) keeps the paths independent.
  await run('ip', ['netns', 'exec', backend.name, 'sysctl', '-qw', 'net.ipv4.tcp_max_tw_buckets=0']);
  const nginx = new Daemon('ip', ['netns', 'exec', backend.name, 'nginx', '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;']);
  daemons.push(nginx);
  const c = `${lab.id}-c`;
  await waitFor('nginx in the backend netns', async () => ((await run('ip', ['netns', 'exec', c, 'curl', '-sf', `http://${backend.ip}/`])).code === 0 ? true : undefined), 10_000);
  const ep: Endpoint = { ip: backend.ip, port: 80, ready: true, serving: true, terminating: false, nodeName: 'n', isLocal: true };
  const [ipt, nft, us] = [lab.vip(200), lab.vip(201), lab.vip(202)];
  const one = (vip: string) => ({
    services: new Map([['default/bench:http', serviceInfo({ clusterIP: vip, port: 80 })]]),
    endpoints: new Map([['default/bench:http', [ep]]]), nodeIPs: [lab.nodeIP],
  });
  // both rule sets for the whole run (each for its own ClusterIP): every path crosses the same hooks
  const iptables = new IptablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR });
  const nftables = new NftablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR, serviceCIDRs: [lab.serviceCIDR] });
  try {
    await iptables.sync(one(ipt));
    await nftables.sync(one(nft));
    // the userspace datapath, as a process in the node netns with its VIP on the node's lo
    await lab.inNode('ip', ['addr', 'add', `${us}/32`, 'dev', 'lo']);
    const proc = new Daemon('ip', ['netns', 'exec', lab.node, process.execPath, '--import', 'tsx', join(here, 'datapath-process.ts'),
      join(here, '../src/proxy/userspace/index.ts'), `${us}:80`, `${backend.ip}:80`]);
    daemons.push(proc);
    await waitFor('userspace datapath', () => (proc.output.includes('ready') ? true : !proc.running ? Promise.reject(new Error(proc.output)) : undefined), 30_000);

    const paths: Path[] = [
      ['direct to the backend pod IP (via the node)', `http://${backend.ip}`],
      ['ClusterIP via iptables', `http://${ipt}`],
      ['ClusterIP via nftables', `http://${nft}`],
      ['ClusterIP via the userspace datapath', `http://${us}`],
    ].map(([label, url]) => ({ label: label!, url: url!, keep: [], close: [], bulk: [] }));
    for (const p of paths) await wrkIn(c, `${p.url}/`, false, 2); // warm-up, not counted
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < paths.length; k++) {
        const p = paths[(k + r) % paths.length]!;
        p.keep.push(await wrkIn(c, `${p.url}/`, false));
        p.close.push(await wrkIn(c, `${p.url}/`, true));
        p.bulk.push(await bulkIn(c, `${p.url}/bulk`));
      }
    }
    report(paths);
  } finally {
    await iptables.close();
    await nftables.close();
  }
}

/** Medians per path, and the per-round ratio to direct as median [min–max]. */
function report(paths: Path[]): void {
  const base = paths[0]!;
  const ratios = (mine: number[], theirs: number[], inverse = false) => {
    const rs = mine.map((v, i) => (inverse ? theirs[i]! / v : v / theirs[i]!)).sort((a, b) => a - b);
    return `${median(rs).toFixed(2)}x [${rs[0]!.toFixed(2)}–${rs[rs.length - 1]!.toFixed(2)}]`;
  };
  console.log(`wrk -t2 -c50 ${loadSeconds}s from the client netns, 1 nginx backend, 200 MB with curl; ${rounds} interleaved rounds; medians, ratio to direct per round: median [min–max]`);
  for (const p of paths) {
    const keep = p.keep.map((w) => w.rps);
    const close = p.close.map((w) => w.rps);
    const rel = p === base ? '' : `  keep-alive ${ratios(keep, base.keep.map((w) => w.rps))}, new connection ${ratios(close, base.close.map((w) => w.rps))}, 200 MB ${ratios(p.bulk, base.bulk, true)}`;
    console.log(`${p.label.padEnd(44)} keep-alive ${median(keep).toFixed(0).padStart(6)} req/s (p50 ${median(p.keep.map((w) => w.p50)).toFixed(2)} ms), new connection ${median(close).toFixed(0).padStart(5)} req/s (p50 ${median(p.close.map((w) => w.p50)).toFixed(2)} ms), 200 MB ${(200 / median(p.bulk)).toFixed(0)} MB/s${rel}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchKernelDatapath();
