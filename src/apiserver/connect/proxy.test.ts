import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { proxyUpgrade } from './proxy.js';

/** A fake kubelet: answers the upgrade with 101, then answers every `abc` it has read with `ok`. */
function fakeKubelet(seen: string[]): net.Server {
  return net.createServer((sock) => {
    sock.setNoDelay(true);
    let buf = '';
    let upgraded = false;
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        seen.push(buf.slice(0, end));
        buf = buf.slice(end + 4);
        upgraded = true;
        sock.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
      }
      while (buf.startsWith('abc')) {
        buf = buf.slice(3);
        sock.write('ok');
      }
    });
  });
}

describe('proxyUpgrade', () => {
  const seen: string[] = [];
  const kubelet = fakeKubelet(seen);
  const apiserver = http.createServer((_, res) => res.end());
  let apiPort = 0;

  before(async () => {
    await new Promise<void>((r) => kubelet.listen(0, '127.0.0.1', r));
    const loc = { host: '127.0.0.1', port: (kubelet.address() as AddressInfo).port, path: '/portForward/default/web' };
    apiserver.on('upgrade', (req, socket, head) => void proxyUpgrade(req, socket, head, loc, { token: 'secret', scheme: 'http' }));
    await new Promise<void>((r) => apiserver.listen(0, '127.0.0.1', r));
    apiPort = (apiserver.address() as AddressInfo).port;
  });
  after(() => {
    apiserver.closeAllConnections();
    apiserver.close();
    kubelet.close();
  });

  it('forwards the request with the token and splices small writes without Nagle stalls', async () => {
    const client = net.connect(apiPort, '127.0.0.1');
    client.setNoDelay(true);
    await new Promise((r) => client.once('connect', r));
    client.write('POST /api/v1/namespaces/default/pods/web/portforward HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer user\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n\r\n');
    let got = '';
    const waitFor = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => (got.includes(text) ? (client.off('data', onData), resolve()) : undefined);
        const onData = (d: Buffer) => ((got += d.toString('latin1')), check());
        client.on('data', onData);
        check();
      });
    await waitFor('101 Switching Protocols');
    assert.match(seen[0]!, /^POST \/portForward\/default\/web HTTP\/1\.1\r\n/);
    assert.match(seen[0]!, /\r\nAuthorization: Bearer secret\r/);
    assert.doesNotMatch(seen[0]!, /Bearer user/);
    // Small frames in a row, then wait for the answer (SYN_STREAM, SYN_STREAM, DATA): with Nagle on the
    // proxy's kubelet leg a frame waits for the delayed ACK of the one before (~40 ms each on Linux).
    const rounds = 20;
    const started = performance.now();
    for (let i = 1; i <= rounds; i++) {
      client.write('a');
      await new Promise((r) => setImmediate(r));
      client.write('b');
      await new Promise((r) => setImmediate(r));
      client.write('c');
      await waitFor('ok'.repeat(i));
    }
    const elapsed = performance.now() - started;
    client.destroy();
    assert.ok(elapsed < 300, `${rounds} write-write-write-read rounds took ${elapsed.toFixed(0)} ms`);
  });
});
