/**
 * kubectl port-forward holding up: 1,000 sequential connections (each a new stream through the kubelet) and one
 * connection left idle for SKIFF_BENCH_IDLE_SECONDS (default 600, the 10 minutes) and then used.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TestCluster } from '../test/support/cluster.js';
import { freePort, waitFor } from '../test/support/ports.js';
import { probe, type Endpoint } from './cluster.js';
import { fmt, median, percentile } from './stats.js';
import { Daemon } from './tools.js';

const sequential = Number(process.env.SKIFF_BENCH_PF_CONNECTIONS ?? 1000);
const idleSeconds = Number(process.env.SKIFF_BENCH_IDLE_SECONDS ?? 600);

/** A raw TCP echo on the pod's IP: unlike an HTTP server it never closes an idle connection itself. */
async function tcpEcho(ip: string): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer((s) => {
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  const port = await freePort(ip);
  await new Promise<void>((r) => server.listen(port, ip, r));
  return { server, port };
}

async function connectionTimes(host: string, port: number, n: number): Promise<{ ok: number; times: number[] }> {
  const times: number[] = [];
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    if ((await probe(host, port, { timeoutMs: 5000 })) === 200) ok++;
    times.push(performance.now() - t);
  }
  return { ok, times };
}

/** Sends `msg` and resolves once it comes back (or rejects after 5 s / on close). */
function roundTrip(sock: net.Socket, msg: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = '';
    const timer = setTimeout(() => done(new Error(`no echo of ${JSON.stringify(msg)} within 5s`)), 5000);
    const onData = (d: Buffer) => {
      got += d.toString();
      if (got.includes(msg)) done();
    };
    const onClose = () => done(new Error('connection closed'));
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    sock.on('data', onData);
    sock.once('close', onClose);
    sock.write(msg);
  });
}

async function idleConnection(host: string, port: number): Promise<void> {
  const sock = net.connect({ host, port });
  sock.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let closedAt: number | undefined;
  const opened = performance.now();
  sock.once('close', () => (closedAt = performance.now()));
  try {
    await roundTrip(sock, 'before idle\n');
    console.log(`port-forward idle connection: open, echoed; idling ${idleSeconds} s (SKIFF_BENCH_IDLE_SECONDS)`);
    const until = performance.now() + idleSeconds * 1000;
    while (performance.now() < until && closedAt === undefined) await new Promise((r) => setTimeout(r, Math.min(1000, until - performance.now())));
    if (closedAt !== undefined) {
      console.log(`port-forward idle connection: DROPPED after ${((closedAt - opened) / 1000).toFixed(1)} s idle`);
      return;
    }
    const t = performance.now();
    await roundTrip(sock, 'after idle\n');
    console.log(`port-forward idle connection: still works after ${idleSeconds} s idle (echo in ${fmt(performance.now() - t)})`);
  } catch (err) {
    console.log(`port-forward idle connection: FAILED after ${idleSeconds} s idle: ${(err as Error).message}`);
  } finally {
    sock.destroy();
  }
}

export async function benchPortForward(c: TestCluster, opts: { pod: Endpoint; address: string }): Promise<void> {
  const { pod, address } = opts;
  const echo = await tcpEcho(pod.ip);
  const httpPort = await freePort(address);
  const echoPort = await freePort(address);
  const args = ['port-forward', '--address', address, `pod/${pod.pod}`, `${httpPort}:${pod.port}`, `${echoPort}:${echo.port}`];
  const pf = new Daemon('kubectl', args, { ...process.env, KUBECONFIG: c.kubeconfig, HOME: c.home });
  try {
    await waitFor('kubectl port-forward to listen', () => (pf.output.includes(`${address}:${echoPort}`) ? true : !pf.running ? Promise.reject(new Error(pf.output)) : undefined), 20_000);
    console.log(`\n[ingress] kubectl port-forward pod/${pod.pod} (WebSocket-tunnelled SPDY, kubectl's default): ${sequential} sequential HTTP connections`);
    const direct = await connectionTimes(pod.ip, pod.port, sequential);
    const through = await connectionTimes(address, httpPort, sequential);
    const total = through.times.reduce((a, b) => a + b, 0);
    console.log(`direct to the pod:       ${direct.ok}/${sequential} ok, median ${fmt(median(direct.times))}, p99 ${fmt(percentile(direct.times, 99))} per connection`);
    console.log(`through port-forward:    ${through.ok}/${sequential} ok, median ${fmt(median(through.times))}, p99 ${fmt(percentile(through.times, 99))} per connection, ${(total / 1000).toFixed(1)} s in all`);
    console.log(`  port-forward/direct: +${(median(through.times) - median(direct.times)).toFixed(2)} ms per connection (median)`);
    await idleConnection(address, echoPort);
    if (!pf.running) console.log(`kubectl port-forward exited: ${pf.output}`);
  } finally {
    await pf.stop();
    echo.server.close();
  }
}
