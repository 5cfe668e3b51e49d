// What an open page costs the skiff server per second, whatever the request rate: a trickle of keep-alive
// requests (one connection, ~20 req/s, so the counters move and the view pushes every second) while the page
// is opened and closed in the same interleaved blocks as under load (ui-blocks.ts); server CPU ms per second
// open minus closed per block, beside the placebo blocks'. The view does no per-request work (its hooks run
// per connection, DNS query and ingress request, and keep-alive opens no connections), so this cost over the
// server's CPU per second under the keep-alive load is the page's share of it, without that load's noise.
import { Agent, request } from 'node:http';
import { bootstrapMedianCI, median } from './stats.js';
import { cpuSeconds, requestBytes, runBlocks, type View, type Window } from './ui-blocks.js';

export interface UIFixedOptions {
  ip: string;
  pid: number;
  metrics: string;
  view: View;
  /** Server CPU ms per second under the keep-alive load, page closed (the denominator). */
  loadedMsPerSecond: number;
  windowMs: number;
  settleMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchUIFixed(o: UIFixedOptions): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let going = true;
  let sent = 0;
  const trickle = (async () => {
    while (going) {
      await new Promise<void>((res) => {
        const req = request({ host: o.ip, port: 80, path: '/', agent }, (r) => r.resume().on('end', () => res()));
        req.on('error', () => res());
        req.end();
      });
      sent++;
      await sleep(50);
    }
  })();
  const real = Number(process.env.SKIFF_BENCH_UI_FIXED_BLOCKS ?? 12);
  const placebos = Math.ceil(real / 2);
  const started = performance.now();
  await sleep(1000);
  const blocks = await runBlocks({
    real, placebos, windowMs: o.windowMs, settleMs: o.settleMs, view: o.view, going: () => true,
    sample: async () => ({ bytes: await requestBytes(o.metrics, 'default/echo'), cpu: cpuSeconds(o.pid), at: performance.now() }),
  });
  going = false;
  await trickle;
  agent.destroy();
  const rate = (sent / (performance.now() - started)) * 1000;
  const msPerS = (ws: Window[]) => (ws.reduce((x, w) => x + w.cpu, 0) * 1000) / (ws.reduce((x, w) => x + w.ms, 0) / 1000);
  const diffs = (placebo: boolean) => blocks.filter((b) => b.placebo === placebo).map((b) => msPerS(b.b) - msPerS(b.a));
  const closed = blocks.flatMap((b) => (b.placebo ? [...b.a, ...b.b] : b.a));
  const opened = blocks.filter((b) => !b.placebo).flatMap((b) => b.b);
  const show = (xs: number[]) => {
    const [lo, hi] = bootstrapMedianCI(xs);
    return `median ${median(xs).toFixed(2)} ms/s (95 % CI ${lo.toFixed(2)} to ${hi.toFixed(2)}, n ${xs.length})`;
  };
  const d = diffs(false);
  const [, hi] = bootstrapMedianCI(d);
  const share = (x: number) => `${((100 * x) / o.loadedMsPerSecond).toFixed(2)} %`;
  console.log(`[ui] fixed cost of an open page, under a trickle of ${rate.toFixed(0)} keep-alive req/s (${real} blocks of four ${o.windowMs} ms windows, ${placebos} placebo): server CPU ${msPerS(closed).toFixed(1)} ms/s closed, ${msPerS(opened).toFixed(1)} ms/s open`);
  console.log(`[ui] fixed cost per block, open − closed: ${show(d)}; placebo: ${show(diffs(true))}`);
  console.log(`[ui] against the ${o.loadedMsPerSecond.toFixed(0)} ms/s the server spent under the keep-alive load (page closed): the open page costs ${share(median(d))} of it (95 % CI upper bound ${share(hi)}; target < 3 %: ${(100 * hi) / o.loadedMsPerSecond < 3 ? 'shown' : 'not shown'})`);
}
