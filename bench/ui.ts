// What the web view costs the datapath: keep-alive req/s through a ClusterIP with no page open and with a
// page's WebSocket open (the connection observer installed, counters sampled and pushed twice a second),
// interleaved in one run so both see the same machine. wrk when installed, else a Node keep-alive loader.
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
    const load = () => (useWrk ? wrk(`http://${ip}/`, { seconds }) : nodeLoad(ip, 80, seconds));
    const off: WrkResult[] = [];
    const on: WrkResult[] = [];
    let pushes = 0;
    await load(); // warm-up
    for (let round = 0; round < 3; round++) {
      off.push(await load());
      const ws = new WebSocket(`ws://127.0.0.1:${uiPort}/api/ws`, { headers: { authorization: `Bearer ${token}` } });
      ws.on('message', () => pushes++);
      await new Promise<void>((res, rej) => {
        ws.once('open', () => res());
        ws.once('error', rej);
      });
      await waitFor('the snapshot', () => pushes > 0 || undefined);
      on.push(await load());
      ws.close();
      await new Promise((r) => ws.once('close', r));
    }
    const a = sum(off);
    const b = sum(on);
    console.log(`\n[ui] keep-alive HTTP through a ClusterIP to 3 echo pods (${useWrk ? 'wrk -t2 -c50' : 'Node loader, 50 keep-alive connections'}), 3 rounds of ${seconds}s each, interleaved`);
    console.log(row('no web view open', a));
    console.log(row('web view open (observer + pushes)', b));
    console.log(`[ui] with the view open: ${ratio(b, a)}; cost ${(((a.rps - b.rps) / a.rps) * 100).toFixed(1)} % of req/s (target < 3 %); ${pushes} pushes received`);
  } finally {
    await cluster.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchUI();
