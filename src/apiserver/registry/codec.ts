import type { KubeObject } from '../../api/types.js';
import { textDecoder, textEncoder, type KeyValue } from '../../storage/store.js';
import type { ValueTransformer } from './encryption.js';

let transformer: ValueTransformer | undefined;

/** Turns encryption at rest on (`--secrets-encryption`) for the resources the transformer names. */
export function setValueTransformer(t: ValueTransformer | undefined): void {
  transformer = t;
}

function resourceOfKey(key: string): string {
  // /registry/<resource>/..., /registry/<group>/<resource>/... (core resources have no group segment)
  const parts = key.split('/');
  return parts[2] ?? '';
}

/** Objects are stored as JSON without resourceVersion; the store's modRevision is the resourceVersion. */
export function encodeObject(obj: KubeObject): Uint8Array {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  const plain = textEncoder.encode(JSON.stringify({ ...obj, metadata }));
  if (transformer && obj.kind === 'Secret' && obj.apiVersion === 'v1' && transformer.resources.has('secrets')) return transformer.encrypt(plain);
  return plain;
}

export function decodeObject(kv: KeyValue): KubeObject {
  let value = kv.value;
  // an encrypted value starts with `k8s:enc:`; everything else is plain JSON (`{`)
  if (value[0] === 0x6b && transformer) value = transformer.decrypt(value);
  else if (value[0] === 0x6b) throw new Error(`stored value of ${kv.key} (${resourceOfKey(kv.key)}) is encrypted and no --secrets-encryption key is configured`);
  const obj = JSON.parse(textDecoder.decode(value)) as KubeObject;
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}
