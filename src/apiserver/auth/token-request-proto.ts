/**
 * kubectl sends TokenRequest bodies as Kubernetes protobuf. The generated schema table does not carry
 * authentication.k8s.io (its Go type data is not where the schema generator looks), so the three
 * messages are read here by field number (k8s.io/api/authentication/v1/generated.proto):
 * TokenRequest{metadata=1, spec=2}, TokenRequestSpec{audiences=1 repeated, boundObjectRef=3,
 * expirationSeconds=4}, BoundObjectReference{kind=1, apiVersion=2, name=3, uid=4}.
 */
import { ProtoReader, utf8 } from '../protobuf/wire.js';
import type { TokenRequestSpec } from './service-account.js';

const magic = [0x6b, 0x38, 0x73, 0x00];

export function isKubernetesProtobuf(body: Uint8Array): boolean {
  return body.length >= 4 && magic.every((b, i) => body[i] === b);
}

export function decodeTokenRequestProtobuf(body: Uint8Array): { spec: TokenRequestSpec } {
  let raw: Uint8Array | undefined;
  let kind = '';
  for (const f of new ProtoReader(body.subarray(4), 'runtime.Unknown').fields()) {
    if (f.number === 1 && f.bytes) for (const t of new ProtoReader(f.bytes, 'runtime.TypeMeta').fields()) if (t.number === 2 && t.bytes) kind = utf8.decode(t.bytes);
    if (f.number === 2 && f.bytes) raw = f.bytes;
  }
  if (kind !== 'TokenRequest' || !raw) throw new Error(`expected a TokenRequest, got "${kind}"`);
  const spec: TokenRequestSpec = {};
  for (const f of new ProtoReader(raw, 'TokenRequest').fields()) {
    if (f.number !== 2 || !f.bytes) continue;
    for (const s of new ProtoReader(f.bytes, 'TokenRequestSpec').fields()) {
      if (s.number === 1 && s.bytes) (spec.audiences ??= []).push(utf8.decode(s.bytes));
      else if (s.number === 4 && s.varint !== undefined) spec.expirationSeconds = Number(BigInt.asIntN(64, s.varint));
      else if (s.number === 3 && s.bytes) {
        const ref: NonNullable<TokenRequestSpec['boundObjectRef']> = {};
        for (const r of new ProtoReader(s.bytes, 'BoundObjectReference').fields()) {
          const v = r.bytes ? utf8.decode(r.bytes) : '';
          if (r.number === 1) ref.kind = v;
          else if (r.number === 2) ref.apiVersion = v;
          else if (r.number === 3) ref.name = v;
          else if (r.number === 4) ref.uid = v;
        }
        if (ref.kind || ref.name) spec.boundObjectRef = ref;
      }
    }
  }
  return { spec };
}
