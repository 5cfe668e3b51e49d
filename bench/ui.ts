// What the web view costs the datapath: keep-alive req/s through a ClusterIP with no page open and with a
// page's WebSocket open (the connection observer installed, counters sampled and pushed twice a second).
// One wrk run carries the load while the page is opened and closed in short interleaved windows (off/on,
// on/off, ...), so both sides see the same machine within a second of each other; requests per window come
// from the proxy's byte counters. The figure is the median of the per-pair ratios with their spread, beside
// the noise floor of adjacent closed windows, and the skiff server's CPU per request (schedstat ns).
// Then the time from "Scale" clicked in the page to the 5th endpoint shown (bench/ui-scale.ts).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';
import { TestCluster } from '../test/support/cluster.js';
import { freePort, waitFor } from '../test/support/ports.js';
import { app, apply, clusterIP, waitEndpoints, waitServing } from './cluster.js';
import { percentile } from './stats.js';
import { have, wrk, type WrkResult } from './tools.js';
import { monotonicMicros, profiling, viewShare, type TimedWindow } from './ui-profile.js';
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

/**
 * CPU seconds the process's threads have run so far (the scheduler's ns, /proc/PID/task/T/schedstat; the
 * 10 ms ticks of /proc/PID/stat are too coarse for 2 s rounds): the skiff server carries the datapath.
 */
function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1e9;
}

/** The page's side: a WebSocket with the token, counting what the server pushes. */
class View {
  pushes = 0;
  private ws?: WebSocket;
  constructor(private readonly port: number, private readonly token: string) {}

  async open(): Promise<void> {
    const ws = (this.ws = new WebSocket(`ws://127.0.0.1:${this.port}/api/ws`, { headers: { authorization: `Bearer ${this.token}` } }));
    const seen = this.pushes;
    ws.on('message', () => this.pushes++);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    await waitFor('the snapshot', () => this.pushes > seen || undefined);
  }

  async close(): Promise<void> {
    const ws = this.ws!;
    ws.close();
    await new Promise((r) => ws.once('close', r));
  }
}

interface Window {
  /** Bytes clients sent to the Service's endpoints in the window. */
  bytes: number;
  /** skiff server CPU seconds in the window. */
  cpu: number;
  ms: number;
}

/** Client → endpoint bytes of one Service, summed over its endpoints, from the proxy's Prometheus counters. */
async function requestBytes(url: string, service: string): Promise<number> {
  const text = await (await fetch(url)).text();
  let sum = 0;
  for (const m of text.matchAll(/^skiff_proxy_endpoint_in_bytes_total\{service_port_name="([^"]*)"[^}]*\} (\d+)$/gm)) {
    if (m[1]!.split(':')[0] === service) sum += Number(m[2]);
  }
  return sum;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load1 = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const spread = (xs: number[]) => `median ${percentile(xs, 50).toFixed(3)}, quartiles ${percentile(xs, 25).toFixed(3)}–${percentile(xs, 75).toFixed(3)}, range ${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;

export async function benchUI(): Promise<void> {
  const o = 2 + Math.floor(Math.random() * 39);
  const uiPort = await freePort();
  const profileDir = profiling ? mkdtempSync(join(tmpdir(), 'skiff-bench-ui-profile-')) : undefined;
  if (profileDir) process.env.SKIFF_PROFILE_DIR = profileDir;
  const windows: TimedWindow[] = [];
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
    const pairs = Number(process.env.SKIFF_BENCH_UI_PAIRS ?? 30);
    const windowMs = Number(process.env.SKIFF_BENCH_UI_WINDOW_MS ?? 1000);
    const pid = cluster.pid!;
    const metrics = `http://${cluster.nodeIP}:10249/metrics`;
    const view = new View(uiPort, token);
    const sample = async () => ({ bytes: await requestBytes(metrics, 'default/echo'), cpu: cpuSeconds(pid) });
    const seconds = Math.ceil((2 * pairs * windowMs * 1.6) / 1000) + 4; // windows, toggles, a warm-up
    const before = load1();
    const loader = useWrk ? wrk(`http://${ip}/`, { seconds }) : nodeLoad(ip, 80, seconds);
    let loading = true;
    void loader.finally(() => (loading = false));
    await sleep(2000); // warm-up: JIT, the echo pods
    const off: Window[] = [];
    const on: Window[] = [];
    for (let i = 0; i < pairs && loading; i++) {
      // off on | on off | off on ...: neither side always second; off beside off gives the noise floor
      for (const open of i % 2 === 0 ? [false, true] : [true, false]) {
        if (open) await view.open();
        const a = await sample();
        const from = monotonicMicros();
        await sleep(windowMs);
        windows.push({ open, from, to: monotonicMicros() });
        const b = await sample();
        if (open) await view.close();
        (open ? on : off).push({ bytes: b.bytes - a.bytes, cpu: b.cpu - a.cpu, ms: windowMs });
      }
    }
    if (!loading) throw new Error(`the load ended before the ${pairs} pairs did (a ${seconds} s run); the machine is too slow for SKIFF_BENCH_UI_PAIRS=${pairs}`);
    const total = await loader;
    const after = load1();
    const perRequest = (await requestBytes(metrics, 'default/echo')) / total.requests; // wrk's GET is the same bytes every time
    const rps = (w: Window) => w.bytes / perRequest / (w.ms / 1000);
    const cpuPerReq = (w: Window) => (w.cpu * 1e6) / (w.bytes / perRequest);
    const mean = (ws: Window[], f: (w: Window) => number) => ws.reduce((x, w) => x + f(w), 0) / ws.length;
    const ratios = (f: (w: Window) => number) => on.map((w, i) => f(w) / f(off[i]!));
    const floor = (f: (w: Window) => number) => off.flatMap((w, i) => (i % 2 === 1 && off[i + 1] ? [f(off[i + 1]!) / f(w)] : []));
    const r = ratios(rps);
    const c = ratios(cpuPerReq);
    console.log(`\n[ui] keep-alive HTTP through a ClusterIP to 3 echo pods: one ${useWrk ? 'wrk -t2 -c50' : 'Node loader (50 keep-alive connections)'} run of ${seconds} s (${total.rps.toFixed(0)} req/s overall${total.errors ? `, ${total.errors} errors` : ''}), the page opened and closed in ${pairs} interleaved pairs of ${windowMs} ms windows; requests per window from the proxy's byte counters (/metrics); load average ${before} before, ${after} after`);
    console.log(`[ui] no page open:  ${mean(off, rps).toFixed(0).padStart(6)} req/s, ${mean(off, cpuPerReq).toFixed(1)} µs server CPU per request (means of the windows)`);
    console.log(`[ui] one page open: ${mean(on, rps).toFixed(0).padStart(6)} req/s, ${mean(on, cpuPerReq).toFixed(1)} µs server CPU per request; ${view.pushes} pushes received`);
    console.log(`[ui] req/s open/closed per pair: ${spread(r)}`);
    console.log(`[ui] CPU per request open/closed per pair: ${spread(c)}`);
    console.log(`[ui] noise floor, adjacent windows both closed: req/s ${spread(floor(rps))}; CPU per request ${spread(floor(cpuPerReq))}`);
    console.log(`[ui] the open page costs ${((1 - percentile(r, 50)) * 100).toFixed(1)} % of keep-alive req/s (median pair; target < 3 %), ${((percentile(c, 50) - 1) * 100).toFixed(1)} % server CPU per request`);
    await benchUIScale({ kubeconfig: cluster.kubeconfig, uiPort, token, service: 'echo' });
  } finally {
    await cluster.destroy();
  }
  if (profileDir) {
    console.log(viewShare(profileDir, windows));
    rmSync(profileDir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchUI();
