/** The Debian load tools the network benchmarks drive (wrk, dnsperf) and the processes they start, killed by PID. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { run } from '../test/support/cluster.js';

/** True when `tool` is on PATH; otherwise prints the skip line the benchmarks promise. */
export function have(tool: string, what: string): boolean {
  if (spawnSync('which', [tool], { stdio: 'ignore' }).status === 0) return true;
  console.log(`${what}: skipped: ${tool} not installed (apt-get install -y ${tool === 'nginx' ? 'nginx-light' : tool})`);
  return false;
}

/** Seconds per load run; SKIFF_BENCH_SECONDS shortens or lengthens every wrk/dnsperf run. */
export const loadSeconds = Number(process.env.SKIFF_BENCH_SECONDS ?? 6);

export interface WrkResult {
  rps: number;
  /** milliseconds */
  p50: number;
  p99: number;
  errors: number;
  requests: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const errs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  const errors = (errs ? errs.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (Number.isNaN(non2xx) ? 0 : non2xx);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50: toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ''),
    p99: toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ''),
    errors,
    requests: num(/(\d+) requests in/),
  };
}

/** One wrk run: 2 threads, 50 connections; `close` sends `Connection: close` so each request is a new TCP connection. */
export async function wrk(url: string, opts: { close?: boolean; connections?: number; seconds?: number; host?: string } = {}): Promise<WrkResult> {
  const args = ['-t', '2', '-c', String(opts.connections ?? 50), '-d', `${opts.seconds ?? loadSeconds}s`, '--latency', '--timeout', '5s'];
  if (opts.close) args.push('-H', 'Connection: close');
  if (opts.host) args.push('-H', `Host: ${opts.host}`);
  const r = await run('wrk', [...args, url], { timeoutMs: ((opts.seconds ?? loadSeconds) + 30) * 1000 });
  if (r.code !== 0) throw new Error(`wrk ${url} failed (${r.code}): ${r.stderr}${r.stdout}`);
  const res = parseWrk(r.stdout);
  if (Number.isNaN(res.rps)) throw new Error(`wrk output not understood:\n${r.stdout}`);
  return res;
}

export interface DnsperfResult {
  qps: number;
  /** milliseconds */
  avgLatency: number;
  lost: number;
  completed: number;
}

export async function dnsperf(server: string, queryFile: string, opts: { seconds?: number; tcp?: boolean; port?: number } = {}): Promise<DnsperfResult> {
  const args = ['-s', server, '-p', String(opts.port ?? 53), '-d', queryFile, '-l', String(opts.seconds ?? loadSeconds), '-c', '4', '-q', '100', '-t', '2'];
  if (opts.tcp) args.push('-m', 'tcp');
  const r = await run('dnsperf', args, { timeoutMs: ((opts.seconds ?? loadSeconds) + 30) * 1000 });
  const out = r.stdout + r.stderr;
  if (r.code !== 0) throw new Error(`dnsperf failed (${r.code}): ${out}`);
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    avgLatency: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    lost: num(/Queries lost:\s+(\d+)/),
    completed: num(/Queries completed:\s+(\d+)/),
  };
}

/** A long-running helper process (haproxy, nginx, kubectl port-forward) that is killed by its own PID. */
export class Daemon {
  output = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(cmd: string, args: string[], env?: NodeJS.ProcessEnv) {
    this.child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
    this.child.once('error', (err) => (this.output += `spawn error: ${err.message}`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** "0.62x rps, +0.30 ms p50" — a measurement against its baseline. */
export function ratio(a: WrkResult, base: WrkResult): string {
  const d = a.p50 - base.p50;
  return `${(a.rps / base.rps).toFixed(2)}x rps, ${d >= 0 ? '+' : ''}${d.toFixed(2)} ms p50`;
}

export function row(label: string, r: WrkResult): string {
  const err = r.errors ? `, ${r.errors} errors` : '';
  return `${label.padEnd(44)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2).padStart(6)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms${err}`;
}
