/**
 * The test helpers every test shares (unit, integration and e2e): condition waits instead of sleeps,
 * free loopback ports, temp dirs. test/support/ports.ts re-exports these for the e2e tests.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Polls `check` until it returns a value other than undefined/false (a throw counts as not yet and
 * its message is kept for the timeout error). Polls fast at first, then every `intervalMs`.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  intervalMs = 50,
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (let delay = Math.min(2, intervalMs); ; delay = Math.min(delay * 2, intervalMs)) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as Exclude<T, false>;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Distinct ports free on `host` right now: all are held at once so the kernel cannot hand one out twice. */
export async function freePorts(host: string, n: number, protocol: 'TCP' | 'UDP' = 'TCP'): Promise<number[]> {
  const held: Array<{ port: number; close(): Promise<void> }> = [];
  try {
    for (let i = 0; i < n; i++) {
      if (protocol === 'UDP') {
        const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.bind(0, host, () => resolve());
        });
        held.push({ port: s.address().port, close: () => new Promise((r) => s.close(() => r())) });
      } else {
        const srv = net.createServer();
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(0, host, () => resolve());
        });
        held.push({ port: (srv.address() as net.AddressInfo).port, close: () => new Promise((r) => srv.close(() => r())) });
      }
    }
  } finally {
    await Promise.all(held.map((h) => h.close()));
  }
  return held.map((h) => h.port);
}

/** A port free on `host` right now (the kernel picks it; bind races are unlikely for tests). */
export async function freePort(host = '127.0.0.1', protocol: 'TCP' | 'UDP' = 'TCP'): Promise<number> {
  return (await freePorts(host, 1, protocol))[0]!;
}

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A temp dir for a test, removed when the test process exits. */
export function tempDir(prefix = 'skiff-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
