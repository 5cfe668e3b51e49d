// What the web view costs the datapath: keep-alive req/s through a ClusterIP with no page open and with a
// page's WebSocket open (the connection observer installed, counters sampled and pushed twice a second),
// interleaved in one run so both see the same machine. wrk when installed, else a Node keep-alive loader.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { WebSocket } from 'ws';
import { TestCluster } from '../test/support/cluster.js';
import { freePort, waitFor } from '../test/support/ports.js';
import { app, apply, clusterIP, waitEndpoints, waitServing } from './cluster.js';
import { have, loadSeconds, ratio, row, wrk, type WrkResult } from './tools.js';

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

/** CPU seconds (user + system) the process used so far: the skiff server carries the datapath. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

function sum(rs: WrkResult[]): WrkResult {
  const n = rs.length;
  return {
    rps: rs.reduce((a, r) => a + r.rps, 0) / n, p50: rs.reduce((a, r) => a + r.p50, 0) / n, p99: rs.reduce((a, r) => a + r.p99, 0) / n,
    errors: rs.reduce((a, r) => a + r.errors, 0), requests: rs.reduce((a, r) => a + r.requests, 0),
  };
}

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
    const seconds = Math.max(2, loadSeconds / 2);
    const pid = cluster.pid!;
    const cpu = { off: 0, on: 0 };
    const run = () => (useWrk ? wrk(`http://${ip}/`, { seconds }) : nodeLoad(ip, 80, seconds));
    const load = async (which?: 'off' | 'on') => {
      const c0 = cpuSeconds(pid);
      const r = await run();
      if (which) cpu[which] += cpuSeconds(pid) - c0;
      return r;
    };
    const off: WrkResult[] = [];
    const on: WrkResult[] = [];
    let pushes = 0;
    const rounds = 6;
    await load(); // warm-up
    const withView = async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${uiPort}/api/ws`, { headers: { authorization: `Bearer ${token}` } });
      const seen = pushes;
      ws.on('message', () => pushes++);
      await new Promise<void>((res, rej) => {
        ws.once('open', () => res());
        ws.once('error', rej);
      });
      await waitFor('the snapshot', () => pushes > seen || undefined);
      on.push(await load('on'));
      ws.close();
      await new Promise((r) => ws.once('close', r));
    };
    // the order alternates (off, on / on, off) so neither side always runs second
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        off.push(await load('off'));
        await withView();
      } else {
        await withView();
        off.push(await load('off'));
      }
    }
    const a = sum(off);
    const b = sum(on);
    const pairs = off.map((r, i) => on[i]!.rps / r.rps);
    console.log(`\n[ui] keep-alive HTTP through a ClusterIP to 3 echo pods (${useWrk ? 'wrk -t2 -c50' : 'Node loader, 50 keep-alive connections'}), ${rounds} rounds of ${seconds}s each, interleaved`);
    console.log(row('no web view open', a));
    console.log(row('web view open (observer + pushes)', b));
    const perReq = (which: 'off' | 'on', rs: WrkResult[]) => (cpu[which] * 1e6) / rs.reduce((x, r) => x + r.requests, 0);
    const cOff = perReq('off', off);
    const cOn = perReq('on', on);
    console.log(`[ui] skiff server CPU per request: ${cOff.toFixed(1)} µs without the view, ${cOn.toFixed(1)} µs with it (${(((cOn - cOff) / cOff) * 100).toFixed(1)} %)`);
    console.log(`[ui] per round (on/off): ${pairs.map((x) => x.toFixed(3)).join(' ')}`);
    console.log(`[ui] with the view open: ${ratio(b, a)} over all rounds (round ratios show this machine's noise; CPU per request is the steadier figure; target < 3 %); ${pushes} pushes received`);
  } finally {
    await cluster.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchUI();
