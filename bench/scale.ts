/**
 * Control plane at scale: N Services (2,000 by default) created at once in one namespace, the rate their
 * EndpointSlices appear, the memory the server then holds, and how long deleting that namespace takes.
 * Runs the server from source; SKIFF_BENCH_BASELINE_SRC=/path/to/other/src runs that tree first, the same
 * way, for before/after figures side by side. SKIFF_BENCH_SCALE_SERVICES sets N.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, waitFor } from '../test/support/ports.js';

const count = Number(process.env.SKIFF_BENCH_SCALE_SERVICES ?? 2000);
const phaseLimitMs = Number(process.env.SKIFF_BENCH_SCALE_LIMIT_S ?? 300) * 1000;

interface Server {
  child: ChildProcess;
  port: number;
  token: string;
  dir: string;
  agent: Agent;
}

async function startServer(src: string): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-scale-'));
  const port = await freePort();
  const o = 2 + Math.floor(Math.random() * 39);
  const prof = process.env.SKIFF_BENCH_SCALE_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.SKIFF_BENCH_SCALE_PROF_DIR] : [];
  const args = [...prof, '--import', 'tsx', join(src, 'cli', 'main.ts'), 'server', '--data-dir', dir, '--https-listen-port', String(port), '--write-kubeconfig', join(dir, 'kubeconfig'),
    '--disable-agent', '--lb-pool', '', '--node-ip', `127.${o}.0.1`, '--cluster-cidr', `127.${o}.128.0/17`, '--service-cidr', `127.${o}.16.0/20`, '--disable', 'traefik,coredns'];
  const child = spawn(process.execPath, args, { cwd: dirname(src), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(`server from ${src} ready`, () => (out.includes('skiff is ready') ? true : child.exitCode !== null ? Promise.reject(new Error(out)) : undefined), 60_000, 100);
  const token = (await readFile(join(dir, 'server', 'token'), 'utf8')).trim();
  return { child, port, token, dir, agent: new Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }) };
}

async function stopServer(s: Server): Promise<void> {
  s.agent.destroy();
  if (s.child.exitCode === null) {
    const gone = new Promise((r) => s.child.once('exit', r));
    s.child.kill('SIGTERM');
    const t = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
  }
  await rm(s.dir, { recursive: true, force: true });
}

function api(s: Server, method: string, path: string, body?: unknown): Promise<{ code: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Authorization: `Bearer ${s.token}` };
    if (data) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(data)) });
    const req = request({ host: '127.0.0.1', port: s.port, method, path, headers, agent: s.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** VmRSS / VmHWM of the server process, in MB. */
function memoryMB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function slicesIn(s: Server, ns: string): Promise<number> {
  const r = await api(s, 'GET', `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`);
  return (JSON.parse(r.body) as { items: unknown[] }).items.length;
}

interface Figures {
  servicesPerSec: number;
  slicesPerSec: number;
  slicesSeconds: number;
  rssMB: number;
  peakMB: number;
  deleteSeconds: number;
  done: boolean;
}

async function measure(src: string): Promise<Figures> {
  const s = await startServer(src);
  try {
    const ns = 'scale';
    await api(s, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
    const t0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < count) {
        const i = next++;
        const r = await api(s, 'POST', `/api/v1/namespaces/${ns}/services`, { metadata: { name: `svc-${i}` }, spec: { selector: { app: `app-${i}` }, ports: [{ port: 80, targetPort: 8080 }] } });
        if (r.code !== 201) throw new Error(`create svc-${i}: ${r.code} ${r.body}`);
      }
    }));
    const t1 = performance.now();
    let done = true;
    await waitFor('every Service has its EndpointSlice', async () => ((await slicesIn(s, ns)) >= count ? true : undefined), phaseLimitMs, 200).catch(() => (done = false));
    const t2 = performance.now();
    const mem = memoryMB(s.child.pid!);
    const t3 = performance.now();
    await api(s, 'DELETE', `/api/v1/namespaces/${ns}`);
    await waitFor('namespace deleted', async () => ((await api(s, 'GET', `/api/v1/namespaces/${ns}`)).code === 404 ? true : undefined), phaseLimitMs, 200).catch(() => (done = false));
    const t4 = performance.now();
    return { servicesPerSec: count / ((t1 - t0) / 1000), slicesPerSec: count / ((t2 - t0) / 1000), slicesSeconds: (t2 - t0) / 1000, rssMB: mem.rss, peakMB: mem.peak, deleteSeconds: (t4 - t3) / 1000, done };
  } finally {
    await stopServer(s);
  }
}

function line(name: string, f: Figures): string {
  const cap = f.done ? '' : ` (stopped at the ${phaseLimitMs / 1000} s limit)`;
  return `${name.padEnd(36)} services ${f.servicesPerSec.toFixed(0).padStart(5)}/s  slices ${f.slicesPerSec.toFixed(0).padStart(5)}/s (${f.slicesSeconds.toFixed(1)} s)  RSS ${f.rssMB.toFixed(0)} MB (peak ${f.peakMB.toFixed(0)})  namespace deletion ${f.deleteSeconds.toFixed(1)} s${cap}`;
}

export async function benchScale(): Promise<void> {
  console.log(`[scale] ${count} Services with a selector (no pods: one placeholder slice each), 16 clients; control plane only, run from source`);
  const baseline = process.env.SKIFF_BENCH_BASELINE_SRC;
  if (baseline) console.log(line(`baseline (${baseline})`, await measure(resolve(baseline))));
  console.log(line('this tree', await measure(resolve(import.meta.dirname, '..', 'src'))));
}

if (import.meta.url === `file://${process.argv[1]}`) await benchScale();
