// Generates src/apiserver/protobuf/schema.json: the table that drives the protobuf request-body decoder.
//
//   node --import tsx scripts/gen-protobuf-schema.ts [--kubectl /path/to/kubectl]
//
// The source is the kubectl binary itself (the client whose bodies we decode): it carries the
// gogo FileDescriptorProtos of every k8s.io API package (field numbers, wire types, message
// references) and Go runtime type data with each struct field's json/protobuf tags and type
// (JSON names, ",inline" embedding, pointer vs value → whether a zero value survives in JSON).
// The decompressed descriptors are also written under .tmp/proto/ (git-ignored) for inspection.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GoBinary, GoKind } from './protobuf-source/kubectl-binary.js';
import { parseFileDescriptor, protoScalar, TYPE_MESSAGE, type ProtoMessage } from './protobuf-source/descriptors.js';
import type { FieldSchema, ProtobufSchema, ScalarType } from '../src/apiserver/protobuf/schema.js';

/** Go package → apiVersion of the kinds it defines; meta/v1 kinds are valid under any group version. */
const packages: Record<string, string> = {
  'k8s.io/api/core/v1': 'v1',
  'k8s.io/api/apps/v1': 'apps/v1',
  'k8s.io/api/networking/v1': 'networking.k8s.io/v1',
  'k8s.io/api/discovery/v1': 'discovery.k8s.io/v1',
  'k8s.io/api/coordination/v1': 'coordination.k8s.io/v1',
  'k8s.io/api/autoscaling/v1': 'autoscaling/v1',
  'k8s.io/api/policy/v1': 'policy/v1',
  'k8s.io/api/batch/v1': 'batch/v1',
  'k8s.io/apimachinery/pkg/apis/meta/v1': '*',
};

/** Messages whose JSON form is not their fields; decode.ts converts them by name. */
const special = new Set([
  'k8s.io.apimachinery.pkg.api.resource.Quantity',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Time',
  'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Duration',
  'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'k8s.io.apimachinery.pkg.runtime.RawExtension',
  'k8s.io.apimachinery.pkg.apis.meta.v1.Verbs', // Go []string wrapped as {items} on the wire
]);

function tags(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/(\w+):"([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

function main(): void {
  const i = process.argv.indexOf('--kubectl');
  const kubectl = realpathSync(i > 0 ? process.argv[i + 1]! : execFileSync('which', ['kubectl'], { encoding: 'utf8' }).trim());
  const version = JSON.parse(execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })) as { clientVersion: { gitVersion: string } };
  const bin = new GoBinary(readFileSync(kubectl));
  const warnings: string[] = [];

  const protos = new Map<string, ProtoMessage>();
  for (const [file, bytes] of bin.fileDescriptors()) {
    if (!file.startsWith('k8s.io/')) continue;
    const path = join('.tmp/proto', file.replace(/\.proto$/, '.desc.pb'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    parseFileDescriptor(file, bytes, protos);
  }
  const structs = bin.namedStructs();
  const goStructOf = new Map<string, number>();
  const lookupGo = (m: ProtoMessage) => goStructOf.get(m.fullName) ?? structs.get(`${m.goPackage}.${m.fullName.replace(/^.*\./, '')}`);

  // Roots: every kind (a struct embedding TypeMeta) in the packages above.
  const schema: ProtobufSchema = { source: `kubectl ${version.clientVersion.gitVersion}`, kinds: {}, messages: {} };
  const queue: string[] = [];
  for (const m of protos.values()) {
    const apiVersion = packages[m.goPackage];
    const go = apiVersion && !m.mapEntry ? lookupGo(m) : undefined;
    if (!go || !bin.structFields(go).some((f) => f.embedded && f.name === 'TypeMeta')) continue;
    schema.kinds[`${apiVersion}/${m.fullName.replace(/^.*\./, '')}`] = m.fullName;
    queue.push(m.fullName);
  }

  const seen = new Set(queue);
  const enqueue = (name: string, goType?: number) => {
    if (goType !== undefined && !goStructOf.has(name)) goStructOf.set(name, goType);
    if (!seen.has(name)) seen.add(name), queue.push(name);
  };
  while (queue.length) {
    const name = queue.shift()!;
    const m = protos.get(name);
    if (!m) throw new Error(`message ${name} is referenced but not defined in kubectl's descriptors`);
    const go = special.has(name) ? undefined : lookupGo(m);
    if (!go && !special.has(name)) warnings.push(`no Go struct for ${name}: using proto field names`);
    const goFields = go ? bin.structFields(go) : [];
    const fields: Record<string, FieldSchema> = {};
    for (const f of m.fields) {
      const gf = goFields.find((x) => tags(x.tag).protobuf?.split(',')[1] === String(f.number));
      if (go && !gf) warnings.push(`${name}.${f.name} (${f.number}) has no Go field`);
      const [jsonName = '', ...opts] = (gf ? tags(gf.tag).json ?? '' : f.name).split(',');
      const out: FieldSchema = { type: 'string' };
      if (gf && (opts.includes('inline') || (gf.embedded && jsonName === ''))) out.inline = true;
      else out.json = jsonName || gf?.name || f.name;
      if (gf && out.json && out.json !== f.name) warnings.push(`note: ${name}.${f.name} is "${out.json}" in JSON`);
      // Go type of the field, with pointer/slice/map wrappers peeled off to reach a struct.
      let goType = gf?.type;
      const goKind = goType === undefined ? undefined : bin.kind(goType);
      while (goType !== undefined && [GoKind.pointer, GoKind.slice, GoKind.map].includes(bin.kind(goType) as 22)) goType = bin.elem(goType);
      const target = f.type === TYPE_MESSAGE ? protos.get(f.typeName!) : undefined;
      if (f.type === TYPE_MESSAGE && !target) throw new Error(`${name}.${f.name}: unknown type ${f.typeName}`);
      if (target?.mapEntry) {
        const [k, v] = [target.fields.find((x) => x.number === 1)!, target.fields.find((x) => x.number === 2)!];
        Object.assign(out, { type: 'map', key: protoScalar[k.type] as ScalarType });
        if (v.type === TYPE_MESSAGE) Object.assign(out, { value: 'message', ref: v.typeName }), enqueue(v.typeName!, goType);
        else out.value = protoScalar[v.type] as ScalarType;
      } else if (target) {
        Object.assign(out, { type: 'message', ref: target.fullName });
        if (goType !== undefined && bin.kind(goType) !== GoKind.struct && !special.has(target.fullName)) warnings.push(`${name}.${f.name}: Go type ${bin.typeName(goType)} is not a struct`);
        enqueue(target.fullName, goType !== undefined && bin.kind(goType) === GoKind.struct ? goType : undefined);
      } else {
        const t = protoScalar[f.type];
        if (!t) throw new Error(`${name}.${f.name}: unsupported proto type ${f.type}`);
        out.type = t as ScalarType;
      }
      if (f.repeated && !target?.mapEntry) out.repeated = true;
      if (!out.repeated && out.type !== 'message' && out.type !== 'map' && goKind !== GoKind.pointer && opts.includes('omitempty')) out.omitZero = true;
      fields[String(f.number)] = out;
    }
    schema.messages[name] = fields;
  }

  const names = Object.keys(schema.messages).sort();
  const lines = names.map((n) => `    ${JSON.stringify(n)}: ${JSON.stringify(schema.messages[n])}`);
  const text = `{\n  "source": ${JSON.stringify(schema.source)},\n  "kinds": ${JSON.stringify(schema.kinds, Object.keys(schema.kinds).sort(), 2).replace(/\n/g, '\n  ')},\n  "messages": {\n${lines.join(',\n')}\n  }\n}\n`;
  writeFileSync('src/apiserver/protobuf/schema.json', text);
  for (const w of warnings) console.error(w);
  console.log(`wrote src/apiserver/protobuf/schema.json: ${Object.keys(schema.kinds).length} kinds, ${names.length} messages (${schema.source})`);
}

main();
