/**
 * Generates src/apiserver/openapi/schemas.json: the OpenAPI definitions of every kind skiff serves, in the
 * shape and naming of Kubernetes' own spec (`io.k8s.api.core.v1.Service`, refs `#/components/schemas/...`).
 *
 * Nothing installable ships Kubernetes' swagger.json, so the spec is rebuilt from two installed packages:
 * - @kubernetes/client-node (generated from the 1.34 spec): fields, types and formats (`attributeTypeMap`),
 *   required fields and descriptions (the `.d.ts` JSDoc);
 * - kubernetes-types (1.30): which API package each type lives in, and field descriptions that client-node
 *   drops on `$ref` fields, and which string fields are really Quantities.
 * Patch/list metadata is not in either package; the known lists are listed by hand below.
 *
 * Run: node --import tsx scripts/gen-openapi.ts
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { resources } from '../src/api/resources.js';
import { listMeta } from './openapi-list-meta.js';
import { metallbSchemas } from './openapi-metallb.js';

type Schema = Record<string, unknown>;
interface Attr { name: string; baseName: string; type: string; format: string }

const require = createRequire(import.meta.url);
const clientModels = path.join(path.dirname(require.resolve('@kubernetes/client-node/package.json')), 'dist/gen/models');
const typesDir = path.dirname(require.resolve('kubernetes-types/package.json'));
const out = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../src/apiserver/openapi/schemas.json');

/** kubernetes-types directory → Kubernetes package prefix. */
function packageOf(dir: string, version: string): string {
  if (dir === 'meta') return `io.k8s.apimachinery.pkg.apis.meta.${version}`;
  return `io.k8s.api.${dir}.${version}`;
}
const dirOfPrefix: Record<string, string> = { Core: 'core', Discovery: 'discovery', Events: 'events', Storage: 'storage', Rbac: 'rbac', Authentication: 'authentication' };

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';
const MICRO_TIME = 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime';

// ---- kubernetes-types: docs and placement -------------------------------------------------------------

interface TypesField { doc?: string; typeText: string }
interface TypesIface { doc?: string; fields: Map<string, TypesField> }
/** `dir/version` → interface name → interface */
const typesIndex = new Map<string, Map<string, TypesIface>>();

function jsDocOf(node: ts.Node): string | undefined {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const last = docs[docs.length - 1];
  if (!last || last.comment === undefined) return undefined;
  const text = typeof last.comment === 'string' ? last.comment : last.comment.map((c) => c.text).join('');
  return text.trim() || undefined;
}

for (const dir of readdirSync(typesDir, { withFileTypes: true })) {
  if (!dir.isDirectory() || dir.name === 'node_modules') continue;
  for (const file of readdirSync(path.join(typesDir, dir.name))) {
    if (!file.endsWith('.d.ts')) continue;
    const src = ts.createSourceFile(file, readFileSync(path.join(typesDir, dir.name, file), 'utf8'), ts.ScriptTarget.Latest, true);
    const ifaces = new Map<string, TypesIface>();
    src.forEachChild((n) => {
      if (!ts.isInterfaceDeclaration(n)) return;
      const fields = new Map<string, TypesField>();
      for (const m of n.members) {
        if (ts.isPropertySignature(m) && m.name && ts.isIdentifier(m.name)) {
          fields.set(m.name.text, { doc: jsDocOf(m), typeText: m.type?.getText(src) ?? '' });
        }
      }
      ifaces.set(n.name.text, { doc: jsDocOf(n), fields });
    });
    typesIndex.set(`${dir.name}/${file.replace(/\.d\.ts$/, '')}`, ifaces);
  }
}

// ---- client-node: structure ----------------------------------------------------------------------------

interface ClientField { doc?: string; required: boolean }
interface ClientModel { doc?: string; attrs: Attr[]; fields: Map<string, ClientField> }

function unescape(s: string | undefined): string | undefined {
  return s?.replace(/\\(['"])/g, '$1');
}

async function loadClientModel(cls: string): Promise<ClientModel> {
  const mod = (await import(pathToFileURL(path.join(clientModels, `${cls}.js`)).href)) as Record<string, { attributeTypeMap: Attr[] }>;
  const attrs = mod[cls]!.attributeTypeMap;
  const src = ts.createSourceFile(`${cls}.d.ts`, readFileSync(path.join(clientModels, `${cls}.d.ts`), 'utf8'), ts.ScriptTarget.Latest, true);
  const fields = new Map<string, ClientField>();
  let doc: string | undefined;
  src.forEachChild((n) => {
    if (!ts.isClassDeclaration(n)) return;
    doc = unescape(jsDocOf(n));
    for (const m of n.members) {
      if (!ts.isPropertyDeclaration(m) || !m.name || !(ts.isStringLiteral(m.name) || ts.isIdentifier(m.name))) continue;
      fields.set(m.name.text, { doc: unescape(jsDocOf(m)), required: !m.questionToken });
    }
  });
  return { doc, attrs, fields };
}

/** Where a client-node class lives: `{dir, version, name}` (e.g. V1ServicePort → core/v1 ServicePort). */
function placeClass(cls: string, parentDir: string): { dir: string; version: string; name: string } {
  const m = /^([A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/.exec(cls);
  if (!m) throw new Error(`cannot place ${cls}`);
  const version = m[2]!.toLowerCase();
  const name = m[3]!;
  if (m[1]) return { dir: dirOfPrefix[m[1]] ?? m[1].toLowerCase(), version, name };
  const candidates = [parentDir, 'core', 'meta', 'apps', 'autoscaling', 'networking', 'discovery', 'coordination'];
  for (const dir of candidates) if (typesIndex.get(`${dir}/${version}`)?.has(name)) return { dir, version, name };
  for (const [key, ifaces] of typesIndex) {
    if (key.endsWith(`/${version}`) && ifaces.has(name)) return { dir: key.split('/')[0]!, version, name };
  }
  return { dir: parentDir, version, name }; // newer than kubernetes-types 1.30: assume the parent's package
}

// ---- generation ----------------------------------------------------------------------------------------

const schemas: Record<string, Schema> = {};
const pending: Array<{ cls: string; parentDir: string }> = [];

function defName(p: { dir: string; version: string; name: string }): string {
  return `${packageOf(p.dir, p.version)}.${p.name}`;
}
function ref(name: string): Schema {
  return { $ref: `#/components/schemas/${name}` };
}

/** Schema for one attributeTypeMap type string; enqueues referenced models. */
function typeSchema(type: string, format: string, parentDir: string, quantity: boolean): Schema {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return { type: 'array', items: typeSchema(arr[1]!, format, parentDir, quantity) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { type: 'object', additionalProperties: typeSchema(map[1]!, format, parentDir, quantity) };
  switch (type) {
    case 'string':
      if (quantity) return ref(QUANTITY);
      return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
    case 'number':
      return format === 'double' ? { type: 'number', format: 'double' } : { type: 'integer', format: format || 'int32' };
    case 'boolean':
      return { type: 'boolean' };
    case 'Date':
      return ref(TIME);
    case 'V1MicroTime':
      return ref(MICRO_TIME);
    case 'IntOrString':
      return ref(INT_OR_STRING);
    case 'any':
    case 'object':
      return { type: 'object' };
  }
  pending.push({ cls: type, parentDir });
  return ref(defName(placeClass(type, parentDir)));
}

async function generate(cls: string, parentDir: string): Promise<void> {
  const place = placeClass(cls, parentDir);
  const name = defName(place);
  if (schemas[name]) return;
  const model = await loadClientModel(cls);
  const iface = typesIndex.get(`${place.dir}/${place.version}`)?.get(place.name);
  const extra = listMeta[`${place.dir}.${place.version}.${place.name}`] ?? {};
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  schemas[name] = {}; // placeholder against cycles (JSONSchemaProps-like recursion)
  for (const a of model.attrs) {
    const tf = iface?.fields.get(a.baseName);
    const cf = model.fields.get(a.name);
    const s = typeSchema(a.type, a.format, place.dir, /Quantity/.test(tf?.typeText ?? ''));
    const description = tf?.doc ?? cf?.doc;
    // Kubernetes wraps described $ref fields in allOf so the field keeps its own description.
    let field: Schema = s;
    if (description) field = s.$ref ? { allOf: [s], description } : { ...s, description };
    properties[a.baseName] = { ...field, ...(extra[a.baseName] ?? {}) };
    if (cf?.required) required.push(a.baseName);
  }
  const def: Schema = { description: iface?.doc ?? model.doc, type: 'object', properties };
  if (required.length) def.required = required;
  schemas[name] = def;
}

const kindClass: Record<string, string> = { Event: 'CoreV1Event' };
const roots: Array<{ cls: string; dir: string; gvk?: { group: string; version: string; kind: string } }> = [];
for (const r of resources) {
  if (r.group === 'metallb.io') continue;
  const cls = kindClass[r.kind] ?? `${r.version.toUpperCase().slice(0, 1)}${r.version.slice(1)}${r.kind}`;
  const dir = r.group === '' ? 'core' : r.group.split('.')[0]!;
  roots.push({ cls, dir, gvk: { group: r.group, version: r.version, kind: r.kind } });
  roots.push({ cls: `${cls}List`, dir, gvk: { group: r.group, version: r.version, kind: `${r.kind}List` } });
}
roots.push(
  { cls: 'V1Scale', dir: 'autoscaling', gvk: { group: 'autoscaling', version: 'v1', kind: 'Scale' } },
  { cls: 'V1Status', dir: 'meta', gvk: { group: '', version: 'v1', kind: 'Status' } },
  { cls: 'V1DeleteOptions', dir: 'meta', gvk: { group: '', version: 'v1', kind: 'DeleteOptions' } },
  { cls: 'V1WatchEvent', dir: 'meta', gvk: { group: '', version: 'v1', kind: 'WatchEvent' } },
  { cls: 'V1APIResourceList', dir: 'meta' },
  { cls: 'V1Binding', dir: 'core', gvk: { group: '', version: 'v1', kind: 'Binding' } },
  { cls: 'V1Eviction', dir: 'policy', gvk: { group: 'policy', version: 'v1', kind: 'Eviction' } },
);

for (const root of roots) {
  await generate(root.cls, root.dir);
  while (pending.length) {
    const p = pending.shift()!;
    await generate(p.cls, p.parentDir);
  }
  if (root.gvk) {
    const name = defName(placeClass(root.cls, root.dir));
    schemas[name]!['x-kubernetes-group-version-kind'] = [root.gvk];
  }
}

// The scalar wrappers Kubernetes defines as named schemas.
const quantityDoc = typesIndex.get('api/resource')?.get('Quantity')?.doc;
schemas[QUANTITY] = { description: quantityDoc ?? 'Quantity is a fixed-point representation of a number.', type: 'string' };
schemas[INT_OR_STRING] = {
  description: 'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
  type: 'string',
  format: 'int-or-string',
  'x-kubernetes-int-or-string': true,
};
schemas[TIME] = {
  description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.',
  type: 'string',
  format: 'date-time',
};
schemas[MICRO_TIME] = { description: 'MicroTime is version of Time with microsecond level precision.', type: 'string', format: 'date-time' };
schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Patch'] = {
  description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  type: 'object',
};
Object.assign(schemas, metallbSchemas());

const sorted = Object.fromEntries(Object.keys(schemas).sort().map((k) => [k, schemas[k]]));
writeFileSync(out, JSON.stringify(sorted, null, 1) + '\n');
console.log(`wrote ${Object.keys(sorted).length} schemas to ${out}`);
