/**
 * The server's cost with a fleet's worth of objects (issue 9 point 5): 1,000 Services, 3,000 Ready pods on
 * 10 fake nodes (no kubelet: the bench writes the pods' status, as a kubelet would), so 1,000 EndpointSlices
 * of 3 endpoints. Measures the server process's CPU time to get there, its CPU use and memory once idle,
 * and the watches its API server serves (bench/server-probe.mjs). DNS, ingress and the web view run, as in a
 * default `skiff server` (no agent). SKIFF_BENCH_BASELINE_SRC runs another tree the same way first.
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, waitFor } from '../test/support/ports.js';
import { api, cpuSeconds, follow, inParallel, memoryMB, servedWatches, startServer, stopServer, uptimeLine, type BenchServer } from './scale-server.js';

const services = Number(process.env.SKIFF_BENCH_FLEET_SERVICES ?? 1000);
const podsPerService = 3;
const nodes = 10;
const idleSeconds = Number(process.env.SKIFF_BENCH_FLEET_IDLE_S ?? 30);
const limitMs = Number(process.env.SKIFF_BENCH_SCALE_LIMIT_S ?? 300) * 1000;
const merge = 'application/merge-patch+json';

interface Figures {
  setupSeconds: number;
  setupCpuSeconds: number;
  idleCpuPercent: number;
  rssMB: number;
  peakMB: number;
  watches: number;
  done: boolean;
}

function must(r: { code: number; body: string }, what: string): void {
  if (r.code >= 300) throw new Error(`${what}: ${r.code} ${r.body.slice(0, 300)}`);
}

async function makeNodes(s: BenchServer): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (let k = 0; k < nodes; k++) {
    const name = `fake-${k}`;
    must(await api(s, 'POST', '/api/v1/nodes', { metadata: { name, labels: { 'kubernetes.io/hostname': name } } }), `node ${name}`);
    const status = { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }], addresses: [{ type: 'InternalIP', address: `127.${s.octet}.0.${k + 2}` }] };
    must(await api(s, 'PATCH', `/api/v1/nodes/${name}/status`, { status }, merge), `node ${name} status`);
  }
}

/** The n-th pod's IP, inside the server's pod range 127.O.128.0/17. */
function podIP(s: BenchServer, n: number): string {
  return `127.${s.octet}.${128 + Math.floor(n / 250)}.${(n % 250) + 1}`;
}

async function measure(src: string): Promise<Figures> {
  const s = await startServer(src, { disable: 'servicelb', extraArgs: ['--node-monitor-grace-period', '1h', '--ui-port', String(await freePort()), '--proxy-metrics-port', '0'] });
  try {
    const ns = 'fleet';
    const cpu0 = cpuSeconds(s.child.pid!);
    const t0 = performance.now();
    must(await api(s, 'POST', '/api/v1/namespaces', { metadata: { name: ns } }), 'namespace');
    await makeNodes(s);
    const slices = follow<{ metadata: { name: string; labels?: Record<string, string> }; endpoints?: Array<{ conditions?: { ready?: boolean } }> }>(s, `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`);
    await inParallel(services, 16, async (i) => {
      must(await api(s, 'POST', `/api/v1/namespaces/${ns}/services`, { metadata: { name: `svc-${i}` }, spec: { selector: { app: `app-${i}` }, ports: [{ port: 80, targetPort: 8080 }] } }), `svc-${i}`);
    });
    await inParallel(services * podsPerService, 16, async (n) => {
      const name = `pod-${n}`;
      const pod = { metadata: { name, labels: { app: `app-${Math.floor(n / podsPerService)}` } }, spec: { nodeName: `fake-${n % nodes}`, containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 8080 }] }] } };
      must(await api(s, 'POST', `/api/v1/namespaces/${ns}/pods`, pod), name);
      const ip = podIP(s, n);
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: `127.${s.octet}.0.${(n % nodes) + 2}`, startTime: now, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }, { type: 'ContainersReady', status: 'True', lastTransitionTime: now }] };
      must(await api(s, 'PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, { status }, merge), `${name} status`);
    });
    const full = () => {
      let n = 0;
      for (const sl of slices.objects.values()) if ((sl.endpoints ?? []).filter((e) => e.conditions?.ready).length === podsPerService) n++;
      return n;
    };
    let done = true;
    await waitFor('every slice has its 3 ready endpoints', () => (full() >= services ? true : undefined), limitMs, 50).catch(() => (done = false));
    const t1 = performance.now();
    slices.stop();
    const cpu1 = cpuSeconds(s.child.pid!);
    await new Promise((r) => setTimeout(r, 5000)); // let queued work drain before the idle window
    const cpu2 = cpuSeconds(s.child.pid!);
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const cpu3 = cpuSeconds(s.child.pid!);
    const mem = memoryMB(s.child.pid!);
    return { setupSeconds: (t1 - t0) / 1000, setupCpuSeconds: cpu1 - cpu0, idleCpuPercent: (100 * (cpu3 - cpu2)) / idleSeconds, rssMB: mem.rss, peakMB: mem.peak, watches: servedWatches(s).watches, done };
  } finally {
    await stopServer(s);
  }
}

function line(name: string, f: Figures): string {
  const cap = f.done ? '' : ` (stopped at the ${limitMs / 1000} s limit)`;
  return `${name.padEnd(36)} ready in ${f.setupSeconds.toFixed(1)} s, server CPU ${f.setupCpuSeconds.toFixed(1)} s; idle CPU ${f.idleCpuPercent.toFixed(1)} %  RSS ${f.rssMB.toFixed(0)} MB (peak ${f.peakMB.toFixed(0)})  watches served ${f.watches}${cap}`;
}

export async function benchFleet(): Promise<void> {
  console.log(`[fleet] ${services} Services, ${services * podsPerService} Ready pods on ${nodes} fake nodes (${services} EndpointSlices of ${podsPerService}); server with DNS, ingress, web view; idle window ${idleSeconds} s`);
  const baseline = process.env.SKIFF_BENCH_BASELINE_SRC;
  const figures: Array<[string, Figures]> = [];
  if (baseline) figures.push([`baseline (${baseline})`, await measure(resolve(baseline))]);
  figures.push(['this tree', await measure(resolve(import.meta.dirname, '..', 'src'))]);
  for (const [name, f] of figures) console.log(line(name, f));
  if (figures.length === 2) {
    const [[, b], [, a]] = figures as [[string, Figures], [string, Figures]];
    console.log(`ratios (this tree / baseline): setup CPU ${(a.setupCpuSeconds / b.setupCpuSeconds).toFixed(2)}x, idle CPU ${(a.idleCpuPercent / Math.max(b.idleCpuPercent, 0.01)).toFixed(2)}x, RSS ${(a.rssMB / b.rssMB).toFixed(2)}x, watches ${a.watches} vs ${b.watches}`);
  }
  console.log(`[fleet] ${uptimeLine()}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchFleet();
