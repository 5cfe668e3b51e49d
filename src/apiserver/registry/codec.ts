import type { KubeObject } from '../../api/types.js';
import { textDecoder, textEncoder, type KeyValue } from '../../storage/store.js';

/** Objects are stored as JSON without resourceVersion; the store's modRevision is the resourceVersion. */
export function encodeObject(obj: KubeObject): Uint8Array {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return textEncoder.encode(JSON.stringify({ ...obj, metadata }));
}

export function decodeObject(kv: KeyValue): KubeObject {
  const obj = JSON.parse(textDecoder.decode(kv.value)) as KubeObject;
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}
