// A seeded generator of malformed API requests: valid manifests of every resource, mutated (wrong types, odd
// Unicode, truncated bodies, bad patches of each patch type, absurd query parameters). Shared by the e2e fuzz
// test and the decoders' property test, so both walk the same inputs.
import { resources, type ResourceInfo } from '../../src/api/resources.js';

/** mulberry32: a small, fast, seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = rng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const podSpec = (name: string): Json => ({
  containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: { limits: { cpu: '100m', memory: '64Mi' } }, env: [{ name: 'A', value: name }] }],
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 0,
});

/** A valid manifest of the resource (a bare named object for kinds this table does not know). */
export function baseManifest(info: ResourceInfo, name: string): { [k: string]: Json } {
  const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
  const metadata: Json = { name, labels: { app: 'fuzz', tier: 'x' }, annotations: { note: 'fuzz' } };
  const head = { apiVersion, kind: info.kind, metadata };
  const selector = { matchLabels: { app: name } };
  const template = { metadata: { labels: { app: name } }, spec: podSpec(name) };
  switch (info.kind) {
    case 'Pod':
      return { ...head, spec: podSpec(name) };
    case 'Service':
      return { ...head, spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], type: 'ClusterIP' } };
    case 'Deployment':
    case 'ReplicaSet':
      return { ...head, spec: { replicas: 0, selector, template } };
    case 'ConfigMap':
      return { ...head, data: { key: 'value', 'other.txt': 'line\n' } };
    case 'Secret':
      return { ...head, type: 'Opaque', data: { key: 'dmFsdWU=' }, stringData: { plain: 'text' } };
    case 'Endpoints':
      return { ...head, subsets: [{ addresses: [{ ip: '127.0.0.9' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }] };
    case 'EndpointSlice':
      return { ...head, addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.9'], conditions: { ready: true } }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] };
    case 'Event':
      return { ...head, involvedObject: { kind: 'Pod', name: 'x', namespace: 'default' }, reason: 'Fuzz', message: 'fuzz', type: 'Normal', count: 1 };
    case 'Ingress':
      return { ...head, spec: { rules: [{ host: 'fuzz.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name, port: { number: 80 } } } }] } }] } };
    case 'IngressClass':
      return { ...head, spec: { controller: 'example.com/fuzz' } };
    case 'Lease':
      return { ...head, spec: { holderIdentity: 'fuzz', leaseDurationSeconds: 15 } };
    case 'Node':
      return { ...head, spec: { podCIDR: '10.250.0.0/24', unschedulable: true } };
    case 'Namespace':
      return { ...head, spec: { finalizers: ['kubernetes'] } };
    case 'ServiceAccount':
      return { ...head, automountServiceAccountToken: false };
    case 'IPAddressPool':
      return { ...head, spec: { addresses: ['127.250.0.0/30'], autoAssign: false } };
    case 'L2Advertisement':
      return { ...head, spec: { ipAddressPools: ['p'] } };
  }
  return head;
}

const oddStrings = [
  '', ' ', '\u0000', '\ud800', '\udfff\ud800', '💥🧨', '\u202Etxt.exe', 'ſ', 'İ', 'a'.repeat(70_000), '../../etc/passwd', '%00%2F', '${x}', '<script>', '\u200b', 'null', '-1', 'NaN', '\\', '"', '{"a":1}', '\n\r\t',
];
const oddNumbers = [-1, 0, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, 65536, 0.0001];

/** A value of another JSON type than `v` (never null, never the same type). */
function otherType(g: Gen, v: unknown): Json {
  const options: Json[] = [];
  if (typeof v !== 'string') options.push(g.pick(oddStrings), 'x');
  if (typeof v !== 'number') options.push(g.pick(oddNumbers), 7);
  if (typeof v !== 'boolean') options.push(true, false);
  if (!Array.isArray(v)) options.push([1], [], [{ a: 'b' }], ['x', 2]);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) options.push({ a: 1 }, {}, { __proto__: { polluted: true } } as unknown as Json);
  return g.pick(options);
}

/** Every path to a value in the object (list items by index). */
export function pathsOf(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (prefix.length) out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...prefix, k], out);
  return out;
}

function setPath(obj: unknown, path: (string | number)[], value: Json): void {
  let cur = obj as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>;
  cur[path.at(-1)!] = value;
}

function getPath(obj: unknown, path: (string | number)[]): unknown {
  let cur = obj as Record<string | number, unknown> | undefined;
  for (const p of path) cur = cur?.[p] as Record<string | number, unknown> | undefined;
  return cur;
}

export type Mutation = 'wrongType' | 'metadataString' | 'oddUnicode' | 'truncated' | 'null' | 'protoKey' | 'deep' | 'valid';

/** The manifest with one mutation; `text` is the body to send (truncated bodies are not JSON at all). */
export function mutate(g: Gen, manifest: { [k: string]: Json }, kind: Mutation = g.pick(['wrongType', 'wrongType', 'metadataString', 'oddUnicode', 'truncated', 'null', 'protoKey', 'deep', 'valid'] as const)): { kind: Mutation; text: string } {
  const m = structuredClone(manifest);
  const paths = pathsOf(m).filter((p) => p[0] !== 'apiVersion' && p[0] !== 'kind');
  switch (kind) {
    case 'wrongType': {
      const path = g.pick(paths);
      setPath(m, path, otherType(g, getPath(m, path)));
      break;
    }
    case 'metadataString':
      m.metadata = g.pick(['x', 5, ['a'], true]);
      break;
    case 'oddUnicode': {
      const strings = paths.filter((p) => typeof getPath(m, p) === 'string');
      const path = g.pick(strings.length ? strings : [['metadata', 'name']]);
      setPath(m, path, g.pick(oddStrings));
      break;
    }
    case 'null':
      setPath(m, g.pick(paths), null);
      break;
    case 'protoKey':
      return { kind, text: JSON.stringify(m).replace(/^\{/, '{"__proto__":{"polluted":1},"constructor":{"prototype":{"p":1}},') };
    case 'deep': {
      let deep: Json = 'leaf';
      for (let i = 0; i < 2000; i++) deep = [deep];
      setPath(m, g.pick(paths), deep);
      break;
    }
    case 'truncated': {
      const text = JSON.stringify(m);
      return { kind, text: text.slice(0, 1 + g.int(text.length - 1)) };
    }
    case 'valid':
      break;
  }
  return { kind, text: JSON.stringify(m) };
}

export interface FuzzRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query: string;
  contentType?: string;
  body?: string;
  /** true when the request may legitimately succeed (and change what it targets) */
  mayWrite: boolean;
}

const absurdQueries = [
  'limit=-1', 'limit=abc', 'limit=1e999', 'limit=99999999999999999999', 'limit=0', 'limit=1&continue=garbage', 'continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTk5OTk5OTk5OTk5LCJzdGFydCI6IngifQ',
  'continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0IjoxfQ', 'resourceVersion=99999999999', 'resourceVersion=-1', 'resourceVersion=abc', 'resourceVersion=1.5',
  'resourceVersion=1&resourceVersionMatch=Exact', 'resourceVersionMatch=Exact', 'resourceVersion=0&resourceVersionMatch=Exact', 'resourceVersion=1&resourceVersionMatch=Bogus',
  'timeoutSeconds=abc', 'timeoutSeconds=-5', 'timeoutSeconds=99999999999999', 'fieldSelector=metadata.name==', 'fieldSelector=spec.bogus=1', 'fieldSelector==', 'fieldSelector=metadata.name%3Dx,,',
  'labelSelector=a%20in%20(', 'labelSelector=!!', 'labelSelector=a=b=c', 'labelSelector=%00', 'labelSelector=' + 'a'.repeat(400) + '=b', 'sendInitialEvents=true', 'allowWatchBookmarks=maybe',
  'dryRun=Bogus', 'fieldValidation=Weird', 'fieldManager=' + 'm'.repeat(300), 'propagationPolicy=Sideways', 'gracePeriodSeconds=abc', 'gracePeriodSeconds=-10', 'pretty=maybe', 'watch=1&resourceVersion=99999999999',
];

const badJsonPatches: Json[] = [
  [{ op: 'replace', path: '/metadata', value: 'x' }],
  [{ op: 'bogus', path: '/spec' }],
  [{ op: 'add', path: 'no-slash', value: 1 }],
  [{ op: 'remove', path: '/does/not/exist' }],
  [{ op: 'add', path: '/metadata/labels/a~2b', value: 1 }],
  [{ op: 'test', path: '/metadata/name', value: 'wrong' }],
  [{ op: 'move', from: '/metadata', path: '/metadata/labels' }],
  [{ op: 'copy', from: '/nope', path: '/x' }],
  [{ op: 'add', path: '/spec/containers/99/image', value: 'x' }],
  [{ op: 'add', path: '/metadata/finalizers/-', value: 7 }],
  [{ op: 'replace', path: '/spec/ports/0/port', value: 'eighty' }],
  [{ op: 'replace', path: '/metadata/name', value: null }],
  [{ op: 'add', path: '/__proto__/polluted', value: 1 }],
  { op: 'add' },
  [1, 2],
  [{}],
  'string',
];

const badMergePatches: Json[] = [
  { metadata: 'x' }, { spec: 5 }, { metadata: { labels: 'x' } }, { spec: { replicas: 'three' } }, { spec: { ports: [{ port: 'x' }] } }, { spec: { containers: [{ name: 'c', image: [1] }] } },
  { metadata: { resourceVersion: 7 } }, { data: [1] }, [1], 'x', 7, null, { __proto__: { polluted: 1 } } as unknown as Json, { metadata: { name: 'renamed' } }, { status: { phase: 9 } },
];

const badStrategicPatches: Json[] = [
  ...badMergePatches,
  { $patch: 'delete' }, { $patch: 'replace' }, { $patch: 7 }, { spec: { $retainKeys: 'x' } }, { spec: { containers: [{ $patch: 'delete' }] } }, { spec: { containers: [{ $patch: 'merge', name: 'c' }] } },
  { spec: { $setElementOrder: { containers: 'x' } } }, { spec: { $setElementOrder: { containers: [{ name: 7 }] } } }, { metadata: { $deleteFromPrimitiveList: { finalizers: 'x' } } },
  { spec: { containers: [{ image: 'no-name' }] } }, { spec: { ports: [{ name: 'http', $patch: 'bogus' }] } },
];

const badApplyPatches = [
  '{', 'apiVersion: v1\nkind: [', 'kind: Wrong\napiVersion: v1\nmetadata: {name: x}', '- a\n- b', '7', 'metadata: x', '', '\u0000', 'a: &a [*a]',
];

const contentTypes = ['text/plain', 'application/xml', 'application/json-patch+json', '', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/yaml', 'application/vnd.kubernetes.protobuf', '*/*', 'application/'];

function collectionPath(info: ResourceInfo, namespace: string): string {
  const base = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  return info.namespaced ? `${base}/namespaces/${namespace}/${info.resource}` : `${base}/${info.resource}`;
}

export interface Target {
  info: ResourceInfo;
  namespace: string;
  /** an object of the resource that exists, addressed by update/patch/get/delete */
  name: string;
  /** true for objects that must not change (only requests that cannot succeed are sent to them) */
  keep?: boolean;
}

/** One fuzzed request against one target. */
export function fuzzRequest(g: Gen, t: Target, serial: number): FuzzRequest {
  const coll = collectionPath(t.info, t.namespace);
  const item = `${coll}/${encodeURIComponent(t.name)}`;
  const q = g.chance(0.3) ? g.pick(absurdQueries) : '';
  const fresh = `fz${serial}`;
  const verb = g.pick(t.keep ? (['get', 'list', 'watch', 'update', 'patch', 'patch', 'create'] as const) : (['create', 'create', 'update', 'patch', 'patch', 'get', 'list', 'watch', 'delete', 'deletecollection', 'subresource'] as const));
  switch (verb) {
    case 'get':
      return { method: 'GET', path: g.chance(0.1) ? `${coll}/${encodeURIComponent((g.pick(oddStrings).slice(0, 300) as string & { toWellFormed(): string }).toWellFormed()) || 'x'}` : item, query: q, mayWrite: false };
    case 'list':
      return { method: 'GET', path: coll, query: q, mayWrite: false };
    case 'watch':
      return { method: 'GET', path: coll, query: `watch=1&timeoutSeconds=1${q ? `&${q}` : ''}`, mayWrite: false };
    case 'create': {
      const m = mutate(g, baseManifest(t.info, t.keep ? t.name : fresh), t.keep ? g.pick(['metadataString', 'truncated'] as const) : undefined);
      const contentType = g.chance(0.1) ? g.pick(contentTypes) : 'application/json';
      return { method: 'POST', path: coll, query: q, contentType, body: m.text, mayWrite: !t.keep };
    }
    case 'update': {
      const manifest = baseManifest(t.info, t.name);
      const m = mutate(g, manifest, t.keep ? g.pick(['metadataString', 'truncated'] as const) : undefined);
      const sub = !t.keep && t.info.hasStatus && g.chance(0.2) ? '/status' : '';
      return { method: 'PUT', path: item + sub, query: q, contentType: g.chance(0.05) ? g.pick(contentTypes) : 'application/json', body: m.text, mayWrite: !t.keep };
    }
    case 'patch': {
      const type = g.pick(['json', 'merge', 'strategic', 'apply', 'bogus'] as const);
      const sub = !t.keep && t.info.hasStatus && g.chance(0.2) ? '/status' : t.info.subresources.includes('scale') && g.chance(0.1) ? '/scale' : '';
      const path = item + (t.keep ? '' : sub);
      if (type === 'json') {
        const patch = t.keep ? g.pick([badJsonPatches[0]!, badJsonPatches[1]!, badJsonPatches[2]!, badJsonPatches[10]!]) : g.pick(badJsonPatches);
        return { method: 'PATCH', path, query: q, contentType: 'application/json-patch+json', body: JSON.stringify(patch), mayWrite: !t.keep };
      }
      if (type === 'merge' || type === 'strategic') {
        const list = type === 'merge' ? badMergePatches : badStrategicPatches;
        const patch = t.keep ? g.pick([badMergePatches[0]!, badMergePatches[1]!, badMergePatches[2]!]) : g.pick(list);
        const text = g.chance(0.15) ? JSON.stringify(patch).slice(0, -1) : JSON.stringify(patch);
        return { method: 'PATCH', path, query: q, contentType: `application/${type === 'merge' ? 'merge' : 'strategic-merge'}-patch+json`, body: text, mayWrite: !t.keep };
      }
      if (type === 'apply') {
        const body = t.keep ? g.pick(['{', 'metadata: x']) : g.chance(0.5) ? g.pick(badApplyPatches) : mutate(g, baseManifest(t.info, t.name)).text;
        return { method: 'PATCH', path, query: t.keep ? 'fieldManager=fuzz' : q || 'fieldManager=fuzz', contentType: 'application/apply-patch+yaml', body, mayWrite: !t.keep };
      }
      return { method: 'PATCH', path, query: q, contentType: g.pick(contentTypes), body: '{}', mayWrite: false };
    }
    case 'delete': {
      const body = g.pick([undefined, '{"gracePeriodSeconds":"x"}', '{"propagationPolicy":7}', '[1]', '{', '{"preconditions":{"uid":"nope"}}', '{"dryRun":["All"]}', '"x"', 'null']);
      return { method: 'DELETE', path: item, query: q, contentType: 'application/json', body, mayWrite: true };
    }
    case 'deletecollection':
      return { method: 'DELETE', path: coll, query: `labelSelector=fuzz-none%3Dnever${q ? `&${q}` : ''}`, mayWrite: false };
    case 'subresource': {
      const sub = g.pick(['binding', 'eviction', 'log', 'bogus', 'status', 'scale', 'finalize']);
      return { method: g.pick(['POST', 'PUT', 'GET'] as const), path: `${item}/${sub}`, query: q, contentType: 'application/json', body: g.pick(['{', 'null', '[]', '{"target":7}', '{"target":{"name":["n"]}}', '{"spec":{"replicas":"x"}}']), mayWrite: !t.keep };
    }
  }
}

export const fuzzResources: readonly ResourceInfo[] = resources;
