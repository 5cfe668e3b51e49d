/**
 * Endpoint change → rules programmed at 100, 1,000 and 10,000 Services with fake endpoints (2 per Service),
 * for nftables and both iptables backends (iptables-nft, iptables-legacy): the first (full) sync, then one
 * endpoint change per sync (p50/p99), one Service deleted, a sync a second later (when nftables deletes the
 * chains that went stale), and the floor a `nft -f` pays when a statement needs nft's cache: the listing of
 * the table nft 1.0.6 does first, timed with a no-op `add element`.
 */
import { spawnSync } from 'node:child_process';
import { serviceInfo } from '../src/proxy/conformance.js';
import { runTool } from '../src/proxy/kernel/exec.js';
import type { DatapathLab } from '../src/proxy/kernel/lab.js';
import { IptablesDatapath } from '../src/proxy/iptables/index.js';
import { NftablesDatapath } from '../src/proxy/nftables/index.js';
import type { Datapath, Endpoint, ProxyState, ServicePortInfo } from '../src/proxy/types.js';
import { fmt, median, percentile } from './stats.js';

/** SKIFF_BENCH_KERNEL_SERVICES=100,1000 shortens the run (10,000 takes minutes on 2 busy cores). */
const serviceCounts = (process.env.SKIFF_BENCH_KERNEL_SERVICES ?? '100,1000,10000').split(',').map(Number);
/** SKIFF_BENCH_KERNEL_DATAPATHS=iptables-nft,iptables-legacy measures only those (default: all three). */
const datapaths = (process.env.SKIFF_BENCH_KERNEL_DATAPATHS ?? 'nftables,iptables-nft,iptables-legacy').split(',');

/** n Services with 2 fake endpoints each (10.O.64.0/18 addresses that nothing answers); NodePorts for the first 2,000. */
function fakeState(lab: DatapathLab, n: number, version: Map<number, number>, without = -1): ProxyState {
  const services = new Map<string, ServicePortInfo>();
  const endpoints = new Map<string, Endpoint[]>();
  for (let i = 0; i < n; i++) {
    if (i === without) continue;
    const v = version.get(i) ?? 0;
    const vip = `10.${lab.octet}.${128 + Math.floor(i / 250)}.${1 + (i % 250)}`;
    const ep = (k: number): Endpoint => ({
      ip: `10.${lab.octet}.${64 + ((i * 2 + k + v) >> 8) % 64}.${(i * 2 + k + v) % 256}`, port: 8080,
      ready: true, serving: true, terminating: false, nodeName: 'n', isLocal: true,
    });
    services.set(`bench/svc-${i}:http`, serviceInfo({ clusterIP: vip, port: 80, nodePort: i < 2000 ? 30000 + i : 0 }));
    endpoints.set(`bench/svc-${i}:http`, [ep(0), ep(1)]);
  }
  return { services, endpoints, nodeIPs: [lab.nodeIP] };
}

/** One `nft -f` that changes nothing but needs nft's cache (re-adding an element that is there). */
async function nftFloor(lab: DatapathLab): Promise<number> {
  const t = performance.now();
  await runTool({ netns: lab.node }, 'nft', ['-f', '-'], `add element ip kube-proxy cluster-ips { 10.${lab.octet}.128.1 }\n`);
  return performance.now() - t;
}

async function programming(lab: DatapathLab, make: () => Datapath, label: string): Promise<void> {
  for (const n of serviceCounts) {
    const dp = make();
    try {
      const version = new Map<number, number>();
      let t = performance.now();
      await dp.sync(fakeState(lab, n, version));
      const first = performance.now() - t;
      const changes = n >= 10_000 ? 10 : 30;
      const samples: number[] = [];
      for (let c = 0; c < changes; c++) {
        const i = (c * 7919) % n;
        version.set(i, (version.get(i) ?? 0) + 1);
        const s = fakeState(lab, n, version);
        t = performance.now();
        await dp.sync(s);
        samples.push(performance.now() - t);
      }
      // a Service deleted (its map elements go at once), then, a second on, the same state again (nftables
      // deletes the chains that went stale then, as kube-proxy does)
      const gone = fakeState(lab, n, version, 1);
      t = performance.now();
      await dp.sync(gone);
      const deleted = performance.now() - t;
      await new Promise((r) => setTimeout(r, 1100));
      t = performance.now();
      await dp.sync(fakeState(lab, n, version, 1));
      const later = performance.now() - t;
      const floor = dp instanceof NftablesDatapath ? `; nft's cache load alone ${fmt(await nftFloor(lab))}` : '';
      console.log(`${label.padEnd(16)} ${String(n).padStart(6)} Services: first (full) sync ${fmt(first)}; one endpoint change → programmed p50 ${fmt(median(samples))} p99 ${fmt(percentile(samples, 99))}; a Service deleted ${fmt(deleted)}, a second later ${fmt(later)}${floor}`);
    } finally {
      await dp.close();
    }
  }
}

export async function benchKernelProgramming(lab: DatapathLab): Promise<void> {
  if (datapaths.includes('nftables')) await programming(lab, () => new NftablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR, serviceCIDRs: [lab.serviceCIDR] }), 'nftables');
  if (datapaths.includes('iptables-nft')) await programming(lab, () => new IptablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR, backend: 'nft' }), 'iptables-nft');
  if (!datapaths.includes('iptables-legacy')) return;
  if (spawnSync('sh', ['-c', 'command -v iptables-legacy-restore']).status === 0) {
    await programming(lab, () => new IptablesDatapath({ netns: lab.node, clusterCIDR: lab.clusterCIDR, backend: 'legacy' }), 'iptables-legacy');
  } else console.log('iptables-legacy: not installed, not measured');
}
