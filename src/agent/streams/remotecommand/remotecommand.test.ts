/**
 * remotecommand framing round trips on loopback: a client speaking SPDY/3.1 streams or WebSocket
 * channels against the real session code (spdySession, webSocketSession behind acceptWebSocket).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { SpdyConnection } from '../spdy/connection.js';
import type { SpdyStream } from '../spdy/stream.js';
import { acceptWebSocket } from '../upgrade.js';
import { waitFor } from '../../../util/testing.js';
import type { CommandOutcome, RemoteCommandOptions, RemoteCommandSession, TerminalSize } from './session.js';
import { spdySession } from './spdy.js';
import { webSocketSession } from './websocket.js';

const exited3: CommandOutcome = { kind: 'exited', exitCode: 3, command: ['sh', '-c', 'exit 3'] };
const exited3Status = {
  metadata: {},
  status: 'Failure',
  message: "command terminated with non-zero exit code: command 'sh -c exit 3' exited with 3: ",
  reason: 'NonZeroExitCode',
  details: { causes: [{ reason: 'ExitCode', message: '3' }] },
};

function readAll(r: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    r.on('data', (d: Buffer) => (s += d.toString()));
    r.on('end', () => resolve(s));
    r.on('error', reject);
  });
}

describe('remotecommand over SPDY (v4.channel.k8s.io)', () => {
  let server: net.Server;
  let port: number;
  const accepted: SpdyConnection[] = [];
  const clients: SpdyConnection[] = [];

  before(async () => {
    server = net.createServer((sock) => accepted.push(new SpdyConnection(sock, { server: true })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const c of [...clients, ...accepted]) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** A client connection and the session the server makes of it once `types` streams are open. */
  async function connect(options: RemoteCommandOptions, types: string[]): Promise<{ client: SpdyConnection; session: RemoteCommandSession; streams: Map<string, SpdyStream> }> {
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const client = new SpdyConnection(sock, { server: false });
    clients.push(client);
    const conn = await waitFor('the server side of the connection', () => accepted[clients.length - 1], 5000);
    const sessionP = spdySession(conn, options);
    const streams = new Map<string, SpdyStream>();
    for (const type of types) {
      // kubectl waits for each reply before opening the next stream
      const s = await client.openStream({ streamtype: type });
      await once(s, 'response');
      streams.set(type, s);
    }
    return { client, session: await sessionP, streams };
  }

  it('carries stdin, stdout and stderr on their streams and the exit Status on the error stream', async () => {
    const { client, session, streams } = await connect({ stdin: true, stdout: true, stderr: true, tty: false }, ['error', 'stdin', 'stdout', 'stderr']);
    assert.ok(session.stdin && session.stdout && session.stderr);
    const gotStdin = readAll(session.stdin);
    streams.get('stdin')!.end('hello from kubectl');
    assert.equal(await gotStdin, 'hello from kubectl');

    const out = readAll(streams.get('stdout')!);
    const err = readAll(streams.get('stderr')!);
    const status = readAll(streams.get('error')!);
    const closed = once(client, 'close');
    session.stdout.write('out 1 ');
    session.stdout.write('out 2');
    session.stderr.write('oops');
    await session.finish(exited3);
    assert.equal(await out, 'out 1 out 2');
    assert.equal(await err, 'oops');
    assert.deepEqual(JSON.parse(await status), exited3Status);
    await closed;
  });

  it('reads resizes split across DATA frames and ignores a malformed one; a tty session has no stderr', async () => {
    const { session, streams } = await connect({ stdin: false, stdout: true, stderr: false, tty: true }, ['error', 'stdout', 'resize']);
    assert.equal(session.stderr, undefined);
    const sizes: TerminalSize[] = [];
    session.onResize((s) => sizes.push(s));
    const resize = streams.get('resize')!;
    resize.write('{"Width":80,"Height":24}{"Width":1');
    resize.write('00,"Height":40}{not json}');
    await waitFor('two resizes', () => sizes.length >= 2 || undefined, 5000);
    assert.deepEqual(sizes, [{ width: 80, height: 24 }, { width: 100, height: 40 }]);
    const status = readAll(streams.get('error')!);
    await session.finish({ kind: 'exited', exitCode: 0, command: ['sh'] });
    assert.deepEqual(JSON.parse(await status), { metadata: {}, status: 'Success' });
  });

  it('resets a stream the options do not ask for, and tells the session when the client goes away', async () => {
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    const client = new SpdyConnection(sock, { server: false });
    clients.push(client);
    const conn = await waitFor('the server side of the connection', () => accepted[clients.length - 1], 5000);
    const sessionP = spdySession(conn, { stdin: false, stdout: true, stderr: false, tty: false });
    const stray = await client.openStream({ streamtype: 'stderr' });
    await once(stray, 'close');
    assert.equal(stray.wasReset, true);
    for (const type of ['error', 'stdout']) await once(await client.openStream({ streamtype: type }), 'response');
    const session = await sessionP;
    let gone = 0;
    session.onClientGone(() => gone++);
    client.destroy();
    await waitFor('the client gone', () => gone === 1 || undefined, 5000);
    await session.finish({ kind: 'error', message: 'too late' }); // nothing to write to: must not throw
    assert.equal(gone, 1);
  });
});

describe('remotecommand over WebSocket (v5.channel.k8s.io)', () => {
  let server: http.Server;
  let port: number;
  const sessions: RemoteCommandSession[] = [];
  let options: RemoteCommandOptions;

  before(async () => {
    server = http.createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head) => {
      void acceptWebSocket(req, socket, head, 'v5.channel.k8s.io').then((ws) => sessions.push(webSocketSession(ws, options)));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /** A client and the server's session; `frames` collects what arrives, by channel. */
  async function connect(o: RemoteCommandOptions): Promise<{ ws: WebSocket; session: RemoteCommandSession; frames: Array<[number, string]> }> {
    options = o;
    const before = sessions.length;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/exec`, ['v5.channel.k8s.io']);
    const frames: Array<[number, string]> = [];
    ws.on('message', (data: Buffer) => frames.push([data[0]!, data.subarray(1).toString()]));
    await once(ws, 'open');
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    const session = await waitFor('the session', () => sessions[before], 5000);
    return { ws, session, frames };
  }

  const send = (ws: WebSocket, channel: number, payload: string | Buffer = '') => ws.send(Buffer.concat([Buffer.from([channel]), Buffer.from(payload)]));

  it('round-trips stdin (ended by the v5 close frame), stdout, stderr, resize and the exit Status', async () => {
    const { ws, session, frames } = await connect({ stdin: true, stdout: true, stderr: true, tty: false });
    const sizes: TerminalSize[] = [];
    session.onResize((s) => sizes.push(s));
    const gotStdin = readAll(session.stdin!);
    send(ws, 0, 'typed ');
    send(ws, 0, 'text');
    send(ws, 4, '{"Width":132,"Height":43}');
    send(ws, 4, 'not json');
    send(ws, 255, Buffer.from([0]));
    assert.equal(await gotStdin, 'typed text');
    await waitFor('the resize', () => sizes.length === 1 || undefined, 5000);
    assert.deepEqual(sizes, [{ width: 132, height: 43 }]);

    const closed = once(ws, 'close');
    session.stdout!.write('out');
    session.stderr!.write('err');
    await session.finish(exited3);
    const [code] = (await closed) as [number];
    assert.equal(code, 1000);
    assert.deepEqual(frames.slice(0, 2), [[1, 'out'], [2, 'err']]);
    assert.equal(frames.length, 3);
    assert.equal(frames[2]![0], 3);
    assert.deepEqual(JSON.parse(frames[2]![1]), exited3Status);
  });

  it('tells the session when the client goes away, and only before finish', async () => {
    const { ws, session } = await connect({ stdin: true, stdout: true, stderr: false, tty: true });
    assert.equal(session.stderr, undefined);
    let gone = 0;
    session.onClientGone(() => gone++);
    const stdinEnded = once(session.stdin!, 'finish');
    ws.close();
    await waitFor('the client gone', () => gone === 1 || undefined, 5000);
    await stdinEnded; // the command's stdin ends with the connection
    await session.finish({ kind: 'error', message: 'gone' });
    assert.equal(gone, 1);
  });
});
