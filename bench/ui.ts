// What the web view costs the datapath: keep-alive req/s through a ClusterIP with no page open and with a
// page's WebSocket open (the connection observer installed, counters sampled and pushed). One wrk run carries
// the load while the page is opened and closed in interleaved blocks of four windows (closed open open closed,
// then open closed closed open, ...), so both sides see the same machine within seconds of each other; a
// short settle after each toggle keeps the one-off handshake and snapshot out of the windows. Requests per
// window come from the proxy's byte counters, CPU from the skiff server's schedstat. Placebo blocks, shuffled
// in among the real ones, toggle nothing: the same estimator on them is the noise floor. Figures: the median
// of the per-block ratios with a bootstrap 95 % interval, beside the placebo's. Then the time from "Scale"
// clicked in the page to the 5th endpoint shown (bench/ui-scale.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { Agent, request } from 'node:http';
import { TestCluster } from '../test/support/cluster.js';
import { freePort } from '../test/support/ports.js';
import { app, apply, clusterIP, waitEndpoints, waitServing } from './cluster.js';
import { bootstrapMedianCI, median, percentile } from './stats.js';
import { cpuSeconds, requestBytes, runBlocks, View, type Block, type Window } from './ui-blocks.js';
import { benchUIFixed } from './ui-fixed.js';
import { have, wrk, type WrkResult } from './tools.js';
import { profiling, viewShare, type TimedWindow } from './ui-profile.js';
import { benchUIScale } from './ui-scale.js';

/** 50 keep-alive connections sending GETs back to back for `seconds`. */
async function nodeLoad(ip: string, port: number, seconds: number): Promise<WrkResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  const deadline = Date.now() + seconds * 1000;
  const lat: number[] = [];
  let errors = 0;
  const one = () => new Promise<void>((res) => {
    const t = performance.now();
    const req = request({ host: ip, port, path: '/', agent }, (r) => {
      r.resume();
      r.on('end', () => {
        lat.push(performance.now() - t);
        res();
      });
    });
    req.on('error', () => {
      errors++;
      res();
    });
    req.end();
  });
  const started = Date.now();
  await Promise.all(Array.from({ length: 50 }, async () => {
    while (Date.now() < deadline) await one();
  }));
  agent.destroy();
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN;
  return { rps: lat.length / ((Date.now() - started) / 1000), p50: pct(50), p99: pct(99), errors, requests: lat.length };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load1 = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const f3 = (x: number) => x.toFixed(3);
const spread = (xs: number[]) => `median ${f3(median(xs))}, quartiles ${f3(percentile(xs, 25))}–${f3(percentile(xs, 75))}`;
const withCI = (xs: number[]) => {
  const [lo, hi] = bootstrapMedianCI(xs);
  return `${spread(xs)}, median's 95 % CI ${f3(lo)}–${f3(hi)} (n ${xs.length})`;
};

export async function benchUI(): Promise<void> {
  const o = 2 + Math.floor(Math.random() * 39);
  const uiPort = await freePort();
  const profileDir = profiling ? mkdtempSync(join(tmpdir(), 'skiff-bench-ui-profile-')) : undefined;
  if (profileDir) process.env.SKIFF_PROFILE_DIR = profileDir;
  const windows: TimedWindow[] = [];
  let bytesPerRequest = NaN;
  const cluster = await TestCluster.start({
    nodeIP: `127.${o}.0.1`, clusterCIDR: `127.${o}.128.0/17`,
    extraArgs: ['--service-cidr', `127.${o}.2.0/24`, '--lb-pool', `127.${o}.3.0/28`, '--ui-port', String(uiPort)],
  });
  try {
    const token = /Web view: \S+#token=([0-9a-f]+)/.exec(cluster.logs)?.[1];
    if (!token) throw new Error(`no login URL in the server output:\n${cluster.logs}`);
    await apply(cluster, app('echo', { image: 'skiff/echo', port: 8080, replicas: 3 }));
    await waitEndpoints(cluster, 'echo', 3);
    const ip = await clusterIP(cluster, 'echo');
    await waitServing(ip, 80);
    const useWrk = have('wrk', '[ui] wrk');
    const real = env('SKIFF_BENCH_UI_BLOCKS', 24);
    const placebos = env('SKIFF_BENCH_UI_PLACEBO', Math.ceil(real / 2));
    const windowMs = env('SKIFF_BENCH_UI_WINDOW_MS', 1500);
    const settleMs = env('SKIFF_BENCH_UI_SETTLE_MS', 300);
    const pid = cluster.pid!;
    const metrics = `http://${cluster.nodeIP}:10249/metrics`;
    const view = new View(uiPort, token);
    const sample = async () => ({ bytes: await requestBytes(metrics, 'default/echo'), cpu: cpuSeconds(pid), at: performance.now() });
    // windows, settles, the samples' fetches (generous: a loaded machine is slow), a warm-up
    const seconds = Math.ceil(((real + placebos) * 4 * (windowMs + settleMs + 150) * 1.5) / 1000) + 10;
    const before = load1();
    const loader = useWrk ? wrk(`http://${ip}/`, { seconds }) : nodeLoad(ip, 80, seconds);
    let loading = true;
    void loader.finally(() => (loading = false));
    await sleep(2000); // warm-up: JIT, the echo pods
    const blocks = await runBlocks({ real, placebos, windowMs, settleMs, view, sample, windows, going: () => loading });
    const total = await loader;
    const after = load1();
    const perRequest = (bytesPerRequest = (await requestBytes(metrics, 'default/echo')) / total.requests); // wrk's GET is the same bytes every time
    const reqs = (ws: Window[]) => ws.reduce((x, w) => x + w.bytes / perRequest, 0);
    const rps = (ws: Window[]) => reqs(ws) / (ws.reduce((x, w) => x + w.ms, 0) / 1000);
    const cpuPerReq = (ws: Window[]) => (ws.reduce((x, w) => x + w.cpu, 0) * 1e6) / reqs(ws);
    const realBlocks = blocks.filter((b) => !b.placebo);
    const placeboBlocks = blocks.filter((b) => b.placebo);
    const ratios = (bs: Block[], f: (ws: Window[]) => number) => bs.map((b) => f(b.b) / f(b.a));
    const closed = [...blocks.flatMap((b) => b.a), ...placeboBlocks.flatMap((b) => b.b)];
    const opened = realBlocks.flatMap((b) => b.b);
    console.log(`\n[ui] keep-alive HTTP through a ClusterIP to 3 echo pods: one ${useWrk ? 'wrk -t2 -c50' : 'Node loader (50 keep-alive connections)'} run of ${seconds} s (${total.rps.toFixed(0)} req/s overall${total.errors ? `, ${total.errors} errors` : ''}); ${realBlocks.length} blocks of four ${windowMs} ms windows (page closed/open/open/closed, then open/closed/closed/open, ...; ${settleMs} ms settle after each toggle) and ${placeboBlocks.length} placebo blocks (nothing opened) shuffled in; requests per window from the proxy's byte counters (/metrics); load average ${before} before, ${after} after`);
    if (realBlocks.length < real || placeboBlocks.length < placebos) console.log(`[ui] the load ended early: ${realBlocks.length}/${real} blocks, ${placeboBlocks.length}/${placebos} placebo blocks done`);
    console.log(`[ui] no page open:  ${rps(closed).toFixed(0).padStart(6)} req/s, ${cpuPerReq(closed).toFixed(1)} µs server CPU per request (all closed windows pooled)`);
    console.log(`[ui] one page open: ${rps(opened).toFixed(0).padStart(6)} req/s, ${cpuPerReq(opened).toFixed(1)} µs server CPU per request (open windows pooled); ${view.pushes} pushes received`);
    const r = ratios(realBlocks, rps);
    const c = ratios(realBlocks, cpuPerReq);
    console.log(`[ui] req/s open/closed per block:          ${withCI(r)}`);
    console.log(`[ui] req/s placebo (closed/closed):        ${withCI(ratios(placeboBlocks, rps))}`);
    console.log(`[ui] CPU per request open/closed:          ${withCI(c)}`);
    console.log(`[ui] CPU per request placebo:              ${withCI(ratios(placeboBlocks, cpuPerReq))}`);
    const [lo, hi] = bootstrapMedianCI(r);
    const [clo, chi] = bootstrapMedianCI(c);
    const [plo, phi] = bootstrapMedianCI(ratios(placeboBlocks, rps));
    const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
    // a verdict only where the placebo shows the estimator can tell 3 % from nothing
    const verdict = plo >= 0.97 && phi <= 1.03 ? (1 - lo < 0.03 ? 'shown' : 'not shown') : `not resolvable here: the placebo's interval is ${f3(plo)}–${f3(phi)}`;
    console.log(`[ui] the open page costs ${pct(1 - median(r))} of keep-alive req/s (95 % CI ${pct(1 - hi)} to ${pct(1 - lo)}; target < 3 %: ${verdict}), ${pct(median(c) - 1)} server CPU per request (95 % CI ${pct(clo - 1)} to ${pct(chi - 1)})`);
    await benchUIFixed({ ip, pid, metrics, view, windowMs, settleMs, loadedMsPerSecond: (cpuPerReq(closed) * rps(closed)) / 1000 });
    await benchUIScale({ kubeconfig: cluster.kubeconfig, uiPort, token, service: 'echo' });
  } finally {
    await cluster.destroy();
  }
  if (profileDir) {
    console.log(viewShare(profileDir, windows, bytesPerRequest));
    rmSync(profileDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchUI();
