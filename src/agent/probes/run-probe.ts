/**
 * One probe attempt (kubelet's pkg/probe/{http,tcp,exec}): httpGet succeeds on 200–399, tcpSocket on a
 * connection, exec on exit code 0. Output texts follow Go's, as they appear in `Unhealthy` events.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Probe } from 'kubernetes-types/core/v1.js';
import { joinHostPort } from '../../util/net.js';

/** Kubernetes' probe results; Warning counts as success (an unfollowed redirect). */
export type ProbeResult = 'Success' | 'Warning' | 'Failure' | 'Unknown';

export interface ProbeOutcome {
  result: ProbeResult;
  output: string;
  /** Set when the probe could not run at all (e.g. unknown named port): kubelet discards the result. */
  error?: string;
}

export interface ProbeContext {
  /** Default host for httpGet and tcpSocket. */
  podIP: string;
  /** Resolves a named port against the container's ports; numbers pass through. */
  resolvePort(port: number | string): number | undefined;
  /** Runs a command in the container's environment (exec probes). */
  exec?(argv: string[], opts: { timeoutMs: number }): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean }>;
  /** `kube-probe/<major>.<minor>`. */
  userAgent?: string;
}

export const PROBE_USER_AGENT = 'kube-probe/1.32';
const MAX_BODY = 10 * 1024;

export function probeTimeoutMs(probe: Probe): number {
  return Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
}

export async function runProbe(probe: Probe, ctx: ProbeContext): Promise<ProbeOutcome> {
  const timeoutMs = probeTimeoutMs(probe);
  if (probe.exec) {
    const command = probe.exec.command ?? [];
    if (!ctx.exec) return { result: 'Unknown', output: '', error: 'exec probes are not available for this container' };
    const r = await ctx.exec(command, { timeoutMs });
    if (r.timedOut) return { result: 'Failure', output: `command ${goQuote(command.join(' '))} timed out` };
    return { result: r.exitCode === 0 ? 'Success' : 'Failure', output: r.stdout + r.stderr };
  }
  if (probe.httpGet) {
    const port = ctx.resolvePort(probe.httpGet.port);
    if (port === undefined) return { result: 'Unknown', output: '', error: `unable to find port ${probeGoPort(probe.httpGet.port)}` };
    const headers: Record<string, string> = { 'User-Agent': ctx.userAgent ?? PROBE_USER_AGENT, Accept: '*/*' };
    for (const h of probe.httpGet.httpHeaders ?? []) {
      for (const k of Object.keys(headers)) if (k.toLowerCase() === h.name.toLowerCase()) delete headers[k];
      headers[h.name] = h.value;
    }
    const scheme = (probe.httpGet.scheme ?? 'HTTP').toLowerCase();
    let p = probe.httpGet.path ?? '/';
    if (!p.startsWith('/')) p = `/${p}`;
    return httpProbe({ scheme, host: probe.httpGet.host || ctx.podIP, port, path: p, headers, timeoutMs });
  }
  if (probe.tcpSocket) {
    const port = ctx.resolvePort(probe.tcpSocket.port);
    if (port === undefined) return { result: 'Unknown', output: '', error: `unable to find port ${probeGoPort(probe.tcpSocket.port)}` };
    return tcpProbe({ host: probe.tcpSocket.host || ctx.podIP, port, timeoutMs });
  }
  if (probe.grpc) return { result: 'Unknown', output: '', error: 'grpc probes are not supported by skiff' };
  return { result: 'Unknown', output: '', error: 'missing probe handler' };
}

function probeGoPort(port: number | string): string {
  return typeof port === 'number' ? String(port) : goQuote(port);
}

function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Go's net error text for a failed dial, as the probe output shows it. */
function dialError(host: string, port: number, err: NodeJS.ErrnoException): string {
  const addr = joinHostPort(host, port);
  if (err.code === 'ECONNREFUSED') return `dial tcp ${addr}: connect: connection refused`;
  if (err.code === 'EHOSTUNREACH') return `dial tcp ${addr}: connect: no route to host`;
  if (err.code === 'ECONNRESET') return `read tcp ${addr}: read: connection reset by peer`;
  return `dial tcp ${addr}: ${err.message}`;
}

export function httpProbe(o: {
  scheme: string;
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  timeoutMs: number;
}): Promise<ProbeOutcome> {
  const url = `${o.scheme}://${joinHostPort(o.host, o.port)}${o.path}`;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: ProbeOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const mod = o.scheme === 'https' ? https : http;
    const req = mod.request(
      url,
      { method: 'GET', headers: { ...o.headers, Connection: 'close' }, agent: false, rejectUnauthorized: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (body.length < MAX_BODY) body += d;
        });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          body = body.slice(0, MAX_BODY);
          if (code >= 200 && code < 300) return finish({ result: 'Success', output: body });
          if (code >= 300 && code < 400) return finish({ result: 'Warning', output: `Probe terminated redirects, Response body: ${body}` });
          finish({ result: 'Failure', output: `HTTP probe failed with statuscode: ${code}` });
        });
        res.on('error', () => finish({ result: 'Failure', output: `Get ${goQuote(url)}: unexpected EOF` }));
      },
    );
    const timer = setTimeout(
      () => finish({ result: 'Failure', output: `Get ${goQuote(url)}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)` }),
      o.timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) => finish({ result: 'Failure', output: `Get ${goQuote(url)}: ${dialError(o.host, o.port, err)}` }));
    req.end();
  });
}

export function tcpProbe(o: { host: string; port: number; timeoutMs: number }): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: o.host, port: o.port });
    const finish = (r: ProbeOutcome): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ result: 'Failure', output: `dial tcp ${joinHostPort(o.host, o.port)}: i/o timeout` }), o.timeoutMs);
    sock.once('connect', () => finish({ result: 'Success', output: '' }));
    sock.once('error', (err: NodeJS.ErrnoException) => finish({ result: 'Failure', output: dialError(o.host, o.port, err) }));
  });
}
