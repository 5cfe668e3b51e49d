/** Helpers for the agent's tests: condition waits (no sleeps as synchronisation) and free loopback ports. */
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, o: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 10_000);
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${o.what ?? 'condition'}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A port free on `host` right now (listen on 0, close). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve());
  });
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const tempDirs: string[] = [];
process.once('exit', () => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A temp dir for a test, removed when the test process exits. */
export function tempDir(prefix = 'skiff-agent-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}
