// What the web view costs the datapath: keep-alive req/s through a ClusterIP with no page open and with a
// page's WebSocket open (the connection observer installed, counters sampled and pushed twice a second),
// in short interleaved rounds (off/on, then on/off, ...) with the same wrk settings, so both sides see the
// same machine; the figure is the median of the per-pair ratios with their spread, and the skiff server's
// CPU per request. Then the time from "Scale" clicked in the page to the 5th endpoint shown (bench/ui-scale.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';
import { TestCluster } from '../test/support/cluster.js';
import { freePort, waitFor } from '../test/support/ports.js';
import { app, apply, clusterIP, waitEndpoints, waitServing } from './cluster.js';
import { percentile } from './stats.js';
import { have, loadSeconds, wrk, type WrkResult } from './tools.js';
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

interface Round {
  rps: number;
  /** skiff server CPU µs per request. */
  cpu: number;
  requests: number;
  errors: number;
}

/** The page's side: a WebSocket with the token, counting what the server pushes. */
class View {
  pushes = 0;
  rows = 0;
  private ws?: WebSocket;
  constructor(private readonly port: number, private readonly token: string) {}

  async open(): Promise<void> {
    const ws = (this.ws = new WebSocket(`ws://127.0.0.1:${this.port}/api/ws`, { headers: { authorization: `Bearer ${this.token}` } }));
    const seen = this.pushes;
    ws.on('message', (data: Buffer) => {
      this.pushes++;
      const msg = JSON.parse(data.toString()) as { type: string; rows?: unknown[] };
      if (msg.type === 'connections') this.rows += msg.rows?.length ?? 0;
    });
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

const load1 = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const spread = (xs: number[]) => `median ${percentile(xs, 50).toFixed(3)}, quartiles ${percentile(xs, 25).toFixed(3)}–${percentile(xs, 75).toFixed(3)}, range ${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;

export async function benchUI(): Promise<void> {
  const o = 2 + Math.floor(Math.random() * 39);
  const uiPort = await freePort();
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
    const seconds = Math.max(2, Math.round(loadSeconds / 3));
    const pairs = Number(process.env.SKIFF_BENCH_UI_PAIRS ?? 16);
    const pid = cluster.pid!;
    const load = async (): Promise<Round> => {
      const c0 = cpuSeconds(pid);
      const r = await (useWrk ? wrk(`http://${ip}/`, { seconds }) : nodeLoad(ip, 80, seconds));
      return { rps: r.rps, cpu: ((cpuSeconds(pid) - c0) * 1e6) / r.requests, requests: r.requests, errors: r.errors };
    };
    const view = new View(uiPort, token);
    const withView = async () => {
      await view.open();
      const r = await load();
      await view.close();
      return r;
    };
    const before = load1();
    await load(); // warm-up: JIT, connection pools, the echo pods
    const off: Round[] = [];
    const on: Round[] = [];
    /** Adjacent rounds without a page (the order off on | on off | off on ... puts off beside off): the noise floor. */
    const aa: Array<[Round, Round]> = [];
    for (let i = 0; i < pairs; i++) {
      // the order alternates so neither side always runs second
      if (i % 2 === 0) {
        off.push(await load());
        if (i > 0) aa.push([off[i - 1]!, off[i]!]);
        on.push(await withView());
      } else {
        on.push(await withView());
        off.push(await load());
      }
    }
    const after = load1();
    const rps = on.map((r, i) => r.rps / off[i]!.rps);
    const cpu = on.map((r, i) => r.cpu / off[i]!.cpu);
    const mean = (rs: Round[], f: (r: Round) => number) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
    const errors = [...off, ...on].reduce((a, r) => a + r.errors, 0);
    console.log(`\n[ui] keep-alive HTTP through a ClusterIP to 3 echo pods (${useWrk ? 'wrk -t2 -c50' : 'Node loader, 50 keep-alive connections'}), ${pairs} pairs of ${seconds} s rounds, interleaved; load average ${before} before, ${after} after`);
    console.log(`[ui] no page open:   ${mean(off, (r) => r.rps).toFixed(0).padStart(6)} req/s, ${mean(off, (r) => r.cpu).toFixed(1)} µs server CPU per request (means of the rounds)`);
    console.log(`[ui] one page open:  ${mean(on, (r) => r.rps).toFixed(0).padStart(6)} req/s, ${mean(on, (r) => r.cpu).toFixed(1)} µs server CPU per request; ${view.pushes} pushes, ${view.rows} connection rows received${errors ? `; ${errors} errors` : ''}`);
    console.log(`[ui] req/s open/closed per pair: ${spread(rps)}`);
    console.log(`[ui] CPU per request open/closed per pair: ${spread(cpu)}`);
    console.log(`[ui] pairs (req/s ratio): ${rps.map((x) => x.toFixed(3)).join(' ')}`);
    if (aa.length > 1) {
      console.log(`[ui] noise floor, adjacent rounds both without a page: req/s ${spread(aa.map(([a, b]) => b.rps / a.rps))}; CPU per request ${spread(aa.map(([a, b]) => b.cpu / a.cpu))}`);
    }
    const cost = (1 - percentile(rps, 50)) * 100;
    console.log(`[ui] the open page costs ${cost.toFixed(1)} % of keep-alive req/s (median pair; target < 3 %), ${((percentile(cpu, 50) - 1) * 100).toFixed(1)} % server CPU per request`);
    await benchUIScale({ uiPort, token, service: 'echo' });
  } finally {
    await cluster.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchUI();
