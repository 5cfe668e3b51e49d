import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { parsePortMappings, startForwarder } from './port-forwarder.js';
import { parseNetworkFlag, loopbackFlag } from './network.js';

test('--port-mapping takes NODEPORT or HOSTPORT:NODEPORT, comma-separated and repeated', () => {
  assert.deepEqual(parsePortMappings('30008,8080:30009', parsePortMappings('30010')), [{ hostPort: 30010, nodePort: 30010 }, { hostPort: 30008, nodePort: 30008 }, { hostPort: 8080, nodePort: 30009 }]);
  assert.throws(() => parsePortMappings('x'), /"x": expected NODEPORT or HOSTPORT:NODEPORT/);
  assert.throws(() => parsePortMappings('70000'), /expected NODEPORT/);
});

test('--network and when auto means loopback', () => {
  assert.equal(parseNetworkFlag('netns'), 'netns');
  assert.throws(() => parseNetworkFlag('host'), /must be auto, loopback or netns/);
  assert.equal(loopbackFlag([['--node-ip', '127.0.0.2'], ['--cluster-cidr', undefined]]), '--node-ip 127.0.0.2 is in 127.0.0.0/8');
  assert.equal(loopbackFlag([['--cluster-cidr', '10.42.0.0/16']]), undefined);
});

test('the forwarder splices connections to its target', async () => {
  const target = net.createServer((s) => s.end('hello\n'));
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const port = (target.address() as net.AddressInfo).port;
  const fwd = await startForwarder({ listenHost: '127.0.0.1', listenPort: 0, targetHost: '127.0.0.1', targetPort: port });
  const got = await new Promise<string>((resolve, reject) => {
    let data = '';
    net.connect(fwd.port, '127.0.0.1').on('data', (d) => (data += d.toString())).on('end', () => resolve(data)).on('error', reject);
  });
  assert.equal(got, 'hello\n');
  await fwd.close();
  target.close();
});
