// The real curl and dig as e2e tests drive them against Service addresses.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { run } from './cluster.js';

/**
 * `n` HTTP requests with curl's URL globbing, each on a new connection (`Connection: close`, so every
 * request is a fresh pick by the proxy); returns the echo app's `hostname` of each answer.
 */
export async function curlHostnames(url: string, n: number, opts: { from?: string } = {}): Promise<string[]> {
  const args = ['-sS', '--max-time', '20', '-H', 'Connection: close'];
  if (opts.from) args.push('--interface', opts.from);
  args.push(`${url.replace(/\/$/, '')}/req[1-${n}]`);
  const r = await run('curl', args);
  assert.equal(r.code, 0, `curl ${url} x${n}: ${r.stderr}`);
  const names = [...r.stdout.matchAll(/"hostname": "([^"]+)"/g)].map((m) => m[1]!);
  assert.equal(names.length, n, `expected ${n} echo answers from ${url}, got:\n${r.stdout.slice(0, 500)}`);
  return names;
}

/** One GET with curl; the body (asserts success). */
export async function curl(url: string, extra: string[] = []): Promise<string> {
  const r = await run('curl', ['-sS', '--max-time', '5', ...extra, url]);
  assert.equal(r.code, 0, `curl ${url}: ${r.stderr}`);
  return r.stdout;
}

/** The echo app's JSON answer. */
export async function curlEcho(url: string): Promise<{ hostname: string; podIP: string; node: string; headers: Record<string, string> }> {
  return JSON.parse(await curl(url));
}

export function tally(ids: string[]): Map<string, number> {
  return ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());
}

/** Connects and reports how the attempt ended and how long it took (a refusal must be immediate). */
export function connectOutcome(host: string, port: number): Promise<{ error?: string; ms: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => s.destroy(new Error('ETIMEDOUT (test bound)')), 5000);
    let error: string | undefined;
    s.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    s.on('data', () => s.destroy());
    s.on('connect', () => s.setTimeout(2000, () => s.destroy()));
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ error, ms: performance.now() - start });
    });
  });
}

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[][];
  authority: string[][];
}

/** Runs dig and splits its default output into header status/flags and sections of record fields. */
export async function dig(server: string, args: string[], port = 53): Promise<DigResult> {
  const r = await run('dig', [`@${server}`, '-p', String(port), '+tries=2', '+time=3', ...args]);
  assert.equal(r.code, 0, `dig ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  const out: DigResult = { status: '', flags: [], answer: [], authority: [] };
  let section: 'answer' | 'authority' | undefined;
  for (const line of r.stdout.split('\n')) {
    const status = /status: (\w+)/.exec(line);
    if (status) out.status = status[1]!;
    const flags = /^;; flags: ([^;]*);/.exec(line);
    if (flags) out.flags = flags[1]!.trim().split(/\s+/);
    const head = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (head) section = head[1] === 'ADDITIONAL' ? undefined : (head[1]!.toLowerCase() as typeof section);
    else if (line.trim() === '') section = undefined;
    else if (section && !line.startsWith(';')) out[section].push(line.trim().split(/\s+/));
  }
  return out;
}

/** `name ttl IN type data...` → `type data...`, sorted. */
export const rdata = (rows: string[][]): string[] => rows.map((f) => [f[3], ...f.slice(4)].join(' ')).sort();

/** PIDs of live processes whose environment has a POD_IP starting with `prefix` (pods of one cluster). */
export function podProcesses(prefix: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (/\) [ZX] /.test(readFileSync(`/proc/${name}/stat`, 'utf8'))) continue;
      if (`\0${readFileSync(`/proc/${name}/environ`, 'latin1')}`.includes(`\0POD_IP=${prefix}`)) pids.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}
