import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { SpdyConnection } from './connection.js';
import { spdyDictionary } from './dictionary.js';
import { FLAG_FIN, FrameType, dataFrame, decodeHeaderBlock, encodeHeaderBlock, parseFrames, pingFrame, synStreamFrame } from './frames.js';
import { HeaderCompressor, HeaderDecompressor } from './header-codec.js';
import type { SpdyStream } from './stream.js';

function adler32(buf: Buffer): number {
  let a = 1;
  let b = 0;
  for (const x of buf) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

describe('SPDY dictionary and header compression', () => {
  it('is the 1423-byte SPDY/3 dictionary', () => {
    assert.equal(spdyDictionary.length, 1423);
    assert.equal(adler32(spdyDictionary).toString(16), 'e3c6a7c2');
    assert.ok(spdyDictionary.subarray(0, 11).equals(Buffer.from('\0\0\0\x07options')));
  });

  it('ends every block on a sync-flush boundary and names the dictionary in the zlib header', async () => {
    const c = new HeaderCompressor();
    const first = await c.compress({ streamtype: 'error', port: '8080', requestid: '0' });
    const second = await c.compress({ streamtype: 'data', port: '8080', requestid: '0' });
    c.close();
    for (const block of [first, second]) assert.ok(block.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff])), block.toString('hex'));
    // FDICT set, dictionary id = adler32 of the dictionary
    assert.equal(first[1]! & 0x20, 0x20);
    assert.equal(first.readUInt32BE(2).toString(16), 'e3c6a7c2');
    // the second block continues the same stream (no new zlib header)
    assert.notEqual(second.readUInt32BE(2).toString(16), 'e3c6a7c2');
  });

  it('round-trips blocks through one persistent inflate, as Go reads them', async () => {
    const c = new HeaderCompressor();
    const d = new HeaderDecompressor();
    const blocks: Array<Record<string, string>> = [{ streamtype: 'error' }, { streamtype: 'stdout', 'x-multi': 'a\0b' }, { ':status': '200 OK', UPPER: 'Case' }];
    for (const h of blocks) {
      const got = await d.decompress(await c.compress(h));
      assert.deepEqual(got, Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v])));
    }
    c.close();
    d.close();
  });

  it('decodes blocks compressed by an independent zlib with the dictionary', async () => {
    const deflate = zlib.createDeflate({ dictionary: spdyDictionary });
    const chunks: Buffer[] = [];
    deflate.on('data', (c: Buffer) => chunks.push(c));
    deflate.write(encodeHeaderBlock({ streamtype: 'data', port: '80' }));
    await new Promise<void>((r) => deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
    await new Promise((r) => setImmediate(r));
    const d = new HeaderDecompressor();
    assert.deepEqual(await d.decompress(Buffer.concat(chunks)), { streamtype: 'data', port: '80' });
    d.close();
    deflate.close();
  });

  it('encodes the name/value block as u32 count and u32-length-prefixed strings', () => {
    const raw = encodeHeaderBlock({ Port: '80' });
    assert.equal(raw.toString('hex'), '00000001' + '00000004' + Buffer.from('port').toString('hex') + '00000002' + Buffer.from('80').toString('hex'));
    assert.deepEqual(decodeHeaderBlock(raw), { port: '80' });
  });
});

describe('SPDY frames', () => {
  it('parses control and data frames, keeping partial frames for later', () => {
    const syn = synStreamFrame({ streamId: 1, flags: FLAG_FIN, block: Buffer.from('abc') });
    const data = dataFrame(1, FLAG_FIN, Buffer.from('hello'));
    const ping = pingFrame(7);
    const all = Buffer.concat([syn, data, ping]);
    const part = parseFrames(all.subarray(0, syn.length + 3));
    assert.equal(part.frames.length, 1);
    assert.equal(part.rest.length, 3);
    const { frames, rest } = parseFrames(all);
    assert.equal(rest.length, 0);
    assert.deepEqual(frames[0], { kind: 'control', type: FrameType.SynStream, flags: FLAG_FIN, payload: syn.subarray(8) });
    assert.equal(syn.readUInt16BE(0), 0x8003);
    assert.deepEqual(frames[1], { kind: 'data', streamId: 1, flags: FLAG_FIN, data: Buffer.from('hello') });
    assert.equal(frames[2]!.kind === 'control' && frames[2]!.payload.readUInt32BE(0), 7);
  });
});

describe('SpdyConnection', () => {
  let server: net.Server;
  let serverConn: Promise<SpdyConnection>;
  let client: SpdyConnection;
  let port: number;

  before(async () => {
    let resolve!: (c: SpdyConnection) => void;
    serverConn = new Promise((r) => (resolve = r));
    server = net.createServer((sock) => resolve(new SpdyConnection(sock, { server: true })));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
    const sock = net.connect(port, '127.0.0.1');
    await once(sock, 'connect');
    client = new SpdyConnection(sock, { server: false });
  });

  after(async () => {
    client.destroy();
    (await serverConn).destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('opens a stream, replies, and carries data both ways with half-close', async () => {
    const srv = await serverConn;
    const incoming = once(srv, 'stream') as Promise<[SpdyStream]>;
    const stream = await client.openStream({ streamtype: 'data', port: '80' });
    const [peer] = await incoming;
    assert.equal(peer.id, 1);
    assert.deepEqual(peer.headers, { streamtype: 'data', port: '80' });
    const response = once(stream, 'response');
    await peer.reply({ ok: 'yes' });
    assert.deepEqual((await response)[0], { ok: 'yes' });

    stream.end('ping');
    let got = '';
    peer.on('data', (d: Buffer) => (got += d.toString()));
    await once(peer, 'end');
    assert.equal(got, 'ping');
    // the other direction is still open after the client's FIN
    let back = '';
    stream.on('data', (d: Buffer) => (back += d.toString()));
    const peerClosed = once(peer, 'close');
    peer.end('pong');
    await once(stream, 'end');
    assert.equal(back, 'pong');
    await peerClosed;
    assert.equal(srv.streams.size, 0);
  });

  it('moves megabytes without stalling once windows are enforced', async () => {
    const srv = await serverConn;
    const incoming = once(srv, 'stream') as Promise<[SpdyStream]>;
    const stream = await client.openStream({ streamtype: 'data' });
    const [peer] = await incoming;
    await peer.reply();
    peer.pipe(peer); // echo
    const size = 3 * 1024 * 1024;
    let received = 0;
    stream.on('data', (d: Buffer) => (received += d.length));
    const ended = once(stream, 'end');
    stream.end(Buffer.alloc(size, 1));
    await ended;
    assert.equal(received, size);
    assert.equal(client.enforcesSendWindow, true);
    assert.equal(srv.enforcesSendWindow, true);
  });

  it('answers pings and resets streams', async () => {
    const srv = await serverConn;
    await client.ping();
    const incoming = once(srv, 'stream') as Promise<[SpdyStream]>;
    const stream = await client.openStream({ streamtype: 'error' });
    const [peer] = await incoming;
    const closed = once(stream, 'close');
    peer.reset();
    await closed;
    assert.equal(stream.wasReset, true);
  });

  it('writes the SYN_REPLY before data written to an unanswered stream', async () => {
    const srv = await serverConn;
    const incoming = once(srv, 'stream') as Promise<[SpdyStream]>;
    const stream = await client.openStream({ streamtype: 'stdout' });
    const [peer] = await incoming;
    const order: string[] = [];
    stream.on('response', () => order.push('reply'));
    stream.on('data', () => order.push('data'));
    peer.end('x');
    await once(stream, 'end');
    assert.deepEqual(order, ['reply', 'data']);
  });
});
