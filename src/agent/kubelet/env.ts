/**
 * A container's environment as kubelet builds it (kubelet_pods.go makeEnvironmentVariables): Service
 * link variables, then envFrom, then env (value with `$(VAR)` expansion, fieldRef, resourceFieldRef,
 * configMapKeyRef, secretKeyRef), plus skiff's runtime contract (POD_IP, SKIFF_CONTAINER_PORTS, ...).
 */
import type { ConfigMap, Container, EnvVar, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { expand, mappingFor } from '../images/command.js';
import { joinHostPort } from '../../util/net.js';

export interface EnvSources {
  /** ConfigMap/Secret in the pod's namespace, or undefined when absent. */
  configMap(name: string): ConfigMap | undefined;
  secret(name: string): Secret | undefined;
  /** Services of the pod's namespace plus default/kubernetes, for service links. */
  services: Service[];
  podIP: string;
  hostIP: string;
}

export type EnvResult = { env: Record<string, string> } | { error: string; reason: 'CreateContainerConfigError' };

/** `{NAME}_SERVICE_HOST` and friends (pkg/kubelet/envvars FromServices). */
export function serviceEnv(services: Service[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const svc of services) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None' || svc.spec?.type === 'ExternalName') continue;
    const name = svc.metadata!.name!.toUpperCase().replace(/-/g, '_');
    const ports = svc.spec?.ports ?? [];
    out[`${name}_SERVICE_HOST`] = ip;
    if (ports.length > 0) out[`${name}_SERVICE_PORT`] = String(ports[0]!.port);
    for (const p of ports) if (p.name) out[`${name}_SERVICE_PORT_${p.name.toUpperCase().replace(/-/g, '_')}`] = String(p.port);
    if (ports.length === 0) continue;
    const first = ports[0]!;
    out[`${name}_PORT`] = `${(first.protocol ?? 'TCP').toLowerCase()}://${joinHostPort(ip, first.port)}`;
    for (const p of ports) {
      const proto = p.protocol ?? 'TCP';
      const prefix = `${name}_PORT_${p.port}_${proto.toUpperCase()}`;
      out[prefix] = `${proto.toLowerCase()}://${joinHostPort(ip, p.port)}`;
      out[`${prefix}_PROTO`] = proto.toLowerCase();
      out[`${prefix}_PORT`] = String(p.port);
      out[`${prefix}_ADDR`] = ip;
    }
  }
  return out;
}

/** The services whose links a pod sees: its namespace's (if enableServiceLinks), and always default/kubernetes. */
export function servicesForPod(pod: Pod, all: Service[]): Service[] {
  const links = pod.spec?.enableServiceLinks ?? true;
  const ns = pod.metadata?.namespace ?? 'default';
  const chosen = new Map<string, Service>();
  for (const s of all) {
    const sns = s.metadata?.namespace;
    const name = s.metadata?.name ?? '';
    if (sns === 'default' && name === 'kubernetes') chosen.set(name, s);
    else if (links && sns === ns && !chosen.has(name)) chosen.set(name, s);
  }
  // The pod's own namespace wins for a name both define (kubelet's getServiceEnvVarMap).
  if (links && ns !== 'default') for (const s of all) if (s.metadata?.namespace === ns) chosen.set(s.metadata!.name!, s);
  return [...chosen.values()];
}

const FIELD_LABEL = /^metadata\.(labels|annotations)\['(.+)'\]$/;

/** The value of a fieldRef path (kubelet podFieldSelectorRuntimeValue + fieldpath.ExtractFieldPathAsString). */
export function fieldRefValue(pod: Pod, fieldPath: string, ips: { podIP: string; hostIP: string }): string | undefined {
  const meta = pod.metadata ?? {};
  const m = FIELD_LABEL.exec(fieldPath);
  if (m) return (m[1] === 'labels' ? meta.labels : meta.annotations)?.[m[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return meta.name ?? '';
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid ?? '';
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return ips.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return ips.podIP;
  }
  return undefined;
}

/** fieldpath.FormatMap: sorted `key="value"` lines. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

function decodeSecret(secret: Secret, key: string): string | undefined {
  const b64 = secret.data?.[key];
  if (b64 !== undefined) return Buffer.from(b64, 'base64').toString('utf8');
  return secret.stringData?.[key];
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Builds the container's env as kubelet does; a missing non-optional reference is a CreateContainerConfigError. */
export function containerEnv(pod: Pod, container: Container, src: EnvSources): EnvResult {
  const fail = (error: string): EnvResult => ({ error, reason: 'CreateContainerConfigError' });
  const tmp: Record<string, string> = {};
  const svcEnv = serviceEnv(servicesForPod(pod, src.services));
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = src.configMap(from.configMapRef.name ?? '');
      if (!cm) {
        if (from.configMapRef.optional) continue;
        return fail(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries({ ...cm.data })) if (ENV_NAME.test(prefix + k)) tmp[prefix + k] = v;
    } else if (from.secretRef) {
      const s = src.secret(from.secretRef.name ?? '');
      if (!s) {
        if (from.secretRef.optional) continue;
        return fail(`secret "${from.secretRef.name}" not found`);
      }
      for (const k of Object.keys(s.data ?? {})) if (ENV_NAME.test(prefix + k)) tmp[prefix + k] = decodeSecret(s, k)!;
    }
  }
  const mapping = mappingFor(tmp, svcEnv);
  for (const v of container.env ?? []) {
    const r = envVarValue(pod, container, v, src, mapping);
    if (typeof r === 'object') return r;
    if (r !== undefined) tmp[v.name] = r;
  }
  return { env: { ...svcEnv, ...tmp } };
}

function envVarValue(pod: Pod, container: Container, v: EnvVar, src: EnvSources, mapping: (n: string) => string | undefined): string | EnvResult | undefined {
  const fail = (error: string): EnvResult => ({ error, reason: 'CreateContainerConfigError' });
  if (v.value !== undefined) return expand(v.value, mapping);
  const from = v.valueFrom;
  if (!from) return '';
  if (from.fieldRef) return fieldRefValue(pod, from.fieldRef.fieldPath, src) ?? '';
  if (from.resourceFieldRef) return resourceFieldValue(container, from.resourceFieldRef.resource, from.resourceFieldRef.divisor);
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const cm = src.configMap(ref.name ?? '');
    if (!cm) return ref.optional ? undefined : fail(`configmap "${ref.name}" not found`);
    const val = cm.data?.[ref.key] ?? (cm.binaryData?.[ref.key] !== undefined ? Buffer.from(cm.binaryData[ref.key]!, 'base64').toString('utf8') : undefined);
    if (val === undefined) return ref.optional ? undefined : fail(`couldn't find key ${ref.key} in ConfigMap ${pod.metadata?.namespace}/${ref.name}`);
    return val;
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const s = src.secret(ref.name ?? '');
    if (!s) return ref.optional ? undefined : fail(`secret "${ref.name}" not found`);
    const val = decodeSecret(s, ref.key);
    if (val === undefined) return ref.optional ? undefined : fail(`couldn't find key ${ref.key} in Secret ${pod.metadata?.namespace}/${ref.name}`);
    return val;
  }
  return '';
}

/** limits.cpu / requests.memory etc.; with no limit set, kubelet uses the node's allocatable (here: the host's). */
function resourceFieldValue(container: Container, resource: string, divisor?: string | number): string {
  const [kind, name] = resource.split('.') as ['limits' | 'requests', string];
  const q = container.resources?.[kind]?.[name];
  const value = q !== undefined ? parseQuantity(String(q)) : name === 'cpu' ? 1 : 0;
  const div = divisor !== undefined ? parseQuantity(String(divisor)) : 1;
  return String(Math.ceil(value / (div || 1)));
}

const SUFFIX: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

export function parseQuantity(q: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return 0;
  return Number(m[1]) * (SUFFIX[m[2]!] ?? 1);
}
