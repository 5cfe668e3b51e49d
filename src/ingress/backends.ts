/** Service backends of an Ingress resolved to the addresses to dial (pod IP:port, as ingress-nginx does). */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';

export interface ServiceBackendRef {
  namespace: string;
  service: string;
  /** `spec.rules[].http.paths[].backend.service.port`: a number or a name. */
  port: { number?: number; name?: string };
}

export interface Upstream {
  host: string;
  port: number;
}

export interface ResolvedBackend {
  /** `namespace/service:port`, also the key of the round-robin state. */
  key: string;
  /** Ready endpoints, in a stable order; empty means 503. */
  upstreams: Upstream[];
  /** Why there are no upstreams (for logs). */
  reason?: string;
}

export function backendKey(ref: ServiceBackendRef): string {
  return `${ref.namespace}/${ref.service}:${ref.port.number ?? ref.port.name ?? ''}`;
}

function findServicePort(svc: Service, ref: ServiceBackendRef): ServicePort | undefined {
  const ports = svc.spec?.ports ?? [];
  if (ref.port.number !== undefined) return ports.find((p) => p.port === ref.port.number);
  return ports.find((p) => p.name === ref.port.name);
}

/** The port a slice publishes for a Service port: slices name their ports after the Service's ports. */
function slicePort(slice: EndpointSlice, svcPort: ServicePort, onlyPort: boolean): number | undefined {
  const wanted = svcPort.name ?? '';
  const protocol = svcPort.protocol ?? 'TCP';
  const found = (slice.ports ?? []).find((p) => (p.name ?? '') === wanted && (p.protocol ?? 'TCP') === protocol);
  if (found?.port != null) return found.port;
  if (onlyPort && slice.ports?.length === 1 && slice.ports[0]!.port != null) return slice.ports[0]!.port;
  return typeof svcPort.targetPort === 'number' ? svcPort.targetPort : undefined;
}

export interface BackendLookup {
  service(namespace: string, name: string): Service | undefined;
  /** The EndpointSlices labelled `kubernetes.io/service-name: name` in `namespace`. */
  endpointSlices(namespace: string, name: string): EndpointSlice[];
}

/** Resolves a backend reference to ready upstreams: Service port → targetPort → EndpointSlice port. */
export function resolveBackend(ref: ServiceBackendRef, lookup: BackendLookup): ResolvedBackend {
  const key = backendKey(ref);
  const svc = lookup.service(ref.namespace, ref.service);
  if (!svc) return { key, upstreams: [], reason: `Service "${ref.namespace}/${ref.service}" not found` };
  if (svc.spec?.type === 'ExternalName' && svc.spec.externalName) {
    const port = ref.port.number ?? findServicePort(svc, ref)?.port;
    if (port === undefined) return { key, upstreams: [], reason: `Service "${ref.namespace}/${ref.service}" has no port ${ref.port.name}` };
    return { key, upstreams: [{ host: svc.spec.externalName, port }] };
  }
  const svcPort = findServicePort(svc, ref);
  if (!svcPort) return { key, upstreams: [], reason: `Service "${ref.namespace}/${ref.service}" has no port ${ref.port.number ?? ref.port.name}` };
  const onlyPort = (svc.spec?.ports ?? []).length === 1;
  const seen = new Set<string>();
  const upstreams: Upstream[] = [];
  for (const slice of lookup.endpointSlices(ref.namespace, ref.service)) {
    if (slice.addressType === 'FQDN') continue;
    const port = slicePort(slice, svcPort, onlyPort);
    if (port === undefined) continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.conditions?.ready === false) continue;
      const host = ep.addresses?.[0];
      if (!host) continue;
      const id = `${host}|${port}`;
      if (seen.has(id)) continue;
      seen.add(id);
      upstreams.push({ host, port });
    }
  }
  upstreams.sort((a, b) => (a.host === b.host ? a.port - b.port : a.host < b.host ? -1 : 1));
  return upstreams.length ? { key, upstreams } : { key, upstreams, reason: `Service "${ref.namespace}/${ref.service}" does not have any active Endpoint` };
}
