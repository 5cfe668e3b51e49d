// Issue 2's figures: cold start of `skiff server` to /readyz, and request latency through kubectl and raw HTTPS.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run, skiffBin, TestCluster } from '../test/support/cluster.js';
import { freePort } from '../test/support/ports.js';
import { fmt, median, percentile } from './stats.js';

function readyz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', rejectUnauthorized: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Milliseconds from spawning `skiff server` to the first 200 from /readyz. */
async function coldStart(dataDir?: string): Promise<number> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'skiff-bench-')));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [skiffBin, 'server', '--data-dir', dir, '--https-listen-port', String(port), '--write-kubeconfig', join(dir, 'kc'), '--network', 'loopback', '--ui-port', '0'], { stdio: 'ignore' });
  try {
    const deadline = started + 30_000;
    while (!(await readyz(port))) {
      if (performance.now() > deadline) throw new Error('skiff did not become ready in 30s');
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - started;
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    if (!dataDir) await rm(dir, { recursive: true, force: true });
  }
}

async function timed(fn: () => Promise<unknown>, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

export async function benchApiServer(): Promise<void> {
  const cold = await timed(() => coldStart(), 5);
  console.log(`skiff server cold start to /readyz (fresh data dir): median ${fmt(median(cold))} (n=5, max ${fmt(Math.max(...cold))})`);
  const kept = await mkdtemp(join(tmpdir(), 'skiff-bench-'));
  try {
    await coldStart(kept);
    const warm = await timed(() => coldStart(kept), 5);
    console.log(`skiff server restart to /readyz (existing data dir): median ${fmt(median(warm))} (n=5, max ${fmt(Math.max(...warm))})`);
  } finally {
    await rm(kept, { recursive: true, force: true });
  }
  const cluster = await TestCluster.start();
  try {
    const baseline = await timed(() => run('kubectl', ['version', '--client', '-o', 'json']), 10);
    const gets = await timed(() => cluster.k('get', 'ns'), 10);
    let i = 0;
    const creates = await timed(() => cluster.k('create', 'configmap', `bench-${i++}`, '--from-literal=k=v'), 10);
    console.log(`kubectl process start (version --client): median ${fmt(median(baseline))}`);
    console.log(`kubectl get ns: median ${fmt(median(gets))} (${(median(gets) / median(baseline)).toFixed(2)}x a bare kubectl start)`);
    console.log(`kubectl create configmap: median ${fmt(median(creates))} (${(median(creates) / median(baseline)).toFixed(2)}x a bare kubectl start)`);
    const token = await cluster.token();
    const agent = new (await import('node:https')).Agent({ keepAlive: true, rejectUnauthorized: false });
    const raw = await timed(
      () =>
        new Promise<void>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: cluster.port, path: '/api/v1/namespaces/default/configmaps/bench-0', agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
            res.resume();
            res.on('end', () => resolve());
          });
          req.on('error', reject);
          req.end();
        }),
      2000,
    );
    console.log(`raw HTTPS GET of one object (keep-alive): median ${fmt(median(raw))}, p99 ${fmt(percentile(raw, 99))} (n=2000)`);
    agent.destroy();
  } finally {
    await cluster.destroy();
  }
}
