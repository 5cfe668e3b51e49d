// Starts a real, throwaway etcd on loopback free ports in a temp dir; stop() kills it by PID and
// removes the data. Used by the storage etcd tests and the e2e suite.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePorts } from '../../src/util/testing.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunningEtcd {
  endpoint: string;
  stop(): Promise<void>;
}

const START_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 10_000;

/** Why etcd cannot run here, or undefined when the binary is available. */
export function etcdUnavailableReason(binary = 'etcd'): string | undefined {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8', env: etcdEnv() });
  if (probe.error) return `etcd binary not found (${probe.error.message}); install Debian package etcd-server`;
  if (probe.status !== 0) return `etcd --version failed: ${probe.stderr || probe.stdout}`;
  return undefined;
}

export async function startEtcd(options: { binary?: string } = {}): Promise<RunningEtcd> {
  const binary = options.binary ?? 'etcd';
  const reason = etcdUnavailableReason(binary);
  if (reason) throw new Error(reason);
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-etcd-'));
  const [clientPort, peerPort] = await freePorts('127.0.0.1', 2);
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'n',
    '--data-dir', join(dataDir, 'data'),
    '--listen-client-urls', client,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `n=${peer}`,
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], env: etcdEnv() });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    await killAndWait(child, exited);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitHealthy(client, child);
  } catch (err) {
    await stop();
    throw new Error(`etcd did not become healthy: ${(err as Error).message}\n${log}`);
  }
  return { endpoint: client, stop };
}

function etcdEnv(): NodeJS.ProcessEnv {
  // etcd 3.4 refuses to start on arches other than amd64 unless told this is deliberate.
  const arch = { arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', arm: 'arm', ia32: '386' }[process.arch as string];
  return arch ? { ...process.env, ETCD_UNSUPPORTED_ARCH: arch } : process.env;
}

async function waitHealthy(endpoint: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_DEADLINE_MS;
  let last = 'no response';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`etcd exited (${child.exitCode ?? child.signalCode})`);
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
      last = JSON.stringify(body);
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // poll interval, bounded by the deadline
  }
  throw new Error(`timed out after ${START_DEADLINE_MS}ms: ${last}`);
}

async function killAndWait(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  process.kill(child.pid!, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), STOP_DEADLINE_MS);
  });
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    process.kill(child.pid!, 'SIGKILL');
    await exited;
  }
}

