import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../../util/testing.js';
import { KubeletServer } from './server.js';
import type { StreamCall } from './types.js';

function get(port: number, p: string, token?: string): Promise<{ code: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: p, rejectUnauthorized: false, headers: token ? { Authorization: `Bearer ${token}` } : {} }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ code: res.statusCode!, body, type: res.headers['content-type'] }));
      })
      .on('error', reject);
  });
}

describe('kubelet API server', () => {
  const dir = tempDir();
  const file = path.join(dir, '0.log');
  const calls: StreamCall[] = [];
  let server: KubeletServer;
  before(async () => {
    fs.writeFileSync(file, '2026-01-01T00:00:01.000000000Z stdout F hello\n2026-01-01T00:00:02.000000000Z stderr F world\n');
    server = new KubeletServer({
      nodeName: 'n1',
      nodeIP: '127.0.0.1',
      port: 0,
      token: 'sekret',
      runtime: {
        findContainer: () => undefined,
        podIP: () => '127.42.0.2',
        containerLog: (o) =>
          o.pod === 'web' && o.container === 'c' && !o.previous
            ? { file, live: () => false }
            : { code: 400, message: `previous terminated container "${o.container}" in pod "${o.pod}" not found` },
      },
      streams: {
        exec: (c) => {
          calls.push(c);
          c.res?.writeHead(204).end();
        },
        attach: () => undefined,
        portForward: () => undefined,
      },
    });
    await server.listen();
  });
  after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz without a token and refuses other paths without the cluster token', async () => {
    assert.deepEqual((await get(server.port, '/healthz')).body, 'ok');
    assert.equal((await get(server.port, '/containerLogs/default/web/c')).code, 401);
    assert.equal((await get(server.port, '/containerLogs/default/web/c', 'wrong')).code, 401);
  });

  it('serves container logs as text/plain with the query options', async () => {
    const r = await get(server.port, '/containerLogs/default/web/c?tailLines=1&timestamps=true', 'sekret');
    assert.equal(r.code, 200);
    assert.equal(r.type, 'text/plain');
    assert.equal(r.body, '2026-01-01T00:00:02.000000000Z world\n');
    const bad = await get(server.port, '/containerLogs/default/web/c?previous=true', 'sekret');
    assert.deepEqual([bad.code, bad.body], [400, 'previous terminated container "c" in pod "web" not found']);
  });

  it('routes /exec to the stream handlers with the parsed route', async () => {
    const r = await get(server.port, '/exec/ns1/pod1/ctr?command=ls&command=-l&stdout=1', 'sekret');
    assert.equal(r.code, 204);
    assert.deepEqual([calls[0]!.route.namespace, calls[0]!.route.pod, calls[0]!.route.container], ['ns1', 'pod1', 'ctr']);
    assert.deepEqual(calls[0]!.route.query.getAll('command'), ['ls', '-l']);
    assert.equal((await get(server.port, '/nothing/here', 'sekret')).code, 404);
  });
});
