import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { StatusError, type Status } from '../api/status.js';
import { SkiffError } from '../util/errors.js';
import type { ClientConfig } from './config.js';

export interface RawRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute path, e.g. `/api/v1/namespaces/default/pods`. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  signal?: AbortSignal;
  /** In-process requests only: the deadline, kept by the connector (json() keeps its own for network ones). */
  timeoutMs?: number;
}

const reasonForCode: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** Turns a non-2xx response body into the StatusError the server meant (or one resembling it). */
export function statusErrorFromBody(code: number, body: string): StatusError {
  try {
    const parsed = JSON.parse(body) as Partial<Status>;
    if (parsed && parsed.kind === 'Status') {
      return new StatusError({ code: parsed.code ?? code, reason: parsed.reason, message: parsed.message, details: parsed.details });
    }
  } catch {
    // not JSON: fall through to a synthesised Status, as client-go does
  }
  const message = body.trim() || `the server responded with the status code ${code} but did not return more information`;
  return new StatusError({ code, reason: reasonForCode[code] ?? 'Unknown', message });
}

/** A request as an in-process connector takes it: the path with its query, lower-case header names. */
export interface LocalRequestInit {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** After this long without the whole response, it fails with a TimeoutError (the handler's response is dropped). */
  timeoutMs?: number;
}

/** A response body stream with its status and (lower-case) headers, as an IncomingMessage has them. */
export type LocalResponse = Readable & { statusCode?: number; headers: Record<string, string | string[] | undefined> };

/** Carries the requests of a client running inside the API server's process (src/apiserver/local-request.ts). */
export interface LocalConnector {
  request(req: LocalRequestInit): Promise<LocalResponse>;
}

/** A path of URL path characters only (no dot segments, nothing to escape). */
const plainPath = /^(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-._~!$&'()*+,;=:@%]*)+$/;

/** The HTTP(S) connection to one API server: a keep-alive agent plus bearer-token auth. */
export class Transport {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;

  constructor(private readonly config: ClientConfig) {
    this.base = new URL(config.server);
    const secure = this.base.protocol === 'https:';
    this.mod = secure ? https : http;
    this.agent = secure
      ? new https.Agent({ keepAlive: true, ca: config.caData, rejectUnauthorized: !config.insecureSkipTLSVerify })
      : new http.Agent({ keepAlive: true });
  }

  url(path: string, query?: RawRequest['query']): string {
    const full = this.base.pathname.replace(/\/$/, '') + path;
    // what the URL parser would leave as it is (every path resourcePath builds): no parse per request
    const u = plainPath.test(full) ? undefined : new URL(full, this.base);
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
    const search = params.size ? `?${params}` : '';
    return (u?.pathname ?? full) + search;
  }

  /** Sends a request and resolves with the response head; the caller consumes the body. */
  open(req: RawRequest): Promise<LocalResponse> {
    const payload = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const headers: Record<string, string> = {
      accept: req.accept ?? 'application/json',
      'user-agent': this.config.userAgent ?? 'skiff-client',
    };
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    if (payload !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    const path = this.url(req.path, req.query);
    if (this.config.local) return this.config.local.request({ method: req.method, path, headers, body: payload, signal: req.signal, timeoutMs: req.timeoutMs });
    return new Promise((resolve, reject) => {
      const r = this.mod.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          method: req.method,
          path,
          headers,
          agent: this.agent,
          signal: req.signal,
        },
        resolve,
      );
      r.on('error', reject);
      r.end(payload);
    });
  }

  /** A request whose JSON response is returned; non-2xx becomes a StatusError. */
  async json<T>(req: RawRequest): Promise<T> {
    const timeoutMs = this.config.timeoutMs ?? 30_000;
    const { code, body } = this.config.local ? await this.localText(req, timeoutMs) : await this.networkText(req, timeoutMs);
    if (code < 200 || code > 299) throw statusErrorFromBody(code, body);
    return (body ? JSON.parse(body) : {}) as T;
  }

  /** In process the connector keeps the deadline: no AbortController (an EventTarget) per request. */
  private async localText(req: RawRequest, timeoutMs: number): Promise<{ code: number; body: string }> {
    try {
      const res = await this.open({ ...req, timeoutMs });
      return { body: await readBody(res), code: res.statusCode ?? 0 };
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw timedOut(req, timeoutMs, err);
      throw err;
    }
  }

  /** Over the network: a timer cleared with the answer (AbortSignal.timeout/any per request cost more than the request). */
  private async networkText(req: RawRequest, timeoutMs: number): Promise<{ code: number; body: string }> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
    const onAbort = () => deadline.abort(req.signal?.reason);
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.open({ ...req, signal: deadline.signal });
      return { body: await readBody(res), code: res.statusCode ?? 0 };
    } catch (err) {
      if (deadline.signal.aborted && !req.signal?.aborted) throw timedOut(req, timeoutMs, err);
      throw err;
    } finally {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

function timedOut(req: RawRequest, timeoutMs: number, cause: unknown): SkiffError {
  return new SkiffError('RequestTimeout', `${req.method} ${req.path}: no response within ${timeoutMs}ms`, { cause });
}

/** The whole body as text; a body that closes before its end (destroyed, reset) is an error, as for-await makes it. */
export function readBody(res: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    res.setEncoding('utf8');
    let body = '';
    res.on('data', (chunk: string) => (body += chunk));
    res.once('end', () => resolve(body));
    res.once('error', reject);
    res.once('close', () => {
      if (!res.readableEnded) reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}
