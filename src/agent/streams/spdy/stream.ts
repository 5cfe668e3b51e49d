/**
 * One SPDY stream as a Node Duplex: readable = the peer's DATA frames, writable = ours.
 * Half-close: ending the writable side sends an empty DATA frame with FIN; the peer's FIN ends the readable side.
 */
import { Duplex } from 'node:stream';
import type { Headers } from './frames.js';

/** What a stream needs from its connection (kept narrow so the two files stay independent). */
export interface StreamSink {
  sendReply(stream: SpdyStream, headers: Headers, fin: boolean): Promise<void>;
  sendData(stream: SpdyStream, data: Buffer, fin: boolean): Promise<void>;
  sendReset(stream: SpdyStream, status: number): void;
  consumed(stream: SpdyStream, bytes: number): void;
  forget(stream: SpdyStream): void;
}

export class SpdyStream extends Duplex {
  /** Headers of the SYN_STREAM (for streams the peer opened) or of the SYN_REPLY (for ours, once replied). */
  headers: Headers;
  replied: boolean;
  remoteFin = false;
  localFin = false;
  wasReset = false;
  /** Send window (bytes the peer will still accept on this stream). */
  sendWindow: number;
  private readonly waiters: Array<() => void> = [];

  constructor(
    readonly id: number,
    private readonly sink: StreamSink,
    opts: { headers: Headers; replied: boolean; sendWindow: number },
  ) {
    super({ allowHalfOpen: true });
    this.headers = opts.headers;
    this.replied = opts.replied;
    this.sendWindow = opts.sendWindow;
  }

  /** Answers a peer-opened stream (SYN_REPLY). Writes before this send an empty reply first. */
  reply(headers: Headers = {}, opts: { fin?: boolean } = {}): Promise<void> {
    if (this.replied) return Promise.resolve();
    this.replied = true;
    if (opts.fin) this.localFin = true;
    return this.sink.sendReply(this, headers, !!opts.fin);
  }

  /** Aborts the stream with RST_STREAM. */
  reset(status = 5): void {
    if (this.wasReset) return;
    this.wasReset = true;
    this.sink.sendReset(this, status);
    this.destroy();
  }

  /** Called by the connection: DATA from the peer. */
  receiveData(data: Buffer, fin: boolean): void {
    if (this.remoteFin) return;
    if (data.length > 0 && !this.push(data)) this.pendingAck += data.length;
    else if (data.length > 0) this.sink.consumed(this, data.length);
    if (fin) this.receiveFin();
  }

  receiveFin(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    this.push(null);
  }

  /** Called by the connection: the peer reset the stream or the connection went away. */
  receiveReset(): void {
    this.wasReset = true;
    this.remoteFin = true;
    this.destroy();
  }

  growWindow(delta: number): void {
    this.sendWindow += delta;
    this.wake();
  }

  /** Resolves when the send window is positive (or the stream is gone). */
  async windowOpen(): Promise<void> {
    while (this.sendWindow <= 0 && !this.destroyed) await new Promise<void>((r) => this.waiters.push(r));
  }

  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private pendingAck = 0;

  override _read(): void {
    if (this.pendingAck > 0) {
      const n = this.pendingAck;
      this.pendingAck = 0;
      this.sink.consumed(this, n);
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.ensureReplied()
      .then(() => this.sink.sendData(this, chunk, false))
      .then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.localFin) return cb();
    this.ensureReplied()
      .then(() => {
        if (this.localFin) return;
        this.localFin = true;
        return this.sink.sendData(this, Buffer.alloc(0), true);
      })
      .then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // an abandoned stream that is still open on either side is cancelled for the peer too
    if (!this.wasReset && !(this.localFin && this.remoteFin)) {
      this.wasReset = true;
      this.sink.sendReset(this, 5);
    }
    this.sink.forget(this);
    this.wake();
    cb(err);
  }

  private ensureReplied(): Promise<void> {
    return this.replied ? Promise.resolve() : this.reply();
  }
}
