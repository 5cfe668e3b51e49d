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
 * apiVersion, kind and metadata come first, so that withResourceVersion can find the object's own metadata.
 */
export function objectJSON(obj: KubeObject): string {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  const { apiVersion, kind, metadata: _metadata, ...rest } = obj;
  return JSON.stringify({ apiVersion, kind, metadata, ...rest });
}

/** objectJSON as stored: with a transformer (`--secrets-encryption`, for the resources it names) encrypted. */
export function encodeObject(obj: KubeObject, transformer?: ValueTransformer): Uint8Array {
  return encodeJSON(objectJSON(obj), transformer);
}

export function encodeJSON(json: string, transformer?: ValueTransformer): Uint8Array {
  const plain = textEncoder.encode(json);
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

/** `{"apiVersion":"V","kind":"K","metadata":{"`: how encodeObject's output of such an object starts. */
export function storedPrefix(apiVersion: string, kind: string): string {
  return `{"apiVersion":${JSON.stringify(apiVersion)},"kind":${JSON.stringify(kind)},"metadata":{"`;
}

/**
 * objectJSON's text with `"resourceVersion":"RV"` put into the metadata: the object as served, without
 * parsing it. Only for a text that starts with `prefix` (storedPrefix of the object's apiVersion and kind);
 * undefined otherwise (stored before this layout, say), when the caller decodes.
 */
export function withResourceVersion(json: string, prefix: string, rv: number): string | undefined {
  if (!json.startsWith(prefix)) return undefined;
  // prefix ends inside metadata, at the opening quote of its first key
  const at = prefix.length - 1;
  return `${json.slice(0, at)}"resourceVersion":"${rv}",${json.slice(at)}`;
}

/** The JSON of decodeObject(kv) for a plain (unencrypted) value in the stored layout; undefined otherwise. */
export function servedJSON(kv: KeyValue, prefix: string): string | undefined {
  if (kv.value[0] !== 0x7b) return undefined;
  return withResourceVersion(textDecoder.decode(kv.value), prefix, kv.modRevision);
}
