/**
 * What a configMap, secret, downwardAPI or projected volume holds (the volume plugins' MakePayload):
 * keys or `items` with paths and modes, a missing object or key being an error unless `optional`.
 * Pure: the objects and the service-account token are looked up by the caller.
 */
import type { ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, ProjectedVolumeSource, Secret } from 'kubernetes-types/core/v1.js';
import { fieldRefValue, parseQuantity } from '../kubelet/env.js';
import type { Payload } from './atomic-writer.js';

export const defaultFileMode = 0o644;

export type PayloadResult = { payload: Payload } | { error: string };

export interface PayloadLookups {
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
  podIP: string;
  hostIP: string;
  /** The token for a serviceAccountToken projection (fetched by the caller beforehand). */
  token?(audience: string | undefined, expirationSeconds: number): string | undefined;
  /** kube-root-ca.crt etc. come through configMap(). */
}

function keyData(all: Map<string, Buffer>, items: KeyToPath[] | undefined, mode: number, missingKey: (k: string) => string, optional: boolean): PayloadResult {
  const payload: Payload = new Map();
  if (!items || items.length === 0) {
    for (const [k, v] of all) payload.set(k, { data: v, mode });
    return { payload };
  }
  for (const it of items) {
    const v = all.get(it.key);
    if (v === undefined) {
      if (optional) continue;
      return { error: missingKey(it.key) };
    }
    payload.set(it.path, { data: v, mode: it.mode ?? mode });
  }
  return { payload };
}

export function configMapData(cm: ConfigMap): Map<string, Buffer> {
  const all = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) all.set(k, Buffer.from(String(v)));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) all.set(k, Buffer.from(String(v), 'base64'));
  return all;
}

export function secretData(s: Secret): Map<string, Buffer> {
  const all = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(s.data ?? {})) all.set(k, Buffer.from(String(v), 'base64'));
  return all;
}

export function configMapPayload(src: { name?: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number }, cm: ConfigMap | undefined): PayloadResult {
  const optional = src.optional ?? false;
  if (!cm) return optional ? { payload: new Map() } : { error: `configmap "${src.name ?? ''}" not found` };
  return keyData(configMapData(cm), src.items, src.defaultMode ?? defaultFileMode, (k) => `configmap references non-existent config key: ${k}`, optional);
}

export function secretPayload(src: { secretName?: string; name?: string; items?: KeyToPath[]; optional?: boolean; defaultMode?: number }, secret: Secret | undefined): PayloadResult {
  const optional = src.optional ?? false;
  const name = src.secretName ?? src.name ?? '';
  if (!secret) return optional ? { payload: new Map() } : { error: `secret "${name}" not found` };
  return keyData(secretData(secret), src.items, src.defaultMode ?? defaultFileMode, (k) => `references non-existent secret key: ${k}`, optional);
}

function resourceValue(pod: Pod, ref: { containerName?: string; resource: string; divisor?: string | number }): string | { error: string } {
  const containers = pod.spec?.containers ?? [];
  const c = ref.containerName ? containers.find((x) => x.name === ref.containerName) : containers[0];
  if (!c) return { error: `container ${ref.containerName ?? ''} not found` };
  const [kind, name] = ref.resource.split('.') as ['limits' | 'requests', string];
  const q = c.resources?.[kind]?.[name];
  const value = q !== undefined ? parseQuantity(String(q)) : name === 'cpu' ? 1 : 0;
  const div = ref.divisor !== undefined ? parseQuantity(String(ref.divisor)) : 1;
  return String(Math.ceil(value / (div || 1)));
}

export function downwardAPIPayload(items: DownwardAPIVolumeFile[] | undefined, defaultMode: number | undefined, pod: Pod, ips: { podIP: string; hostIP: string }): PayloadResult {
  const payload: Payload = new Map();
  const mode = defaultMode ?? defaultFileMode;
  for (const it of items ?? []) {
    let value: string | undefined;
    if (it.fieldRef) {
      value = fieldRefValue(pod, it.fieldRef.fieldPath, ips);
      if (value === undefined) return { error: `unsupported fieldPath: ${it.fieldRef.fieldPath}` };
    } else if (it.resourceFieldRef) {
      const v = resourceValue(pod, it.resourceFieldRef);
      if (typeof v !== 'string') return v;
      value = v;
    } else continue;
    payload.set(it.path, { data: Buffer.from(value), mode: it.mode ?? mode });
  }
  return { payload };
}

export function projectedPayload(src: ProjectedVolumeSource, pod: Pod, look: PayloadLookups): PayloadResult {
  const payload: Payload = new Map();
  const mode = src.defaultMode ?? defaultFileMode;
  for (const s of src.sources ?? []) {
    let r: PayloadResult | undefined;
    if (s.configMap) r = configMapPayload({ ...s.configMap, defaultMode: mode }, look.configMap(s.configMap.name ?? ''));
    else if (s.secret) r = secretPayload({ ...s.secret, defaultMode: mode }, look.secret(s.secret.name ?? ''));
    else if (s.downwardAPI) r = downwardAPIPayload(s.downwardAPI.items, mode, pod, look);
    else if (s.serviceAccountToken) {
      const t = s.serviceAccountToken;
      const token = look.token?.(t.audience, t.expirationSeconds ?? 3600);
      if (token === undefined) return { error: `failed to fetch token: the token for service account "${pod.spec?.serviceAccountName ?? 'default'}" is not available yet` };

      r = { payload: new Map([[t.path, { data: Buffer.from(token), mode }]]) };
    }
    if (!r) continue;
    if ('error' in r) return r;
    for (const [k, v] of r.payload) payload.set(k, v);
  }
  return { payload };
}
