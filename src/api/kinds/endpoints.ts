/** Endpoints (core/v1) and EndpointSlice (discovery.k8s.io/v1): basic validation and port defaults. */
import type { Endpoints, EndpointPort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { parseIP } from '../../util/net.js';
import type { ResourceStrategy } from '../strategy.js';
import type { FieldError } from '../status.js';
import type { KubeObject } from '../types.js';
import { child, duplicate, index, invalid, notSupported, required, tooMany } from '../validation/field.js';
import { fieldImmutableErrorMsg, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidPortNum, validateIP, validateNonSpecialIP } from '../validation/names.js';

/** discovery/v1 well-known labels: the Service an EndpointSlice belongs to, and who manages it. */
export const serviceNameLabel = 'kubernetes.io/service-name';
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';

const protocols = ['SCTP', 'TCP', 'UDP'];
const addressTypes = ['FQDN', 'IPv4', 'IPv6'];

export interface EndpointsStrategyOptions {
  /** skiff's loopback network mode: pod IPs live in 127.0.0.0/8. */
  allowLoopbackIPs?: boolean;
}

function validatePort(p: { name?: string; port?: number; protocol?: string }, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(required(child(path, 'name')));
  else if (p.name) errs.push(...isDNS1123Label(p.name).map((m) => invalid(child(path, 'name'), p.name, m)));
  errs.push(...isValidPortNum(p.port ?? 0).map((m) => invalid(child(path, 'port'), p.port ?? 0, m)));
  if (!p.protocol) errs.push(required(child(path, 'protocol')));
  else if (!protocols.includes(p.protocol)) errs.push(notSupported(child(path, 'protocol'), p.protocol, protocols));
  return errs;
}

export function validateEndpoints(ep: Endpoints, opts: EndpointsStrategyOptions = {}): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  (ep.subsets ?? []).forEach((ss, i) => {
    const sp = index('subsets', i);
    if (!(ss.addresses ?? []).length && !(ss.notReadyAddresses ?? []).length) errs.push(required(sp, 'must specify `addresses` or `notReadyAddresses`'));
    const addr = (list: typeof ss.addresses, name: string): void =>
      (list ?? []).forEach((a, j) => {
        const ap = index(child(sp, name), j);
        const ipErrs = validateIP(child(ap, 'ip'), a.ip);
        errs.push(...(ipErrs.length ? ipErrs : validateNonSpecialIP(child(ap, 'ip'), a.ip, { allowLoopback: opts.allowLoopbackIPs })));
        if (a.hostname) errs.push(...isDNS1123Label(a.hostname).map((m) => invalid(child(ap, 'hostname'), a.hostname, m)));
        if (a.nodeName) errs.push(...isDNS1123Subdomain(a.nodeName).map((m) => invalid(child(ap, 'nodeName'), a.nodeName, m)));
      });
    addr(ss.addresses, 'addresses');
    addr(ss.notReadyAddresses, 'notReadyAddresses');
    (ss.ports ?? []).forEach((p, j) => errs.push(...validatePort(p, (ss.ports ?? []).length > 1, index(child(sp, 'ports'), j))));
  });
  return errs;
}

export function validateEndpointSlice(es: EndpointSlice, opts: EndpointsStrategyOptions = {}): FieldError[] {
  const errs = validateObjectMeta(es.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  if (!es.addressType) errs.push(required('addressType'));
  else if (!addressTypes.includes(es.addressType)) errs.push(notSupported('addressType', es.addressType, addressTypes));
  const endpoints = es.endpoints ?? [];
  if (endpoints.length > 1000) errs.push(tooMany('endpoints', 1000));
  endpoints.forEach((e, i) => {
    const p = index('endpoints', i);
    const addrs = e.addresses ?? [];
    if (addrs.length === 0) errs.push(required(child(p, 'addresses'), 'must contain at least 1 address'));
    else if (addrs.length > 100) errs.push(tooMany(child(p, 'addresses'), 100));
    addrs.forEach((a, j) => {
      const ap = index(child(p, 'addresses'), j);
      if (es.addressType === 'IPv4' || es.addressType === 'IPv6') {
        const ip = parseIP(a);
        if (!ip || ip.family !== es.addressType) errs.push(invalid(ap, a, `must be a valid ${es.addressType} address`));
        else errs.push(...validateNonSpecialIP(ap, a, { allowLoopback: opts.allowLoopbackIPs }));
      } else if (es.addressType === 'FQDN') {
        errs.push(...isDNS1123Subdomain(a.replace(/\.$/, '')).map((m) => invalid(ap, a, m)));
      }
    });
    if (e.hostname) errs.push(...isDNS1123Label(e.hostname).map((m) => invalid(child(p, 'hostname'), e.hostname, m)));
    if (e.nodeName) errs.push(...isDNS1123Subdomain(e.nodeName).map((m) => invalid(child(p, 'nodeName'), e.nodeName, m)));
  });
  const ports = es.ports ?? [];
  if (ports.length > 20000) errs.push(tooMany('ports', 20000)); // maxPorts, as discovery validation
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const pp = index('ports', i);
    const name = p.name ?? '';
    if (name) errs.push(...isDNS1123Label(name).map((m) => invalid(child(pp, 'name'), name, m)));
    if (names.has(name)) errs.push(duplicate(child(pp, 'name'), name));
    names.add(name);
    if (p.port != null) errs.push(...isValidPortNum(p.port).map((m) => invalid(child(pp, 'port'), p.port, m)));
    if (!p.protocol) errs.push(required(child(pp, 'protocol')));
    else if (!protocols.includes(p.protocol)) errs.push(notSupported(child(pp, 'protocol'), p.protocol, protocols));
  });
  return errs;
}

function defaultEndpointPorts(ports: EndpointPort[] | undefined): void {
  for (const p of ports ?? []) p.protocol ??= 'TCP';
}

export function endpointsStrategy(opts: EndpointsStrategyOptions = {}): ResourceStrategy {
  return {
    allowCreateOnUpdate: true,
    applyDefaults: (obj: KubeObject) => {
      for (const ss of (obj as unknown as Endpoints).subsets ?? []) defaultEndpointPorts(ss.ports);
    },
    validate: (obj: KubeObject) => validateEndpoints(obj as unknown as Endpoints, opts),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const n = obj as unknown as Endpoints;
      const errs = validateObjectMetaUpdate(n.metadata, (old as unknown as Endpoints).metadata);
      errs.push(...validateEndpoints(n, opts).filter((e) => !e.field.startsWith('metadata.')));
      return errs;
    },
  };
}

export function endpointSliceStrategy(opts: EndpointsStrategyOptions = {}): ResourceStrategy {
  return {
    allowCreateOnUpdate: true,
    applyDefaults: (obj: KubeObject) => {
      for (const p of (obj as unknown as EndpointSlice).ports ?? []) (p as { protocol?: string }).protocol ??= 'TCP';
    },
    validate: (obj: KubeObject) => validateEndpointSlice(obj as unknown as EndpointSlice, opts),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const n = obj as unknown as EndpointSlice;
      const o = old as unknown as EndpointSlice;
      const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
      if (n.addressType !== o.addressType) errs.push(invalid('addressType', n.addressType, fieldImmutableErrorMsg));
      errs.push(...validateEndpointSlice(n, opts).filter((e) => !e.field.startsWith('metadata.')));
      return errs;
    },
  };
}
