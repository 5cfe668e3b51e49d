/**
 * Time from a pod turning Ready (the watch event the API server sends) to the first request through its
 * ClusterIP that reaches it: the endpointslice controller, the proxy's informer and its sync, end to end.
 */
import { performance } from 'node:perf_hooks';
import type { TestCluster } from '../test/support/cluster.js';
import { waitFor } from '../test/support/ports.js';
import { fmt, median } from './stats.js';
import { apply, app, clusterIP, isReady, probe, waitEndpoints, watchPods } from './cluster.js';

/** Resolves with performance.now() of the first watch event that shows the pod Ready. */
function watchReady(c: TestCluster, token: string, label: string, stop: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    void watchPods(c, { token, label, stop, onError: reject, onEvent: (ev, at) => (ev.type === 'MODIFIED' && isReady(ev) ? resolve(at) : undefined) });
  });
}

async function post(host: string, port: number, path: string): Promise<void> {
  const { request: httpRequest } = await import('node:http');
  await new Promise<void>((resolve, reject) => {
    const req = httpRequest({ host, port, path, method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

/** Median milliseconds from Ready to traffic over `rounds` readiness flips of one echo pod. */
export async function benchReadyToTraffic(c: TestCluster, rounds: number): Promise<{ samples: number[] }> {
  await apply(c, app('flip', { image: 'skiff/echo', port: 8080, replicas: 1, readinessPeriod: 1 }));
  const [pod] = await waitEndpoints(c, 'flip', 1);
  const vip = await clusterIP(c, 'flip');
  const token = await c.token();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    await post(pod!.ip, pod!.port, '/control/fail-readiness');
    await waitFor('flip to leave the Service', async () => ((await probe(vip, 80, { timeoutMs: 500 })) === undefined ? true : undefined), 30_000, 20);
    const stop = new AbortController();
    const watching = watchReady(c, token, 'app=flip', stop.signal);
    watching.catch(() => {});
    // Give the watch time to be established before the pod can turn Ready.
    await new Promise((r) => setTimeout(r, 200));
    await post(pod!.ip, pod!.port, '/control/pass-readiness');
    let reached = 0;
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      if ((await probe(vip, 80, { timeoutMs: 500 })) === 200) {
        reached = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const readyAt = await Promise.race([watching, new Promise<number>((r) => setTimeout(() => r(NaN), 5000))]);
    stop.abort();
    if (!reached || Number.isNaN(readyAt)) throw new Error('flip pod never became reachable through its ClusterIP');
    samples.push(reached - readyAt);
  }
  const m = median(samples);
  console.log(`pod Ready (watch event) -> first request through ClusterIP: median ${fmt(m)} (n=${rounds}, min ${fmt(Math.min(...samples))}, max ${fmt(Math.max(...samples))})`);
  return { samples };
}
