/**
 * Control plane at scale: N Services (2,000 by default) created at once in one namespace, the rate their
 * EndpointSlices appear, the memory the server then holds, and how long deleting that namespace takes.
 * Runs the built server of this tree (built first if stale); SKIFF_BENCH_BASELINE_SRC=/path/to/other/src runs that tree first, the same
 * way, for before/after figures side by side. SKIFF_BENCH_SCALE_SERVICES sets N; SKIFF_BENCH_SCALE_CLIENTS the
 * requests in flight (16 by default, as controllers and parallel clients write; 1 is `kubectl apply -f` of a list,
 * which creates one object after the other).
 */
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { waitFor } from '../test/support/ports.js';
import { api, cpuSeconds, follow, inParallel, memoryMB, servedWatches, startServer, stopServer, uptimeLine } from './scale-server.js';

const count = Number(process.env.SKIFF_BENCH_SCALE_SERVICES ?? 2000);
const clients = Number(process.env.SKIFF_BENCH_SCALE_CLIENTS ?? 16);
const phaseLimitMs = Number(process.env.SKIFF_BENCH_SCALE_LIMIT_S ?? 300) * 1000;

interface Figures {
  servicesPerSec: number;
  /** From the last Service created to the last slice there: how far the controller lags the writes. */
  slicesLagSeconds: number;
  watches: number;
  slicesPerSec: number;
  slicesSeconds: number;
  rssMB: number;
  peakMB: number;
  deleteSeconds: number;
  /** Server CPU seconds from the first create until every slice is there, and for the deletion: steadier than rates on a loaded machine. */
  createCpu: number;
  deleteCpu: number;
  done: boolean;
}

async function measure(src: string): Promise<Figures> {
  const s = await startServer(src);
  try {
    const ns = 'scale';
    await api(s, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
    const slices = follow(s, `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`);
    const cpu0 = cpuSeconds(s.child.pid!);
    const t0 = performance.now();
    await inParallel(count, clients, async (i) => {
      const r = await api(s, 'POST', `/api/v1/namespaces/${ns}/services`, { metadata: { name: `svc-${i}` }, spec: { selector: { app: `app-${i}` }, ports: [{ port: 80, targetPort: 8080 }] } });
      if (r.code !== 201) throw new Error(`create svc-${i}: ${r.code} ${r.body}`);
    });
    const t1 = performance.now();
    let done = true;
    await waitFor('every Service has its EndpointSlice', () => (slices.objects.size >= count ? true : undefined), phaseLimitMs, 20).catch(() => (done = false));
    const t2 = performance.now();
    const cpu2 = cpuSeconds(s.child.pid!);
    // read once the creates are done: the probe writes its count twice a second, and the bench's own is open still
    const watches = servedWatches(s).watches - 1;
    slices.stop();
    const mem = memoryMB(s.child.pid!);
    const t3 = performance.now();
    await api(s, 'DELETE', `/api/v1/namespaces/${ns}`);
    await waitFor('namespace deleted', async () => ((await api(s, 'GET', `/api/v1/namespaces/${ns}`)).code === 404 ? true : undefined), phaseLimitMs, 100).catch(() => (done = false));
    const t4 = performance.now();
    const cpu4 = cpuSeconds(s.child.pid!);
    return {
      createCpu: cpu2 - cpu0, deleteCpu: cpu4 - cpu2,
      servicesPerSec: count / ((t1 - t0) / 1000), slicesPerSec: count / ((t2 - t0) / 1000), slicesSeconds: (t2 - t0) / 1000, slicesLagSeconds: (t2 - t1) / 1000,
      rssMB: mem.rss, peakMB: mem.peak, deleteSeconds: (t4 - t3) / 1000, watches, done,
    };
  } finally {
    await stopServer(s);
  }
}

function line(name: string, f: Figures): string {
  const cap = f.done ? '' : ` (stopped at the ${phaseLimitMs / 1000} s limit)`;
  return `${name.padEnd(36)} services ${f.servicesPerSec.toFixed(0).padStart(5)}/s  slices ${f.slicesPerSec.toFixed(0).padStart(5)}/s (${f.slicesSeconds.toFixed(1)} s, ${f.slicesLagSeconds.toFixed(1)} s after the last Service)  watches ${f.watches}  RSS ${f.rssMB.toFixed(0)} MB (peak ${f.peakMB.toFixed(0)})  namespace deletion ${f.deleteSeconds.toFixed(1)} s${cap}  server CPU ${f.createCpu.toFixed(1)} s + ${f.deleteCpu.toFixed(1)} s`;
}

export async function benchScale(): Promise<void> {
  console.log(`[scale] ${count} Services with a selector (no pods: one placeholder slice each), ${clients} client${clients === 1 ? '' : 's'}; control plane only, the built server (dist)`);
  const baseline = process.env.SKIFF_BENCH_BASELINE_SRC;
  const rounds = Number(process.env.SKIFF_BENCH_SCALE_ROUNDS ?? 1);
  // interleaved (baseline, this tree, baseline, ...) so the machine's load falls on both alike
  for (let r = 0; r < rounds; r++) {
    if (baseline) console.log(line(`baseline (${baseline})`, await measure(resolve(baseline))) + `  [${uptimeLine()}]`);
    console.log(line('this tree', await measure(resolve(import.meta.dirname, '..', 'src'))) + `  [${uptimeLine()}]`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchScale();
