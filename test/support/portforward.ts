// `kubectl port-forward` as a child process for e2e tests: started, awaited on its "Forwarding from"
// lines, and killed by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import type { TestCluster } from './cluster.js';
import { run } from './cluster.js';
import { waitFor } from './ports.js';

export interface PortForward {
  readonly pid: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code once kubectl has exited by itself (null while running or when killed). */
  readonly exitCode: number | null;
  /** SIGTERM (SIGKILL after 5 s) and wait for the exit. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/**
 * Runs `kubectl port-forward ARGS` and resolves once it printed one `Forwarding from` line per
 * `listeners` (ports × addresses). `websockets: false` sets KUBECTL_PORT_FORWARD_WEBSOCKETS=false (plain SPDY).
 */
export async function startPortForward(cluster: TestCluster, args: string[], opts: { websockets?: boolean; listeners?: number } = {}): Promise<PortForward> {
  const env = { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: cluster.home, KUBECTL_PORT_FORWARD_WEBSOCKETS: opts.websockets === false ? 'false' : 'true' };
  const child = spawn('kubectl', ['port-forward', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<void>((r) => child.once('exit', () => (running.delete(child), r())));
  const pf: PortForward = {
    pid: child.pid!,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get exitCode() {
      return child.exitCode;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid!, 'SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    },
  };
  const want = opts.listeners ?? 1;
  try {
    await waitFor(`kubectl port-forward ${args.join(' ')} to listen`, () => {
      if (child.exitCode !== null) throw new Error(`kubectl exited (${child.exitCode}): ${stderr}`);
      return (stdout.match(/^Forwarding from /gm)?.length ?? 0) >= want || undefined;
    }, 20_000);
  } catch (err) {
    await pf.stop();
    throw new Error(`${(err as Error).message}\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
  return pf;
}

/** Kills every port-forward still running (for `after` hooks). */
export async function stopAllPortForwards(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((r) => {
          if (child.exitCode !== null || child.signalCode !== null) return r();
          child.once('exit', () => r());
          process.kill(child.pid!, 'SIGKILL');
        }),
    ),
  );
}

export interface HttpAnswer {
  status: number;
  body: string;
  /** Time to the first response byte (curl's time_starttransfer). */
  ttfbMs: number;
}

/** One curl request (its own connection); curl failing (connect refused, TLS) rejects with curl's stderr. */
export async function curl(args: string[]): Promise<HttpAnswer> {
  const r = await run('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', '\n%{http_code} %{time_starttransfer}', ...args]);
  if (r.code !== 0) throw new Error(`curl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  const nl = r.stdout.lastIndexOf('\n');
  const [status, ttfb] = r.stdout.slice(nl + 1).split(' ');
  return { body: r.stdout.slice(0, nl), status: Number(status), ttfbMs: Number(ttfb) * 1000 };
}

/** The echo app's JSON answer (hostname = pod name). */
export function echoAnswer(a: HttpAnswer): { hostname: string; podIP: string; path: string; headers: Record<string, string> } {
  try {
    return JSON.parse(a.body) as { hostname: string; podIP: string; path: string; headers: Record<string, string> };
  } catch {
    throw new Error(`not an echo answer (${a.status}): ${a.body.slice(0, 300)}`);
  }
}
