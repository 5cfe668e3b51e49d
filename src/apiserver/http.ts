import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { decodeKubernetesProtobuf } from './protobuf/decode.js';
import { badRequest, type StatusError, toStatusError, StatusError as StatusErrorClass } from '../api/status.js';

const maxBody = 3 * 1024 * 1024; // etcd's default request limit, as kube-apiserver enforces

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new StatusErrorClass({ reason: 'RequestEntityTooLarge', code: 413, message: 'Request entity too large: limit is 3145728' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Decodes a JSON (or YAML) request body into one object. */
export function decodeBody(body: Buffer, contentType: string | undefined): unknown {
  if ((contentType ?? '').includes('protobuf')) {
    try {
      return decodeKubernetesProtobuf(body).object;
    } catch (err) {
      throw badRequest((err as Error).message);
    }
  }
  const text = body.toString('utf8');
  if (!text.trim()) throw badRequest('Object \'Kind\' is missing in \'\'');
  const ct = (contentType ?? '').split(';')[0]!.trim();
  if (ct.endsWith('yaml')) {
    const docs = parseAllDocuments(text);
    const doc = Array.isArray(docs) ? docs[0] : docs;
    if (!doc || doc.errors.length) throw badRequest(`error converting YAML to JSON: ${doc?.errors[0]?.message ?? 'empty document'}`);
    return doc.toJSON();
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
}

export function sendJSON(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const data = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(data), 'Cache-Control': 'no-cache, private' });
  res.end(data);
}

export function sendError(res: ServerResponse, err: unknown): void {
  const status: StatusError = toStatusError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retry = status.status.details?.retryAfterSeconds;
  if (retry && retry > 0) res.setHeader('Retry-After', String(retry));
  sendJSON(res, status.httpCode, status.status);
}

export function addWarning(res: ServerResponse, text: string): void {
  const value = `299 - ${JSON.stringify(text)}`;
  const prev = res.getHeader('Warning');
  res.setHeader('Warning', prev ? [...(Array.isArray(prev) ? prev : [String(prev)]), value] : value);
}
