/**
 * The selectorless LoadBalancer Service `kube-system/skiff-ingress` and its EndpointSlice pointing at
 * the controller's real listen address, so the proxy and the LB pool carry IP:80/443 to it
 * (docs/runtime.md "Host services").
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { KubeObject } from '../api/types.js';
import type { HostServiceSpec } from '../client/host-service.js';
import { isIPv6 } from '../util/net.js';
import { managedByLabel, serviceNameLabel } from '../api/kinds/endpoints.js';

export const exposureNamespace = 'kube-system';
export const exposureName = 'skiff-ingress';
export const managedBy = 'ingress-controller.skiff.dev';

/** The node address and the two ports the ingress proxy listens on, published in its EndpointSlice. */
export interface IngressListeners {
  host: string;
  httpPort: number;
  httpsPort: number;
}

const labels = { 'app.kubernetes.io/name': 'skiff-ingress', 'app.kubernetes.io/managed-by': 'skiff' };

export function desiredService(): Service & KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: exposureName, namespace: exposureNamespace, labels },
    spec: {
      type: 'LoadBalancer',
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' },
        { name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' },
      ],
    },
  };
}

/** True when the stored Service still exposes what we need (other fields are left as users set them). */
export function serviceUpToDate(svc: Service): boolean {
  const want = desiredService().spec!.ports!;
  const have = svc.spec?.ports ?? [];
  return svc.spec?.type === 'LoadBalancer' && !svc.spec.selector && want.every((w) => have.some((h) => h.name === w.name && h.port === w.port && (h.protocol ?? 'TCP') === 'TCP' && h.targetPort === w.targetPort));
}

/** The Service with our ports and type merged in, keeping allocated fields (clusterIP, nodePorts). */
export function mergeService(svc: Service & KubeObject): Service & KubeObject {
  const want = desiredService();
  const others = (svc.spec?.ports ?? []).filter((p) => p.name !== 'http' && p.name !== 'https');
  const ports = want.spec!.ports!.map((w) => {
    const old = (svc.spec?.ports ?? []).find((p) => p.name === w.name && p.port === w.port);
    return old?.nodePort ? { ...w, nodePort: old.nodePort } : w;
  });
  return { ...svc, spec: { ...svc.spec, type: 'LoadBalancer', selector: undefined, ports: [...ports, ...others] } };
}

export function desiredEndpointSlice(listen: IngressListeners): EndpointSlice & KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: exposureName, namespace: exposureNamespace, labels: { ...labels, [serviceNameLabel]: exposureName, [managedByLabel]: managedBy } },
    addressType: isIPv6(listen.host) ? 'IPv6' : 'IPv4',
    endpoints: [{ addresses: [listen.host], conditions: { ready: true, serving: true, terminating: false } }],
    ports: [
      { name: 'http', port: listen.httpPort, protocol: 'TCP' },
      { name: 'https', port: listen.httpsPort, protocol: 'TCP' },
    ],
  };
}

export function endpointSliceUpToDate(slice: EndpointSlice, listen: IngressListeners): boolean {
  const want = desiredEndpointSlice(listen);
  const ep = slice.endpoints ?? [];
  const ports = slice.ports ?? [];
  return (
    slice.metadata?.labels?.[serviceNameLabel] === exposureName &&
    slice.addressType === want.addressType &&
    ep.length === 1 &&
    ep[0]!.addresses?.length === 1 &&
    ep[0]!.addresses[0] === listen.host &&
    ep[0]!.conditions?.ready === true &&
    ports.length === 2 &&
    want.ports!.every((w) => ports.some((p) => p.name === w.name && p.port === w.port && p.protocol === 'TCP'))
  );
}

/** The skiff-ingress host service kept by the controller (a user's other Service fields are kept). */
export function hostService(listen: IngressListeners): HostServiceSpec {
  return {
    namespace: exposureNamespace, serviceName: exposureName, sliceName: exposureName, fieldManager: 'skiff-ingress-controller',
    service: desiredService,
    serviceUpdate: (svc) => (serviceUpToDate(svc as Service) ? undefined : mergeService(svc as Service & KubeObject)),
    slice: () => desiredEndpointSlice(listen),
    sliceUpdate: (have, want) => {
      if (endpointSliceUpToDate(have as unknown as EndpointSlice, listen)) return undefined;
      return { ...have, ...want, metadata: { ...have.metadata, labels: { ...have.metadata.labels, ...want.metadata.labels } } };
    },
  };
}
