import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { decodeKubernetesProtobuf } from './protobuf/decode.js';
import { badRequest, type StatusError, toStatusError, StatusError as StatusErrorClass } from '../api/status.js';

const maxBody = 3 * 1024 * 1024; // etcd's default request limit, as kube-apiserver enforces

/** The whole body of an in-process request (local-request.ts), there to be taken without streaming it. */
export const localBody = Symbol('localBody');

export async function readBody(req: IncomingMessage & { [localBody]?: Buffer }): Promise<Buffer> {
  const whole = req[localBody];
  if (whole) {
    if (whole.length > maxBody) throw new StatusErrorClass({ reason: 'RequestEntityTooLarge', code: 413, message: 'Request entity too large: limit is 3145728' });
    return whole;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBody) throw new StatusErrorClass({ reason: 'RequestEntityTooLarge', code: 413, message: 'Request entity too large: limit is 3145728' });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Go's decoder refuses JSON nested deeper than 10000 ("exceeded max depth"). skiff refuses at 1000: every
 * walker after the parse (type check, patches, managed fields) recurses, and V8 aborts the whole process
 * (not a catchable error) when a regular expression is first compiled thousands of frames deep. No real
 * object comes near it; a fuzzed one did.
 */
const maxNestingDepth = 1000;

function exceedsDepth(root: unknown): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > maxNestingDepth) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * The YAML parser recurses once per nesting level before any result exists to check, so the text is scanned
 * first: flow brackets deeper than the limit, or a line indented deeper than it, are refused unparsed.
 */
function yamlTooDeep(text: string): boolean {
  let depth = 0;
  let indent = 0;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) { lineStart = true; indent = 0; continue; }
    if (lineStart && (c === 32 || c === 45)) { if (++indent > maxNestingDepth) return true; continue; }
    lineStart = false;
    if (c === 91 || c === 123) { if (++depth > maxNestingDepth) return true; }
    else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return false;
}

function bounded(v: unknown): unknown {
  if (exceedsDepth(v)) throw badRequest("couldn't get version/kind; json parse error: exceeded max depth");
  return v;
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
    if (yamlTooDeep(text)) throw badRequest('error converting YAML to JSON: exceeded max depth');
    const docs = parseAllDocuments(text);
    const doc = Array.isArray(docs) ? docs[0] : docs;
    if (!doc || doc.errors.length) throw badRequest(`error converting YAML to JSON: ${doc?.errors[0]?.message ?? 'empty document'}`);
    return bounded(doc.toJSON());
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(err as Error).message}`);
  }
  return bounded(parsed);
}

export function sendJSON(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  sendJSONText(res, code, JSON.stringify(body), contentType);
}

/** sendJSON of a body already in JSON. */
export function sendJSONText(res: ServerResponse, code: number, data: string, contentType = 'application/json'): void {
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
