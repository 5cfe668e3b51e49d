/**
 * A SPDY/3.1 session over any Duplex (a TCP/TLS socket, or a WebSocket payload stream), enough of it
 * for Kubernetes' remotecommand and portforward protocols (moby/spdystream is the peer).
 *
 * Flow control: our receive windows are re-opened with WINDOW_UPDATE as the consumer reads. Our send
 * windows are honoured only once the peer has shown it does flow control (it sent a WINDOW_UPDATE or
 * an INITIAL_WINDOW_SIZE setting): spdystream never sends WINDOW_UPDATE, and strict accounting against
 * it would stall every transfer after 64 KiB.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  FLAG_FIN,
  FrameType,
  RstStatus,
  SETTINGS_INITIAL_WINDOW_SIZE,
  dataFrame,
  goAwayFrame,
  parseFrames,
  pingFrame,
  rstStreamFrame,
  synReplyFrame,
  synStreamFrame,
  windowUpdateFrame,
  type Frame,
  type Headers,
} from './frames.js';
import { HeaderCompressor, HeaderDecompressor } from './header-codec.js';
import { SpdyStream, type StreamSink } from './stream.js';

export const DEFAULT_WINDOW = 64 * 1024;
const MAX_DATA_CHUNK = 32 * 1024;
const ACK_THRESHOLD = 16 * 1024;

export interface SpdyConnectionOptions {
  /** Server side (default): accepts odd (client) stream ids and opens even ones. */
  server?: boolean;
}

export interface SpdyConnection {
  on(event: 'stream', listener: (stream: SpdyStream) => void): this;
  on(event: 'goaway' | 'close', listener: () => void): this;
  on(event: 'connectionError', listener: (err: Error) => void): this;
}

export class SpdyConnection extends EventEmitter implements StreamSink {
  readonly streams = new Map<number, SpdyStream>();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private inbuf: Buffer = Buffer.alloc(0);
  private pumping = false;
  private outTail: Promise<void> = Promise.resolve();
  private nextStreamId: number;
  private nextPingId: number;
  private lastRemoteStreamId = 0;
  private readonly pings = new Map<number, () => void>();
  private peerFlowControl = false;
  private initialSendWindow = DEFAULT_WINDOW;
  private sessionSendWindow = DEFAULT_WINDOW;
  private sessionUnacked = 0;
  private readonly sessionWaiters: Array<() => void> = [];
  closed = false;

  constructor(
    readonly socket: Duplex,
    opts: SpdyConnectionOptions = {},
  ) {
    super();
    const server = opts.server ?? true;
    this.nextStreamId = server ? 2 : 1;
    this.nextPingId = server ? 2 : 1;
    socket.on('data', (chunk: Buffer) => {
      this.inbuf = this.inbuf.length ? Buffer.concat([this.inbuf, chunk]) : chunk;
      void this.pump();
    });
    socket.on('end', () => this.teardown());
    socket.on('close', () => this.teardown());
    socket.on('error', (err) => {
      this.emit('connectionError', err);
      this.teardown();
    });
  }

  /** Whether our sends are held to the peer's windows (it has shown it does flow control). */
  get enforcesSendWindow(): boolean {
    return this.peerFlowControl;
  }

  /** Opens a stream (SYN_STREAM); the peer's SYN_REPLY arrives as the stream's 'response' event. */
  async openStream(headers: Headers, opts: { fin?: boolean } = {}): Promise<SpdyStream> {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(id, this, { headers: {}, replied: true, sendWindow: this.initialSendWindow });
    if (opts.fin) stream.localFin = true;
    this.streams.set(id, stream);
    await this.enqueue(async () => synStreamFrame({ streamId: id, flags: opts.fin ? FLAG_FIN : 0, block: await this.compressor.compress(headers) }));
    return stream;
  }

  ping(): Promise<void> {
    const id = this.nextPingId;
    this.nextPingId += 2;
    return new Promise((resolve) => {
      this.pings.set(id, resolve);
      void this.enqueue(() => pingFrame(id));
    });
  }

  /** Sends GOAWAY and ends the socket once the frames written so far are flushed. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.enqueue(() => goAwayFrame(this.lastRemoteStreamId));
    await this.outTail;
    this.socket.end();
    this.teardown();
  }

  destroy(): void {
    this.socket.destroy();
    this.teardown();
  }

  // --- StreamSink ---

  sendReply(stream: SpdyStream, headers: Headers, fin: boolean): Promise<void> {
    return this.enqueue(async () => synReplyFrame(stream.id, fin ? FLAG_FIN : 0, await this.compressor.compress(headers)));
  }

  async sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void> {
    let off = 0;
    do {
      if (this.peerFlowControl && data.length > 0) {
        await stream.windowOpen();
        await this.sessionWindowOpen();
      }
      if (this.closed || stream.wasReset) throw new Error('SPDY stream closed');
      let n = Math.min(data.length - off, MAX_DATA_CHUNK);
      if (this.peerFlowControl) n = Math.max(0, Math.min(n, stream.sendWindow, this.sessionSendWindow));
      const chunk = data.subarray(off, off + n);
      off += n;
      stream.sendWindow -= n;
      this.sessionSendWindow -= n;
      const last = off >= data.length;
      await this.enqueue(() => dataFrame(stream.id, fin && last ? FLAG_FIN : 0, chunk));
    } while (off < data.length);
  }

  sendReset(stream: SpdyStream, status: number): void {
    if (this.closed) return;
    void this.enqueue(() => rstStreamFrame(stream.id, status)).catch(() => undefined);
  }

  consumed(stream: SpdyStream, bytes: number): void {
    this.sessionUnacked += bytes;
    void this.enqueue(() => windowUpdateFrame(stream.id, bytes)).catch(() => undefined);
    if (this.sessionUnacked >= ACK_THRESHOLD) {
      const n = this.sessionUnacked;
      this.sessionUnacked = 0;
      void this.enqueue(() => windowUpdateFrame(0, n)).catch(() => undefined);
    }
  }

  forget(stream: SpdyStream): void {
    this.streams.delete(stream.id);
  }

  // --- internals ---

  /** Writes frames strictly in order; waits for 'drain' so a slow peer slows our producers. */
  private enqueue(make: () => Buffer | Promise<Buffer>): Promise<void> {
    const run = async () => {
      const buf = await make();
      if (this.closed || this.socket.destroyed || this.socket.writableEnded) throw new Error('SPDY connection closed');
      if (!this.socket.write(buf)) await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    };
    const next = this.outTail.then(run);
    this.outTail = next.catch(() => undefined);
    return next;
  }

  private async sessionWindowOpen(): Promise<void> {
    while (this.sessionSendWindow <= 0 && !this.closed) await new Promise<void>((r) => this.sessionWaiters.push(r));
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const { frames, rest } = parseFrames(this.inbuf);
        this.inbuf = rest;
        if (frames.length === 0) break;
        for (const frame of frames) await this.handle(frame);
      }
    } catch (err) {
      this.emit('connectionError', err);
      this.destroy();
    } finally {
      this.pumping = false;
    }
  }

  private async handle(frame: Frame): Promise<void> {
    if (frame.kind === 'data') {
      const stream = this.streams.get(frame.streamId);
      if (!stream) {
        // still owed to the session window even though nobody reads it
        if (frame.data.length) this.consumedOrphan(frame.data.length);
        return;
      }
      stream.receiveData(frame.data, (frame.flags & FLAG_FIN) !== 0);
      return;
    }
    const p = frame.payload;
    switch (frame.type) {
      case FrameType.SynStream: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.decompressor.decompress(p.subarray(10));
        if (this.closed) return;
        this.lastRemoteStreamId = id;
        const stream = new SpdyStream(id, this, { headers, replied: false, sendWindow: this.initialSendWindow });
        this.streams.set(id, stream);
        if (frame.flags & FLAG_FIN) stream.receiveFin();
        this.emit('stream', stream);
        return;
      }
      case FrameType.SynReply:
      case FrameType.Headers: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = await this.decompressor.decompress(p.subarray(4));
        const stream = this.streams.get(id);
        if (!stream) return;
        if (frame.type === FrameType.SynReply) {
          stream.headers = headers;
          stream.emit('response', headers);
        } else stream.emit('headers', headers);
        if (frame.flags & FLAG_FIN) stream.receiveFin();
        return;
      }
      case FrameType.RstStream:
        this.streams.get(p.readUInt32BE(0) & 0x7fffffff)?.receiveReset();
        return;
      case FrameType.Settings:
        this.applySettings(p);
        return;
      case FrameType.Ping: {
        const id = p.readUInt32BE(0);
        const mine = this.pings.get(id);
        if (mine) {
          this.pings.delete(id);
          mine();
        } else void this.enqueue(() => pingFrame(id)).catch(() => undefined);
        return;
      }
      case FrameType.GoAway:
        this.emit('goaway');
        return;
      case FrameType.WindowUpdate: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const delta = p.readUInt32BE(4) & 0x7fffffff;
        this.peerFlowControl = true;
        if (id === 0) {
          this.sessionSendWindow += delta;
          for (const w of this.sessionWaiters.splice(0)) w();
        } else this.streams.get(id)?.growWindow(delta);
        return;
      }
      default:
        return; // unknown control frames are ignored (spec)
    }
  }

  private consumedOrphan(bytes: number): void {
    this.sessionUnacked += bytes;
  }

  private applySettings(p: Buffer): void {
    const count = p.readUInt32BE(0);
    for (let i = 0; i < count && 12 + 8 * i <= p.length; i++) {
      const id = p.readUInt32BE(4 + 8 * i) & 0xffffff;
      const value = p.readUInt32BE(8 + 8 * i);
      if (id === SETTINGS_INITIAL_WINDOW_SIZE) {
        const delta = value - this.initialSendWindow;
        this.initialSendWindow = value;
        this.peerFlowControl = true;
        for (const s of this.streams.values()) s.growWindow(delta);
      }
    }
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of [...this.streams.values()]) stream.receiveReset();
    this.streams.clear();
    for (const w of this.sessionWaiters.splice(0)) w();
    for (const resolve of this.pings.values()) resolve();
    this.pings.clear();
    this.compressor.close();
    this.decompressor.close();
    this.emit('close');
  }
}

export { RstStatus, SpdyStream };
export type { Headers };
