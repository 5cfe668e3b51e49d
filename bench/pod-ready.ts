/**
 * Pod create → Ready, netns mode vs loopback mode, side by side in one run: two real `skiff server`
 * clusters (one node each), N busybox pods created with one `kubectl apply`, the time from just before the
 * apply to each pod's first watch event with Ready=True; rounds alternate between the clusters. netns needs
 * root (skipped with a message otherwise).
 */
import { performance } from 'node:perf_hooks';
import { TestCluster } from '../test/support/cluster.js';
import { netnsSkipReason } from '../test/support/netns.js';
import { waitFor } from '../test/support/ports.js';
import { isReady, watchPods } from './cluster.js';
import { fmt, median, percentile } from './stats.js';

const pods = Number(process.env.SKIFF_BENCH_PODS ?? 10);
const rounds = Number(process.env.SKIFF_BENCH_POD_ROUNDS ?? 3);

function manifest(round: number): string {
  return Array.from({ length: pods }, (_, i) => `apiVersion: v1
kind: Pod
metadata: {name: ready-${round}-${i}, labels: {bench: ready-${round}}}
spec:
  terminationGracePeriodSeconds: 0
  containers: [{name: bb, image: busybox, command: [sleep, "3600"]}]
`).join('---\n');
}

/** Milliseconds from before `kubectl apply` to each of the round's pods being Ready. */
async function round(c: TestCluster, r: number): Promise<number[]> {
  const stop = new AbortController();
  const readyAt = new Map<string, number>();
  let allReady!: () => void;
  let failed!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => ([allReady, failed] = [resolve, reject]));
  await watchPods(c, {
    token: await c.token(), label: `bench=ready-${r}`, stop: stop.signal, onError: (err) => failed(err),
    onEvent: (ev, at) => {
      if (isReady(ev) && !readyAt.has(ev.object.metadata.name)) readyAt.set(ev.object.metadata.name, at);
      if (readyAt.size === pods) allReady();
    },
  });
  const t0 = performance.now();
  const applied = await c.kubectl(['apply', '-f', '-'], { input: manifest(r) });
  if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr}`);
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${pods} pods not Ready in 120 s`)), 120_000).unref());
  await Promise.race([done, timeout]);
  stop.abort();
  await c.k('delete', 'pods', '-l', `bench=ready-${r}`, '--wait=false');
  await waitFor(`round ${r} pods gone`, async () => ((await c.k('get', 'pods', '-l', `bench=ready-${r}`, '-o', 'name')).trim() === '' ? true : undefined), 120_000, 250);
  return [...readyAt.values()].map((at) => at - t0);
}

export async function benchPodReady(): Promise<void> {
  const why = await netnsSkipReason();
  const modes: Array<'loopback' | 'netns'> = why ? ['loopback'] : ['loopback', 'netns'];
  if (why) console.log(`pod ready: netns skipped: ${why}`);
  const clusters = new Map<string, TestCluster>();
  try {
    for (const m of modes) clusters.set(m, await TestCluster.start({ network: m }));
    const samples = new Map<string, number[]>(modes.map((m) => [m, []]));
    for (let r = 0; r < rounds; r++) {
      for (const m of r % 2 ? [...modes].reverse() : modes) samples.get(m)!.push(...(await round(clusters.get(m)!, r)));
    }
    console.log(`pod create → Ready (watch event), ${pods} busybox pods per kubectl apply, ${rounds} rounds alternating, 1 node each`);
    for (const m of modes) {
      const s = samples.get(m)!;
      console.log(`${m.padEnd(9)} p50 ${fmt(median(s))}  p99 ${fmt(percentile(s, 99))}  (n=${s.length}, min ${fmt(Math.min(...s))}, max ${fmt(Math.max(...s))})`);
    }
    if (modes.length === 2) {
      const [l, n] = modes.map((m) => median(samples.get(m)!));
      console.log(`netns / loopback p50: ${(n! / l!).toFixed(2)}x`);
    }
  } finally {
    for (const c of clusters.values()) await c.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPodReady();
