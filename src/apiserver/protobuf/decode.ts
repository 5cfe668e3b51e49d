// Decodes request bodies sent as application/vnd.kubernetes.protobuf into the JSON object
// the same client would have sent as application/json, driven by the generated schema table.
import { ProtoReader, WireType, unpack, utf8, type WireField } from './wire.js';
import { protobufSchema, type FieldSchema, type ScalarType } from './schema.js';

/** Every Kubernetes protobuf body starts with these 4 bytes, then a runtime.Unknown message. */
const magic = [0x6b, 0x38, 0x73, 0x00];
const maxDepth = 100;

export interface DecodedProtobuf {
  apiVersion: string;
  kind: string;
  /** The object as JSON would carry it, with apiVersion and kind set. */
  object: Record<string, unknown>;
}

/** Throws a plain Error naming what is wrong when the body is not a well-formed Kubernetes protobuf object. */
export function decodeKubernetesProtobuf(body: Uint8Array): DecodedProtobuf {
  if (body.length < magic.length || magic.some((b, i) => body[i] !== b))
    throw new Error('not a Kubernetes protobuf body: it does not start with the "k8s\\x00" prefix');
  const unknown = { apiVersion: '', kind: '', raw: new Uint8Array() as Uint8Array, contentEncoding: '' };
  for (const f of new ProtoReader(body.subarray(magic.length), 'runtime.Unknown').fields()) {
    if (f.number === 1 && f.bytes) {
      for (const t of new ProtoReader(f.bytes, 'runtime.TypeMeta').fields()) {
        if (t.number === 1 && t.bytes) unknown.apiVersion = utf8.decode(t.bytes);
        if (t.number === 2 && t.bytes) unknown.kind = utf8.decode(t.bytes);
      }
    } else if (f.number === 2 && f.bytes) unknown.raw = f.bytes;
    else if (f.number === 3 && f.bytes) unknown.contentEncoding = utf8.decode(f.bytes);
  }
  const { apiVersion, kind } = unknown;
  if (!apiVersion || !kind) throw new Error('Kubernetes protobuf body has no apiVersion or kind in its type meta');
  if (unknown.contentEncoding) throw new Error(`Kubernetes protobuf body uses unsupported content encoding "${unknown.contentEncoding}"`);
  const schema = protobufSchema();
  const message = schema.kinds[`${apiVersion}/${kind}`] ?? schema.kinds[`*/${kind}`];
  if (!message) throw new Error(`no protobuf decoding is known for ${kind} in ${apiVersion}`);
  const object = { kind, apiVersion, ...decodeMessage(unknown.raw, message, kind, 0) };
  return { apiVersion, kind, object };
}

function decodeMessage(bytes: Uint8Array, name: string, path: string, depth: number): Record<string, unknown> {
  if (depth > maxDepth) throw new Error(`malformed protobuf body at ${path}: nesting deeper than ${maxDepth}`);
  const fields = protobufSchema().messages[name];
  if (!fields) throw new Error(`no protobuf schema for message ${name}`);
  const wire = readFields(bytes, path);
  const out: Record<string, unknown> = {};
  // A non-repeated message field may arrive in pieces; proto merges them, as decoding the concatenation does.
  const pending = new Map<number, Uint8Array[]>();
  for (const f of wire) {
    const spec = fields[String(f.number)];
    if (!spec) continue; // unknown fields are skipped, as the Go decoder does
    const at = spec.json ? `${path}.${spec.json}` : path;
    if (spec.type === 'message' && !spec.repeated) {
      pending.set(f.number, [...(pending.get(f.number) ?? []), expectBytes(f, at)]);
    } else if (spec.type === 'map') {
      const map = (out[spec.json!] ??= {}) as Record<string, unknown>;
      const [k, v] = mapEntry(expectBytes(f, at), spec, at, depth);
      map[k] = v;
    } else if (spec.repeated) {
      const list = (out[spec.json!] ??= []) as unknown[];
      if (spec.type === 'message') list.push(decodeValue(expectBytes(f, at), spec.ref!, at, depth + 1));
      else if (f.wireType === WireType.bytes && spec.type !== 'string' && spec.type !== 'bytes')
        list.push(...unpack(f.bytes!, wireTypeOf(spec.type), at).map((v) => scalar(v, spec.type as ScalarType)));
      else list.push(scalarField(f, spec.type as ScalarType, at));
    } else {
      const v = scalarField(f, spec.type as ScalarType, at);
      if (spec.omitZero && (v === '' || v === 0 || v === false)) delete out[spec.json!];
      else out[spec.json!] = v;
    }
  }
  for (const [number, parts] of pending) {
    const spec = fields[String(number)]!;
    const whole = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const v = decodeValue(whole, spec.ref!, spec.json ? `${path}.${spec.json}` : path, depth + 1);
    if (spec.inline) Object.assign(out, v);
    else out[spec.json!] = v;
  }
  return out;
}

function readFields(bytes: Uint8Array, path: string): WireField[] {
  return new ProtoReader(bytes, `body at ${path}`).fields();
}

function expectBytes(f: WireField, path: string): Uint8Array {
  if (!f.bytes) throw new Error(`malformed protobuf body at ${path}: expected a length-delimited field, got wire type ${f.wireType}`);
  return f.bytes;
}

function mapEntry(bytes: Uint8Array, spec: FieldSchema, path: string, depth: number): [string, unknown] {
  let key: unknown = spec.key === 'string' ? '' : 0;
  let value: unknown;
  for (const f of readFields(bytes, path)) {
    if (f.number === 1) key = scalarField(f, spec.key!, path);
    else if (f.number === 2) value = spec.value === 'message' ? decodeValue(expectBytes(f, path), spec.ref!, `${path}[${String(key)}]`, depth + 1) : scalarField(f, spec.value!, path);
  }
  // An absent value is the zero value, as in Go.
  if (value === undefined) value = spec.value === 'message' ? decodeValue(new Uint8Array(), spec.ref!, path, depth + 1) : scalar(0n, spec.value as ScalarType, new Uint8Array());
  return [String(key), value];
}

const pkg = {
  meta: 'k8s.io.apimachinery.pkg.apis.meta.v1.',
  quantity: 'k8s.io.apimachinery.pkg.api.resource.Quantity',
  intOrString: 'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  rawExtension: 'k8s.io.apimachinery.pkg.runtime.RawExtension',
};

/** Messages whose JSON form is not an object of their fields (custom Go JSON marshalling). */
function decodeValue(bytes: Uint8Array, name: string, path: string, depth: number): unknown {
  switch (name) {
    case pkg.quantity: {
      const s = decodeMessage(bytes, name, path, depth).string;
      return typeof s === 'string' && s !== '' ? s : '0';
    }
    case pkg.intOrString: {
      const v = decodeMessage(bytes, name, path, depth);
      return v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0);
    }
    case `${pkg.meta}Time`:
    case `${pkg.meta}MicroTime`: {
      if (bytes.length === 0) return null; // the zero time marshals as null
      const v = decodeMessage(bytes, name, path, depth);
      const micro = name.endsWith('MicroTime');
      // metav1.Time keeps whole seconds only (its proto unmarshal drops nanos); MicroTime keeps microseconds.
      const ms = Number(v.seconds ?? 0) * 1000 + (micro ? Math.floor(Number(v.nanos ?? 0) / 1e6) : 0);
      const iso = new Date(ms).toISOString();
      return micro ? `${iso.slice(0, 19)}.${String(Math.floor(Number(v.nanos ?? 0) / 1000)).padStart(6, '0')}Z` : `${iso.slice(0, 19)}Z`;
    }
    case `${pkg.meta}Duration`:
      return goDuration(Number(decodeMessage(bytes, name, path, depth).duration ?? 0));
    case `${pkg.meta}FieldsV1`:
    case pkg.rawExtension:
      return rawJSON(bytes, name, path, depth);
    case `${pkg.meta}Verbs`:
      return decodeMessage(bytes, name, path, depth).items ?? [];
    default:
      return decodeMessage(bytes, name, path, depth);
  }
}

/** FieldsV1 and RawExtension carry their JSON (or a nested protobuf object) as raw bytes in field 1. */
function rawJSON(bytes: Uint8Array, name: string, path: string, depth: number): unknown {
  let raw: Uint8Array | undefined;
  for (const f of readFields(bytes, path)) if (f.number === 1) raw = expectBytes(f, path);
  if (!raw || raw.length === 0) return name === pkg.rawExtension ? null : {};
  if (magic.every((b, i) => raw![i] === b)) {
    if (depth > maxDepth) throw new Error(`malformed protobuf body at ${path}: nesting deeper than ${maxDepth}`);
    return decodeKubernetesProtobuf(raw).object;
  }
  try {
    return JSON.parse(utf8.decode(raw));
  } catch {
    throw new Error(`malformed protobuf body at ${path}: raw content is neither JSON nor a Kubernetes protobuf object`);
  }
}

function wireTypeOf(type: ScalarType): number {
  if (type === 'double' || type === 'fixed64' || type === 'sfixed64') return WireType.fixed64;
  if (type === 'float' || type === 'fixed32' || type === 'sfixed32') return WireType.fixed32;
  if (type === 'string' || type === 'bytes') return WireType.bytes;
  return WireType.varint;
}

function scalarField(f: WireField, type: ScalarType, path: string): unknown {
  const want = wireTypeOf(type);
  if (f.wireType !== want) throw new Error(`malformed protobuf body at ${path}: ${type} field ${f.number} has wire type ${f.wireType}, expected ${want}`);
  return scalar(f.varint ?? 0n, type, f.bytes);
}

function scalar(v: bigint, type: ScalarType, bytes?: Uint8Array): unknown {
  switch (type) {
    case 'string':
      return utf8.decode(bytes ?? new Uint8Array());
    case 'bytes':
      return Buffer.from(bytes ?? new Uint8Array()).toString('base64');
    case 'bool':
      return v !== 0n;
    case 'int32':
    case 'sfixed32':
      return Number(BigInt.asIntN(32, v));
    case 'int64':
    case 'sfixed64':
      return Number(BigInt.asIntN(64, v));
    case 'sint32':
    case 'sint64':
      return Number((v >> 1n) ^ -(v & 1n));
    case 'double':
    case 'float': {
      const view = new DataView(new ArrayBuffer(8));
      if (type === 'double') return view.setBigUint64(0, v, true), view.getFloat64(0, true);
      return view.setUint32(0, Number(v), true), view.getFloat32(0, true);
    }
    default:
      return Number(v); // uint32, uint64, fixed32, fixed64
  }
}

/** Go's time.Duration.String(), which metav1.Duration uses for JSON. */
function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let n = Math.abs(ns);
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${trim(n / 1e3)}µs`;
  if (n < 1e9) return `${sign}${trim(n / 1e6)}ms`;
  const h = Math.floor(n / 3600e9);
  n -= h * 3600e9;
  const m = Math.floor(n / 60e9);
  n -= m * 60e9;
  const s = `${trim(n / 1e9)}s`;
  return sign + (h ? `${h}h${m}m${s}` : m ? `${m}m${s}` : s);
}

function trim(x: number): string {
  return String(Number(x.toFixed(9)));
}
