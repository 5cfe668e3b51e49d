import type { KubeObject } from '../../api/types.js';
import { textDecoder, textEncoder, type KeyValue } from '../../storage/store.js';
import type { ValueTransformer } from './encryption.js';

function resourceOfKey(key: string): string {
  // /registry/<resource>/..., /registry/<group>/<resource>/... (core resources have no group segment)
  const parts = key.split('/');
  return parts[2] ?? '';
}

/**
 * Objects are stored as JSON without resourceVersion; the store's modRevision is the resourceVersion.
 * With a transformer (`--secrets-encryption`, for the resources it names) the JSON is encrypted.
 */
export function encodeObject(obj: KubeObject, transformer?: ValueTransformer): Uint8Array {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  const plain = textEncoder.encode(JSON.stringify({ ...obj, metadata }));
  return transformer ? transformer.encrypt(plain) : plain;
}

export function decodeObject(kv: KeyValue, transformer?: ValueTransformer): KubeObject {
  let value = kv.value;
  // an encrypted value starts with `k8s:enc:`; everything else is plain JSON (`{`)
  if (value[0] === 0x6b && transformer) value = transformer.decrypt(value);
  else if (value[0] === 0x6b) throw new Error(`stored value of ${kv.key} (${resourceOfKey(kv.key)}) is encrypted and no --secrets-encryption key is configured`);
  const obj = JSON.parse(textDecoder.decode(value)) as KubeObject;
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}
