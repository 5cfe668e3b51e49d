import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { echoPorts, startEchoServer } from './echo-server.js';
import { ImageCatalog } from './catalog.js';
import { ContainerProcess } from '../runtime/process-runtime.js';
import { containerArgv } from './command.js';
import { freePort, tempDir, waitFor } from '../../util/testing.js';

test('ports come from PORTS, PORT, SERVER_PORT and SKIFF_CONTAINER_PORTS, default 8080', () => {
  assert.deepEqual(echoPorts({}), [8080]);
  assert.deepEqual(echoPorts({ SKIFF_DEFAULT_PORTS: '80' }), [80]);
  assert.deepEqual(echoPorts({ PORTS: '81, 82', PORT: '83', SERVER_PORT: '8080', SKIFF_CONTAINER_PORTS: '80,8080', SKIFF_DEFAULT_PORTS: '1' }), [81, 82, 83, 8080, 80]);
});

test('answers JSON about the pod and the request on every port of the pod IP', async () => {
  const podIP = '127.1.0.5';
  const [p1, p2] = [await freePort(podIP), await freePort(podIP)];
  const server = await startEchoServer({
    env: { POD_IP: podIP, PORT: String(p1), SKIFF_CONTAINER_PORTS: String(p2), HOSTNAME: 'web-1', POD_NAMESPACE: 'default', NODE_NAME: 'node-a' },
  });
  try {
    assert.deepEqual(server.httpAddresses, [`${podIP}:${p1}`, `${podIP}:${p2}`]);
    for (const port of [p1, p2]) {
      const res = await fetch(`http://${podIP}:${port}/some/path?x=1`, { headers: { 'x-test': 'yes' } });
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.hostname, 'web-1');
      assert.equal(body.podIP, podIP);
      assert.equal(body.podName, 'web-1');
      assert.equal(body.namespace, 'default');
      assert.equal(body.node, 'node-a');
      assert.equal(body.method, 'GET');
      assert.equal(body.path, '/some/path?x=1');
      assert.equal((body.headers as Record<string, string>)['x-test'], 'yes');
      assert.equal(body.remoteAddress, '127.0.0.1');
      assert.ok(!Number.isNaN(Date.parse(body.time as string)));
    }
  } finally {
    await server.close();
  }
});

test('health endpoints fail by env and by control requests', async () => {
  let now = 1_000_000;
  const server = await startEchoServer({ env: { PORTS: '0', FAIL_READINESS: 'true', FAIL_LIVENESS_AFTER: '5s' }, now: () => now });
  const base = `http://${server.httpAddresses[0]}`;
  const status = async (p: string, method = 'GET'): Promise<number> => (await fetch(base + p, { method })).status;
  try {
    assert.equal(await status('/readyz'), 503);
    assert.equal(await status('/healthz'), 200);
    now += 5000;
    assert.equal(await status('/healthz'), 500);
    assert.equal(await status('/control/pass-readiness', 'POST'), 200);
    assert.equal(await status('/readyz'), 200);
    assert.equal(await status('/control/fail-readiness', 'POST'), 200);
    assert.equal(await status('/readyz'), 503);
  } finally {
    await server.close();
  }
  const s2 = await startEchoServer({ env: { PORTS: '0' } });
  try {
    const b2 = `http://${s2.httpAddresses[0]}`;
    assert.equal((await fetch(`${b2}/healthz`)).status, 200);
    assert.equal((await fetch(`${b2}/control/fail-liveness`, { method: 'POST' })).status, 200);
    assert.equal((await fetch(`${b2}/healthz`)).status, 500);
  } finally {
    await s2.close();
  }
});

test('UDP echo on UDP_PORTS', async () => {
  const server = await startEchoServer({ env: { POD_IP: '127.0.0.1', PORTS: '0', UDP_PORTS: '0' } });
  const sock = dgram.createSocket('udp4');
  try {
    const [host, port] = server.udpAddresses[0]!.split(':');
    const reply = new Promise<string>((resolve) => sock.once('message', (m) => resolve(m.toString())));
    sock.send('ping-42', Number(port), host);
    assert.equal(await reply, 'ping-42');
  } finally {
    sock.close();
    await server.close();
  }
});

test('nginx-welcome mode serves the welcome page', async () => {
  const server = await startEchoServer({ env: { PORTS: '0', SKIFF_ECHO_MODE: 'nginx-welcome' } });
  try {
    const res = await fetch(`http://${server.httpAddresses[0]}/`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /<title>Welcome to nginx!<\/title>/);
    assert.equal((await fetch(`http://${server.httpAddresses[0]}/missing`)).status, 404);
  } finally {
    await server.close();
  }
});

test('runs standalone from the catalog as a container and exits 0 on SIGTERM', async () => {
  const dir = tempDir();
  const spec = new ImageCatalog({ nginxPath: null }).resolve('skiff/echo');
  assert.ok(!('error' in spec));
  const env = { POD_IP: '127.0.0.1', PORTS: '0', HOSTNAME: 'echo-pod' };
  const c = new ContainerProcess({ name: 'echo', argv: containerArgv({ image: spec, env }), env, logPath: path.join(dir, 'echo.log') });
  await c.start();
  try {
    const addr = await waitFor('echo server to listen', () => /listening on http:\/\/(\S+)/.exec(readIf(path.join(dir, 'echo.log')))?.[1]);
    const body = (await (await fetch(`http://${addr}/`)).json()) as { hostname: string };
    assert.equal(body.hostname, 'echo-pod');
    const exit = await c.stop({ gracePeriodMs: 10_000 });
    assert.equal(exit?.exitCode, 0);
    assert.equal(exit?.signal, null);
    assert.match(fs.readFileSync(path.join(dir, 'echo.log'), 'utf8'), /stdout F echo-server: SIGTERM received/);
  } finally {
    await c.stop({ gracePeriodMs: 0 });
  }
});

function readIf(file: string): string {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}
