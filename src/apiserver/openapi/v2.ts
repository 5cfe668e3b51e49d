/** Converts skiff's OpenAPI v3 pieces to a swagger 2.0 document, as kube-apiserver's /openapi/v2 looks. */
import type { Json } from './paths.js';
import { REF_PREFIX } from './schemas.js';

const V2_PREFIX = '#/definitions/';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** Schemas: refs to `#/definitions/`, and v3's `allOf: [ref]` wrapper back to a plain described `$ref`. */
function schemaV2(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(schemaV2);
  if (!v || typeof v !== 'object') return v;
  const o = v as Json;
  if (Array.isArray(o.allOf) && o.allOf.length === 1 && Object.keys(o).every((k) => k === 'allOf' || k === 'description' || k === 'default')) {
    const inner = o.allOf[0] as Json;
    return { ...(schemaV2(inner) as Json), ...(o.description ? { description: o.description } : {}) };
  }
  const out: Json = {};
  for (const [k, x] of Object.entries(o)) {
    out[k] = k === '$ref' && typeof x === 'string' ? V2_PREFIX + x.slice(REF_PREFIX.length) : schemaV2(x);
  }
  return out;
}

function parameterV2(p: Json): Json {
  const { schema, ...rest } = p;
  return { ...rest, ...(schema as Json) };
}

function operationV2(op: Json): Json {
  const { requestBody, responses, parameters, ...rest } = op;
  const params = ((parameters as Json[] | undefined) ?? []).map(parameterV2);
  let consumes = ['*/*'];
  if (requestBody) {
    const content = (requestBody as Json).content as Record<string, Json>;
    const types = Object.keys(content);
    consumes = types;
    params.unshift({ name: 'body', in: 'body', required: (requestBody as Json).required === true, schema: schemaV2(content[types[0]!]!.schema) });
  }
  const resp: Json = {};
  for (const [code, r] of Object.entries((responses as Record<string, Json>) ?? {})) {
    const content = r.content as Record<string, Json> | undefined;
    const first = content ? Object.values(content)[0] : undefined;
    resp[code] = first ? { description: r.description, schema: schemaV2(first.schema) } : { description: r.description };
  }
  const produces = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
  return { ...rest, consumes, produces, schemes: ['https'], ...(params.length ? { parameters: params } : {}), responses: resp };
}

export function toSwagger2(o: { info: Json; paths: Record<string, Json>; schemas: Record<string, Json> }): Json {
  const paths: Record<string, Json> = {};
  for (const [path, item] of Object.entries(o.paths)) {
    const out: Json = {};
    for (const [k, v] of Object.entries(item)) {
      if (METHODS.includes(k)) out[k] = operationV2(v as Json);
      else if (k === 'parameters') out[k] = (v as Json[]).map(parameterV2);
      else out[k] = v;
    }
    paths[path] = out;
  }
  return {
    swagger: '2.0',
    info: o.info,
    paths,
    definitions: schemaV2(o.schemas),
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}
