/**
 * In-process requests (kube-apiserver's loopback client, as k3s runs its controllers): a request of a
 * client living in the server process is emitted on the HTTPS server as a 'request' event with an
 * in-memory request and response, so it takes exactly the path of a network request (authentication by
 * its bearer token, authorization, admission, the handlers) without TLS, sockets and HTTP framing.
 */
import { EventEmitter } from 'node:events';
import type { OutgoingHttpHeaders, Server } from 'node:http';
import { Readable, Writable } from 'node:stream';
import type { LocalConnector, LocalRequestInit, LocalResponse } from '../client/transport.js';
import { localBody } from './http.js';

/** The response side the handlers write: the part of http.ServerResponse they use. */
class InMemoryResponse extends Writable {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  /** the whole body is pushed (the reader may not have taken it yet) */
  private ended = false;
  private readonly headers = new Map<string, string | number | string[]>();

  constructor(private readonly body: Readable & LocalResponse, private readonly onHead: () => void) {
    super({ decodeStrings: false });
    // the client dropping its response (an aborted watch) closes this one, as a closed socket does
    body.once('close', () => this.destroy());
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headers.set(name.toLowerCase(), typeof value === 'object' ? [...value] : value);
    return this;
  }

  getHeader(name: string): string | number | string[] | undefined {
    return this.headers.get(name.toLowerCase());
  }

  removeHeader(name: string): void {
    this.headers.delete(name.toLowerCase());
  }

  writeHead(code: number, headers?: OutgoingHttpHeaders | string): this {
    this.statusCode = code;
    if (headers && typeof headers === 'object') for (const [k, v] of Object.entries(headers)) if (v !== undefined) this.setHeader(k, v);
    this.sendHead();
    return this;
  }

  flushHeaders(): void {
    this.sendHead();
  }

  private sendHead(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.body.statusCode = this.statusCode;
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of this.headers) out[k] = typeof v === 'number' ? String(v) : v;
    this.body.headers = out;
    this.onHead();
  }

  override _write(chunk: string | Buffer, encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.sendHead();
    if (!this.body.destroyed) this.body.push(chunk, typeof chunk === 'string' ? encoding : undefined);
    done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.sendHead();
    this.ended = true;
    if (!this.body.destroyed) this.body.push(null);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // a handler giving up mid-response (res.destroy) ends the client's body with an error, as a reset would
    if (!this.ended && !this.body.destroyed) this.body.destroy(err ?? new Error('socket hang up'));
    done(err);
  }
}

/** The request side the handlers read: an http.IncomingMessage's members, the body already whole. */
class InMemoryRequest extends Readable {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly httpVersion = '1.1';
  readonly [localBody]: Buffer;

  constructor(init: LocalRequestInit) {
    super({ read() {} });
    const whole = init.body === undefined ? Buffer.alloc(0) : Buffer.from(init.body);
    this.method = init.method;
    this.url = init.path;
    this.headers = init.headers;
    this[localBody] = whole;
    if (whole.length) this.push(whole);
    this.push(null);
  }

  get rawHeaders(): string[] {
    return Object.entries(this.headers).flat();
  }
}

function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** A connector for clients in this process, dispatching to `server`'s request listeners. */
export function localConnector(server: Server | EventEmitter): LocalConnector {
  return {
    request(init: LocalRequestInit): Promise<LocalResponse> {
      return new Promise((resolve, reject) => {
        if (init.signal?.aborted) return reject(abortError());
        const req = new InMemoryRequest(init);
        // what the handler writes is pushed to the reader as it comes, as text (every in-process reader takes
        // the body as UTF-8): no stream in between and no Buffer per chunk
        const body: Readable & LocalResponse = Object.assign(new Readable({ read() {}, encoding: 'utf8' }), { statusCode: 0, headers: {} });
        // A body destroyed with an error before anyone reads it (the client's deadline firing first, as every
        // deadline does at once after the process was stopped for longer) must not be an uncaught 'error' that
        // ends the server; a reader still gets the error, through its iterator or finished().
        body.on('error', () => {});
        let answered = false;
        const res = new InMemoryResponse(body, () => {
          answered = true;
          resolve(body);
        });
        const onAbort = () => {
          if (!answered) reject(abortError());
          body.destroy(abortError());
        };
        init.signal?.addEventListener('abort', onAbort, { once: true });
        const timer = init.timeoutMs === undefined ? undefined : setTimeout(() => {
          const err = Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError', code: 23 });
          if (!answered) reject(err);
          body.destroy(err);
        }, init.timeoutMs);
        body.once('close', () => {
          init.signal?.removeEventListener('abort', onAbort);
          clearTimeout(timer);
        });
        res.once('close', () => {
          if (!answered) reject(new Error('socket hang up'));
        });
        server.emit('request', req, res);
      });
    },
  };
}
