/**
 * The OpenAPI documents kube-apiserver serves: `/openapi/v3` (an index of group-version documents, each
 * with a content hash so clients cache them) and `/openapi/v2` (one swagger 2.0 document).
 *
 * `/openapi/v2`: kubectl 1.32 asks for it only as protobuf (`Accept:
 * application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), for client-side validation and apply's
 * patch computation, and tolerates a 404 there. skiff does not speak that protobuf, so the server should
 * answer 404 unless the client accepts JSON (see `openapiV2Acceptable`); JSON clients get `openapiV2()`.
 */
import { createHash } from 'node:crypto';
import { groups, resources } from '../../api/resources.js';
import { toSwagger2 } from './v2.js';
import { groupVersionPrefix, resourcePaths, type Json } from './paths.js';
import { closure, REF_PREFIX, schemas } from './schemas.js';

const INFO = { title: 'Kubernetes', version: 'v1.32.0' };

export interface OpenAPIDocument {
  /** Serialized once; serve these bytes. */
  json: string;
  /** Upper-case hex sha512 of `json`, as in `?hash=` and the ETag. */
  hash: string;
}

let docs: Map<string, OpenAPIDocument> | undefined;

/** `api/v1`, `apis/apps/v1`, ... for every served group-version. */
export function openapiV3Paths(): string[] {
  return groups().flatMap((g) => g.versions.map((v) => groupVersionPrefix(g.group, v).slice(1)));
}

function refsIn(v: unknown, out: Set<string>): void {
  if (Array.isArray(v)) v.forEach((x) => refsIn(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.add(x.slice(REF_PREFIX.length));
      else refsIn(x, out);
    }
  }
}

/** The paths and schemas of one group-version (shared by v3 and v2). */
export function groupVersionSpec(group: string, version: string): { paths: Record<string, Json>; schemas: Record<string, Json> } {
  const paths: Record<string, Json> = {};
  for (const info of resources) if (info.group === group && info.version === version) Object.assign(paths, resourcePaths(info));
  const used = new Set<string>();
  refsIn(paths, used);
  const all = schemas();
  const names = [...closure(used)].sort();
  return { paths, schemas: Object.fromEntries(names.map((n) => [n, all[n] as Json])) };
}

function build(): Map<string, OpenAPIDocument> {
  const out = new Map<string, OpenAPIDocument>();
  for (const g of groups()) {
    for (const version of g.versions) {
      const spec = groupVersionSpec(g.group, version);
      const doc = { openapi: '3.0.0', info: INFO, paths: spec.paths, components: { schemas: spec.schemas } };
      const json = JSON.stringify(doc);
      out.set(groupVersionPrefix(g.group, version).slice(1), { json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() });
    }
  }
  return out;
}

/** One group-version document by its index key (`api/v1`, `apis/apps/v1`), or undefined. */
export function openapiV3Doc(path: string): OpenAPIDocument | undefined {
  docs ??= build();
  return docs.get(path.replace(/^\/+|\/+$/g, ''));
}

/** `/openapi/v3`: `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}}}` */
export function openapiV3Index(): Json {
  docs ??= build();
  const paths: Record<string, Json> = {};
  for (const [path, doc] of docs) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
  return { paths };
}

let v2: OpenAPIDocument | undefined;

/** `/openapi/v2` as swagger 2.0 JSON (definitions under `#/definitions/`). */
export function openapiV2(): OpenAPIDocument {
  if (v2) return v2;
  const paths: Record<string, Json> = {};
  const defs: Record<string, Json> = {};
  for (const g of groups()) {
    for (const version of g.versions) {
      const spec = groupVersionSpec(g.group, version);
      Object.assign(paths, spec.paths);
      Object.assign(defs, spec.schemas);
    }
  }
  const json = JSON.stringify(toSwagger2({ info: INFO, paths, schemas: defs }));
  v2 = { json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() };
  return v2;
}

/** Whether a `/openapi/v2` request accepts the JSON form (protobuf-only requests should get a 404). */
export function openapiV2Acceptable(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim();
    return type === 'application/json' || type === '*/*' || type === 'application/*';
  });
}

/**
 * Headers for a v3 document: kubectl sends `?hash=`; a matching hash may be cached forever (as
 * kube-apiserver does), anything else must be revalidated.
 */
export function openapiV3Headers(doc: OpenAPIDocument, requestedHash: string | undefined): Record<string, string> {
  const immutable = requestedHash === doc.hash;
  return {
    'Content-Type': 'application/json',
    ETag: `"${doc.hash}"`,
    'Cache-Control': immutable ? 'public, immutable' : 'no-cache, private',
    ...(immutable ? { Expires: new Date(Date.UTC(2100, 0, 1)).toUTCString() } : {}),
  };
}
