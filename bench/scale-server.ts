/**
 * A `skiff server` built from a source tree for the control-plane benches (scale.ts, fleet.ts): start and
 * stop, raw API requests, a watch that follows a collection, and the server process's memory, CPU time
 * and served watches (bench/server-probe.mjs, loaded into the server).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort, waitFor } from '../test/support/ports.js';

export interface BenchServer {
  child: ChildProcess;
  port: number;
  token: string;
  dir: string;
  agent: Agent;
  /** 127.O.0.0/16 holds this server's node IP, pod and service ranges. */
  octet: number;
}

export interface StartOptions {
  /** Packaged components not to run (`--disable`); traefik and coredns by default. */
  disable?: string;
  extraArgs?: string[];
}

export async function startServer(src: string, o: StartOptions = {}): Promise<BenchServer> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-scale-'));
  const port = await freePort();
  const octet = 2 + Math.floor(Math.random() * 39);
  const prof = process.env.SKIFF_BENCH_SCALE_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.SKIFF_BENCH_SCALE_PROF_DIR] : [];
  const probe = ['--import', join(import.meta.dirname, 'server-probe.mjs')];
  const args = [...prof, ...probe, builtMain(src), 'server', '--data-dir', dir, '--https-listen-port', String(port), '--write-kubeconfig', join(dir, 'kubeconfig'),
    '--disable-agent', '--lb-pool', '', '--node-ip', `127.${octet}.0.1`, '--cluster-cidr', `127.${octet}.128.0/17`, '--service-cidr', `127.${octet}.16.0/20`, '--disable', o.disable ?? 'traefik,coredns', ...(o.extraArgs ?? [])];
  const env = { ...process.env, SKIFF_BENCH_PROBE_FILE: join(dir, 'probe.json') };
  const child = spawn(process.execPath, args, { cwd: dirname(src), stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(`server from ${src} ready`, () => (out.includes('skiff is ready') ? true : child.exitCode !== null ? Promise.reject(new Error(out)) : undefined), 90_000, 100).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}; its output:\n${out.slice(-3000)}`);
  });
  const token = (await readFile(join(dir, 'server', 'token'), 'utf8')).trim();
  return { child, port, token, dir, agent: new Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false }), octet };
}

/**
 * The tree's built server (dist/cli/main.js, what `bin/skiff.js` runs), built first when any source file is
 * newer: what users run. Source run through tsx carries its transforms (esbuild's keepNames wrappers on every
 * closure): the field manager took 60–67 µs per Service create there against 39 µs built.
 */
function builtMain(src: string): string {
  const tree = dirname(src);
  const main = join(tree, 'dist', 'cli', 'main.js');
  const builtAt = existsSync(main) ? statSync(main).mtimeMs : 0;
  const newest = readdirSync(src, { recursive: true, encoding: 'utf8' }).reduce((m, f) => Math.max(m, statSync(join(src, f)).mtimeMs), 0);
  if (newest > builtAt) {
    console.log(`[bench] building ${tree} (its source is newer than dist)`);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: tree, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return main;
}

export async function stopServer(s: BenchServer): Promise<void> {
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

export function api(s: BenchServer, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ code: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Authorization: `Bearer ${s.token}` };
    if (data) Object.assign(headers, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(data)) });
    const req = request({ host: '127.0.0.1', port: s.port, method, path, headers, agent: s.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolvePromise({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Runs `fn` over 0..n-1 with `clients` requests in flight. */
export async function inParallel(n: number, clients: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < n) await fn(next++);
  }));
}

export interface Followed<T> {
  /** The objects the watch has seen and not seen deleted, by name. */
  objects: Map<string, T>;
  stop(): void;
}

/** Follows a collection with one watch (no polling LIST loading the server being measured). */
export function follow<T extends { metadata: { name: string } }>(s: BenchServer, path: string): Followed<T> {
  const objects = new Map<string, T>();
  const agent = new Agent({ keepAlive: false, rejectUnauthorized: false });
  const sep = path.includes('?') ? '&' : '?';
  const req = request({ host: '127.0.0.1', port: s.port, method: 'GET', path: `${path}${sep}watch=true&allowWatchBookmarks=false`, headers: { Authorization: `Bearer ${s.token}` }, agent }, (res) => {
    let buf = '';
    res.on('data', (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const ev = JSON.parse(line) as { type: string; object: T };
        if (ev.type === 'DELETED') objects.delete(ev.object.metadata.name);
        else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') objects.set(ev.object.metadata.name, ev.object);
      }
    });
    res.on('error', () => undefined);
  });
  req.on('error', () => undefined);
  req.end();
  return {
    objects,
    stop() {
      req.destroy();
      agent.destroy();
    },
  };
}

/** VmRSS / VmHWM of the server process, in MB. */
export function memoryMB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** User + system CPU seconds the server process has used (clock ticks of /proc/PID/stat, 100 Hz). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The watches the API server serves now (bench/server-probe.mjs). */
export function servedWatches(s: BenchServer): { watches: number; peak: number } {
  try {
    return JSON.parse(readFileSync(join(s.dir, 'probe.json'), 'utf8')) as { watches: number; peak: number };
  } catch {
    return { watches: -1, peak: -1 };
  }
}

/** The load average and how long the machine has been up, for the figures' context. */
export function uptimeLine(): string {
  const [l1, l5, l15] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return `load average ${l1}, ${l5}, ${l15}`;
}
