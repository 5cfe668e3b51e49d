import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { runProbe, type ProbeContext } from './run-probe.js';
import { ContainerProcess } from '../runtime/process-runtime.js';
import { freePort, tempDir } from '../../util/testing.js';

async function withServer(handler: http.RequestListener, fn: (port: number) => Promise<void>): Promise<void> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    await fn((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

function ctx(ports: Record<string, number> = {}): ProbeContext {
  return { podIP: '127.0.0.1', resolvePort: (p) => (typeof p === 'number' ? p : ports[p]) };
}

test('httpGet: 200–399 succeed, others fail with the status code; headers and User-Agent', async () => {
  const seen: http.IncomingHttpHeaders[] = [];
  await withServer(
    (req, res) => {
      seen.push(req.headers);
      const code = Number(new URL(req.url!, 'http://x').searchParams.get('code') ?? '200');
      res.writeHead(code, code >= 300 && code < 400 ? { location: '/elsewhere' } : {});
      res.end('body');
    },
    async (port) => {
      const probe = (code: number) => ({ httpGet: { port: 'http', path: `/healthz?code=${code}`, httpHeaders: [{ name: 'X-Custom', value: 'v' }] } });
      assert.deepEqual(await runProbe(probe(200), ctx({ http: port })), { result: 'Success', output: 'body' });
      assert.equal((await runProbe(probe(302), ctx({ http: port }))).result, 'Warning');
      assert.equal((await runProbe(probe(399), ctx({ http: port }))).result, 'Warning');
      assert.deepEqual(await runProbe(probe(500), ctx({ http: port })), { result: 'Failure', output: 'HTTP probe failed with statuscode: 500' });
      assert.equal((await runProbe(probe(404), ctx({ http: port }))).result, 'Failure');
      assert.equal(seen[0]!['user-agent'], 'kube-probe/1.32');
      assert.equal(seen[0]!['x-custom'], 'v');
      assert.equal(seen[0]!.host, `127.0.0.1:${port}`);
      await runProbe({ httpGet: { port, httpHeaders: [{ name: 'user-agent', value: 'mine' }, { name: 'Host', value: 'example.test' }] } }, ctx());
      assert.equal(seen.at(-1)!['user-agent'], 'mine');
      assert.equal(seen.at(-1)!.host, 'example.test');
    },
  );
});

test('httpGet: connection refused, timeout and unknown named port', async () => {
  const port = await freePort();
  assert.deepEqual(await runProbe({ httpGet: { port, path: '/healthz' } }, ctx()), {
    result: 'Failure',
    output: `Get "http://127.0.0.1:${port}/healthz": dial tcp 127.0.0.1:${port}: connect: connection refused`,
  });
  await withServer(
    () => {
      /* never answers */
    },
    async (p) => {
      const t0 = Date.now();
      const r = await runProbe({ httpGet: { port: p, path: '/slow' }, timeoutSeconds: 1 }, ctx());
      assert.equal(r.result, 'Failure');
      assert.equal(r.output, `Get "http://127.0.0.1:${p}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
      assert.ok(Date.now() - t0 >= 900);
    },
  );
  const r = await runProbe({ httpGet: { port: 'metrics' } }, ctx());
  assert.equal(r.result, 'Unknown');
  assert.equal(r.error, 'unable to find port "metrics"');
});

test('tcpSocket: open port succeeds, closed port fails', async () => {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as AddressInfo).port;
    assert.equal((await runProbe({ tcpSocket: { port } }, ctx())).result, 'Success');
  } finally {
    server.close();
  }
  const closed = await freePort();
  assert.deepEqual(await runProbe({ tcpSocket: { port: closed } }, ctx()), {
    result: 'Failure',
    output: `dial tcp 127.0.0.1:${closed}: connect: connection refused`,
  });
});

test('exec: exit 0 succeeds, output is reported, timeouts fail', async () => {
  const dir = tempDir();
  const c = new ContainerProcess({ name: 'app', argv: ['sleep', '1000'], env: { PATH: '/usr/bin:/bin', HEALTHY: 'no' }, logPath: path.join(dir, 'l') });
  await c.start();
  try {
    const exec: ProbeContext['exec'] = (argv, o) => c.exec(argv, o);
    const probeCtx = { ...ctx(), exec };
    assert.equal((await runProbe({ exec: { command: ['true'] } }, probeCtx)).result, 'Success');
    assert.deepEqual(await runProbe({ exec: { command: ['sh', '-c', 'echo "healthy=$HEALTHY"; exit 1'] } }, probeCtx), {
      result: 'Failure',
      output: 'healthy=no\n',
    });
    assert.deepEqual(await runProbe({ exec: { command: ['sleep', '5'] }, timeoutSeconds: 1 }, probeCtx), {
      result: 'Failure',
      output: 'command "sleep 5" timed out',
    });
  } finally {
    await c.stop({ gracePeriodMs: 0 });
  }
});
