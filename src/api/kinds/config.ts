/** ConfigMap and Secret: key rules, size limit, immutability, Secret types. */
import type { ConfigMap, Secret } from 'kubernetes-types/core/v1.js';
import type { ResourceStrategy } from '../strategy.js';
import type { FieldError } from '../status.js';
import type { KubeObject } from '../types.js';
import { forbidden, invalid, key, required } from '../validation/field.js';
import { fieldImmutableErrorMsg, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { isConfigMapKey } from '../validation/names.js';

export const maxSecretSize = 1024 * 1024;
const immutableMsg = 'field is immutable when `immutable` is set';

function validateKeys(data: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(data ?? {}).sort()) errs.push(...isConfigMapKey(k).map((m) => invalid(key(path, k), k, m)));
  return errs;
}

function decodedSize(data: Record<string, string> | undefined): number {
  return Object.values(data ?? {}).reduce((n, v) => n + Buffer.from(String(v), 'base64').length, 0);
}

export function validateConfigMap(cm: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...validateKeys(cm.data, 'data'));
  errs.push(...validateKeys(cm.binaryData, 'binaryData'));
  for (const k of Object.keys(cm.data ?? {}).sort()) if (cm.binaryData && k in cm.binaryData) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
  for (const k of Object.keys(cm.binaryData ?? {}).sort()) if (cm.data && k in cm.data) errs.push(invalid(key('binaryData', k), k, 'duplicate of key present in data'));
  const size = Object.values(cm.data ?? {}).reduce((n, v) => n + Buffer.byteLength(String(v)), 0) + decodedSize(cm.binaryData);
  if (size > maxSecretSize) errs.push({ type: 'FieldValueTooLong', field: '', detail: `may not be more than ${maxSecretSize} bytes` });
  return errs;
}

function validateImmutableData(n: { immutable?: boolean }, o: { immutable?: boolean }, fields: Array<[string, unknown, unknown]>): FieldError[] {
  if (!o.immutable) return [];
  const errs: FieldError[] = [];
  if (!n.immutable) errs.push(forbidden('immutable', immutableMsg));
  for (const [f, nv, ov] of fields) if (JSON.stringify(nv ?? null) !== JSON.stringify(ov ?? null)) errs.push(forbidden(f, immutableMsg));
  return errs;
}

/** stringData is write-only: the API server folds it into data (base64) on the way in. */
export function applySecretDefaults(s: Secret): void {
  const m = s as { type?: string; data?: Record<string, string>; stringData?: Record<string, string> };
  m.type ||= 'Opaque';
  if (m.stringData) {
    m.data = { ...(m.data ?? {}) };
    for (const [k, v] of Object.entries(m.stringData)) m.data[k] = Buffer.from(String(v)).toString('base64');
    delete m.stringData;
  }
}

export function validateSecret(s: Secret): FieldError[] {
  const errs = validateObjectMeta(s.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const data = s.data ?? {};
  errs.push(...validateKeys(data, 'data'));
  if (decodedSize(data) > maxSecretSize) errs.push({ type: 'FieldValueTooLong', field: 'data', detail: `may not be more than ${maxSecretSize} bytes` });
  const has = (k: string): boolean => Object.prototype.hasOwnProperty.call(data, k);
  switch (s.type) {
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(key('data', 'tls.crt')));
      if (!has('tls.key')) errs.push(required(key('data', 'tls.key')));
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) errs.push(required(key('data', 'username')), required(key('data', 'password')));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!has('ssh-privatekey')) errs.push(required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has('.dockerconfigjson')) errs.push(required(key('data', '.dockerconfigjson')));
      break;
    case 'kubernetes.io/dockercfg':
      if (!has('.dockercfg')) errs.push(required(key('data', '.dockercfg')));
      break;
    case 'kubernetes.io/service-account-token':
      if (!s.metadata?.annotations?.['kubernetes.io/service-account.name']) errs.push(required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
      break;
    default:
  }
  return errs;
}

export function configMapStrategy(): ResourceStrategy {
  return {
    validate: (obj: KubeObject) => validateConfigMap(obj as unknown as ConfigMap),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const n = obj as unknown as ConfigMap;
      const o = old as unknown as ConfigMap;
      const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
      errs.push(...validateImmutableData(n, o, [['data', n.data, o.data], ['binaryData', n.binaryData, o.binaryData]]));
      errs.push(...validateConfigMap(n).filter((e) => !e.field.startsWith('metadata.')));
      return errs;
    },
  };
}

export function secretStrategy(): ResourceStrategy {
  return {
    applyDefaults: (obj: KubeObject) => applySecretDefaults(obj as unknown as Secret),
    validate: (obj: KubeObject) => validateSecret(obj as unknown as Secret),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const n = obj as unknown as Secret;
      const o = old as unknown as Secret;
      const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
      if ((n.type ?? '') !== (o.type ?? '')) errs.push(invalid('type', n.type ?? '', fieldImmutableErrorMsg));
      errs.push(...validateImmutableData(n, o, [['data', n.data, o.data]]));
      errs.push(...validateSecret(n).filter((e) => !e.field.startsWith('metadata.')));
      return errs;
    },
  };
}
