/** ValidateService / ValidateServiceUpdate (pkg/apis/core/validation/validation.go), Kubernetes' messages. */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { isIPv6 } from '../../util/net.js';
import type { FieldError } from '../status.js';
import { child, duplicate, duplicateGo, forbidden, index, invalid, notSupported, required } from '../validation/field.js';
import { fieldImmutableErrorMsg, nameIsDNS1035Label, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidPortName, isValidPortNum, validateCIDR, validateIP, validateNonSpecialIP } from '../validation/names.js';
import type { ServiceStrategyOptions } from './service.js';
import { externallyAccessible, isHeadlessService, needsHealthCheck } from './service.js';

const supportedProtocols = ['SCTP', 'TCP', 'UDP'];
const supportedSessionAffinity = ['ClientIP', 'None'];
const supportedServiceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const supportedTrafficPolicies = ['Cluster', 'Local'];
const supportedIPFamilyPolicies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const supportedIPFamilies = ['IPv4', 'IPv6'];
const maxClientIPServiceAffinitySeconds = 86400;

/** ValidatePortNumOrName */
export function validatePortNumOrName(port: number | string | undefined, field: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(field, port, m));
  if (typeof port === 'string') return port === '' ? [required(field)] : isValidPortName(port).map((m) => invalid(field, port, m));
  return [invalid(field, port, 'must be a port number or name')];
}

function goServicePort(p: ServicePort): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(p.protocol ?? '')}, AppProtocol:(*string)(nil), Port:${p.port}, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}`;
}

function validateServicePort(sp: ServicePort, requireName: boolean, names: Set<string>, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !sp.name) errs.push(required(child(path, 'name')));
  else if (sp.name) {
    errs.push(...isDNS1123Label(sp.name).map((m) => invalid(child(path, 'name'), sp.name, m)));
    if (names.has(sp.name)) errs.push(duplicate(child(path, 'name'), sp.name));
    else names.add(sp.name);
  }
  errs.push(...isValidPortNum(sp.port).map((m) => invalid(child(path, 'port'), sp.port, m)));
  if (!sp.protocol) errs.push(required(child(path, 'protocol')));
  else if (!supportedProtocols.includes(sp.protocol)) errs.push(notSupported(child(path, 'protocol'), sp.protocol, supportedProtocols));
  errs.push(...validatePortNumOrName(sp.targetPort ?? 0, child(path, 'targetPort')));
  if (sp.appProtocol != null) errs.push(...isQualifiedName(sp.appProtocol).map((m) => invalid(child(path, 'appProtocol'), sp.appProtocol, m)));
  return errs;
}

/** ValidateServiceClusterIPsRelatedFields: also run by the allocator before it allocates. */
export function validateServiceClusterIPsRelatedFields(svc: Service, old?: Service): FieldError[] {
  const spec = svc.spec ?? {};
  if (spec.type === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const ipsField = 'spec.clusterIPs';
  const ips = spec.clusterIPs ?? [];
  if (spec.clusterIP) {
    if (ips.length === 0) errs.push(required(ipsField));
    else if (ips[0] !== spec.clusterIP) errs.push(invalid(ipsField, ips, 'first value must match `clusterIP`'));
  } else if (ips.length > 0) {
    errs.push(invalid(ipsField, ips, 'must be empty when `clusterIP` is not specified'));
  }
  if (spec.ipFamilyPolicy != null && !supportedIPFamilyPolicies.includes(spec.ipFamilyPolicy)) {
    errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, supportedIPFamilyPolicies));
  }
  const seen = new Set<string>();
  (spec.ipFamilies ?? []).forEach((f, i) => {
    if (!supportedIPFamilies.includes(f)) errs.push(notSupported(index('spec.ipFamilies', i), f, supportedIPFamilies));
    else if (seen.has(f)) errs.push(duplicate(index('spec.ipFamilies', i), f));
    seen.add(f);
  });
  if ((spec.ipFamilies ?? []).length > 2) errs.push(invalid('spec.ipFamilies', spec.ipFamilies, 'may only hold up to 2 values'));
  let badIPs = false;
  const existing = old?.spec?.clusterIPs ?? [];
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        badIPs = true;
        errs.push(invalid(ipsField, ips, "'None' must be the first and only value"));
      }
      return;
    }
    if (existing.includes(ip)) return;
    const e = validateIP(index(ipsField, i), ip);
    if (e.length) badIPs = true;
    errs.push(...e);
  });
  if (ips.length > 2) errs.push(invalid(ipsField, ips, 'may only hold up to 2 values'));
  if (badIPs) return errs;
  if (ips.length > 1) {
    const v6 = ips.filter((ip) => isIPv6(ip)).length;
    if (v6 === 0 || v6 === ips.length) errs.push(invalid(ipsField, ips, 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadlessService(svc) && ips.length > 0) {
    const fams = spec.ipFamilies ?? [];
    ips.forEach((ip, i) => {
      const f = fams[i];
      if (f === 'IPv4' && isIPv6(ip)) errs.push(invalid(index(ipsField, i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (f === 'IPv6' && !isIPv6(ip)) errs.push(invalid(index(ipsField, i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

export function validateService(svc: Service, old: Service | undefined, opts: ServiceStrategyOptions = {}): FieldError[] {
  const errs = old ? [] : validateObjectMeta(svc.metadata, { namespaced: true, nameFn: nameIsDNS1035Label });
  const spec = svc.spec ?? {};
  const ports = spec.ports ?? [];
  const headless = isHeadlessService(svc);
  if (ports.length === 0 && !headless && spec.type !== 'ExternalName') errs.push(required('spec.ports'));
  if (spec.type === 'LoadBalancer' && headless) errs.push(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"));
  if (spec.type === 'NodePort' && headless) errs.push(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
  if (spec.type === 'ExternalName') {
    if ((spec.clusterIPs ?? []).length > 0 || spec.clusterIP) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if ((spec.ipFamilies ?? []).length > 0) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy != null) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    if (cname) errs.push(...isDNS1123Subdomain(cname).map((m) => invalid('spec.externalName', cname, m)));
    else errs.push(required('spec.externalName'));
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, index('spec.ports', i))));
  if (spec.selector) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (!spec.sessionAffinity) errs.push(required('spec.sessionAffinity'));
  else if (!supportedSessionAffinity.includes(spec.sessionAffinity)) errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, supportedSessionAffinity));
  if (spec.sessionAffinity === 'ClientIP') errs.push(...validateClientIPAffinity(svc));
  else if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...validateServiceClusterIPsRelatedFields(svc, old));
  const oldExternal = old?.spec?.externalIPs ?? [];
  (spec.externalIPs ?? []).forEach((ip, i) => {
    if (oldExternal.includes(ip)) return;
    const f = index('spec.externalIPs', i);
    const e = validateIP(f, ip);
    errs.push(...(e.length ? e : validateNonSpecialIP(f, ip, { allowLoopback: opts.allowLoopbackIPs })));
  });
  if (!spec.type) errs.push(required('spec.type'));
  else if (!supportedServiceTypes.includes(spec.type)) errs.push(notSupported('spec.type', spec.type, supportedServiceTypes));
  if (spec.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    const k = `${p.protocol}/${p.nodePort}`;
    if (nodePorts.has(k)) errs.push(duplicate(`spec.ports[${i}].nodePort`, p.nodePort));
    nodePorts.add(k);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const k = `${p.protocol}/${p.port}`;
    if (portKeys.has(k)) errs.push(duplicateGo(`spec.ports[${i}]`, goServicePort(p)));
    portKeys.add(k);
  });
  if ((spec.loadBalancerSourceRanges ?? []).length > 0) {
    // Kubernetes really spells this path with a capital L.
    if (spec.type !== 'LoadBalancer') errs.push(forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    spec.loadBalancerSourceRanges!.forEach((r, i) => errs.push(...validateCIDR(`spec.LoadBalancerSourceRanges[${i}]`, r.trim())));
  }
  if (spec.allocateLoadBalancerNodePorts != null && spec.type !== 'LoadBalancer') {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts == null) errs.push(required('allocateLoadBalancerNodePorts'));
  if (spec.loadBalancerClass != null) {
    if (spec.type !== 'LoadBalancer') errs.push(forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    else errs.push(...isQualifiedName(spec.loadBalancerClass).map((m) => invalid('spec.loadBalancerClass', spec.loadBalancerClass, m)));
  }
  errs.push(...validateExternalTrafficPolicy(svc));
  if (spec.internalTrafficPolicy == null) {
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') errs.push(required('spec.internalTrafficPolicy'));
  } else if (!supportedTrafficPolicies.includes(spec.internalTrafficPolicy)) {
    errs.push(notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, supportedTrafficPolicies));
  }
  return errs;
}

function validateClientIPAffinity(svc: Service): FieldError[] {
  const cfg = svc.spec?.sessionAffinityConfig;
  const detail = 'when session affinity type is ClientIP';
  if (!cfg) return [required('spec.sessionAffinityConfig', detail)];
  if (!cfg.clientIP) return [required('spec.sessionAffinityConfig.clientIP', detail)];
  const t = cfg.clientIP.timeoutSeconds;
  const f = 'spec.sessionAffinityConfig.clientIP.timeoutSeconds';
  if (t == null) return [required(f, detail)];
  if (t <= 0 || t > maxClientIPServiceAffinitySeconds) return [invalid(f, t, `must be greater than 0 and less than ${maxClientIPServiceAffinitySeconds}`)];
  return [];
}

/**
 * validateServiceExternalTrafficPolicy. A missing healthCheckNodePort is not reported: in Kubernetes
 * the allocator always fills it before validation runs, so that error is unreachable there too.
 */
function validateExternalTrafficPolicy(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  if (!externallyAccessible(svc)) {
    if (spec.externalTrafficPolicy) errs.push(invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  } else if (!spec.externalTrafficPolicy) {
    errs.push(required('spec.externalTrafficPolicy'));
  } else if (!supportedTrafficPolicies.includes(spec.externalTrafficPolicy)) {
    errs.push(notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, supportedTrafficPolicies));
  }
  const hc = spec.healthCheckNodePort ?? 0;
  if (!needsHealthCheck(svc)) {
    if (hc !== 0) errs.push(invalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (hc !== 0) {
    errs.push(...isValidPortNum(hc).map((m) => invalid('spec.healthCheckNodePort', hc, m)));
  }
  return errs;
}

function validateUpgradeDowngradeClusterIPs(svc: Service, old: Service): FieldError[] {
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName') return [];
  if (isHeadlessService(old) && isHeadlessService(svc)) return [];
  const o = old.spec?.clusterIPs ?? [];
  const n = svc.spec?.clusterIPs ?? [];
  const errs: FieldError[] = [];
  const f = 'spec.clusterIPs';
  if (o.length === n.length) {
    o.forEach((ip, i) => {
      if (ip !== n[i]) errs.push(invalid(index(f, i), n, 'may not change once set'));
    });
  } else if (o.length > n.length) {
    if (n.length === 0) errs.push(invalid(index(f, 0), n, 'primary clusterIP can not be unset'));
    if (o.length > 0 && n.length > 0 && n[0] !== o[0]) errs.push(invalid(index(f, 0), n, 'may not change once set'));
    if (n.length === 1 && svc.spec?.ipFamilyPolicy !== 'SingleStack') {
      errs.push(invalid('spec.ipFamilyPolicy', svc.spec?.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (o.length > 0 && n[0] !== o[0]) {
    errs.push(invalid(index(f, 0), n, 'may not change once set'));
  }
  return errs;
}

function validateUpgradeDowngradeIPFamilies(svc: Service, old: Service): FieldError[] {
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName') return [];
  if (isHeadlessService(old) !== isHeadlessService(svc) || isHeadlessService(svc)) return [];
  const o = old.spec?.ipFamilies ?? [];
  const n = svc.spec?.ipFamilies ?? [];
  if (o.length === n.length && o.some((f, i) => f !== n[i])) return [invalid('spec.ipFamilies[0]', n, 'may not change once set')];
  if (o.length > n.length && n.length > 0 && n[0] !== o[0]) return [invalid('spec.ipFamilies[0]', svc.spec?.clusterIPs ?? [], 'may not change once set')];
  return [];
}

/** ValidateServiceUpdate of a prepared update (prepareServiceForUpdate has run, as the strategy does). */
export function validateServiceUpdate(svc: Service, old: Service, opts: ServiceStrategyOptions = {}): FieldError[] {
  const errs = validateObjectMetaUpdate(svc.metadata, old.metadata);
  errs.push(...validateUpgradeDowngradeClusterIPs(svc, old));
  errs.push(...validateUpgradeDowngradeIPFamilies(svc, old));
  if (old.spec?.type === 'LoadBalancer' && svc.spec?.type === 'LoadBalancer' && (old.spec.loadBalancerClass ?? null) !== (svc.spec.loadBalancerClass ?? null)) {
    errs.push(invalid('spec.loadBalancerClass', svc.spec.loadBalancerClass ?? null, 'may not change once set'));
  }
  if (needsHealthCheck(old) && needsHealthCheck(svc) && (old.spec?.healthCheckNodePort ?? 0) !== (svc.spec?.healthCheckNodePort ?? 0)) {
    errs.push(forbidden('spec.healthCheckNodePort', fieldImmutableErrorMsg));
  }
  errs.push(...validateService(svc, old, opts));
  return errs;
}
