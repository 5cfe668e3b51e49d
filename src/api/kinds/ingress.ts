/** Ingress and IngressClass (networking.k8s.io/v1), pkg/apis/networking/validation. */
import type { HTTPIngressPath, Ingress, IngressBackend, IngressClass } from 'kubernetes-types/networking/v1.js';
import { parseIP } from '../../util/net.js';
import type { ResourceStrategy } from '../strategy.js';
import type { FieldError } from '../status.js';
import type { KubeObject } from '../types.js';
import { child, index, invalid, invalidGo, notSupported, required } from '../validation/field.js';
import { fieldImmutableErrorMsg, nameIsDNS1035Label, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { isDNS1123Subdomain, isValidPortName, isValidPortNum, isWildcardDNS1123Subdomain, regexError } from '../validation/names.js';

const supportedPathTypes = ['Exact', 'ImplementationSpecific', 'Prefix'];
const invalidPathSequences = ['//', '/./', '/../', '%2f', '%2F'];
const invalidPathSuffixes = ['/..', '/.'];

function validateBackend(b: IngressBackend, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (b.resource && b.service) return [invalid(path, '', 'cannot set both resource and service backends')];
  if (b.resource) {
    if (!b.resource.kind) errs.push(required(child(child(path, 'resource'), 'kind')));
    if (!b.resource.name) errs.push(required(child(child(path, 'resource'), 'name')));
    return errs;
  }
  if (!b.service) return [invalid(path, '', 'resource or service backend is required')];
  const svc = b.service;
  if (!svc.name) errs.push(required(`${path}.service.name`));
  else errs.push(...nameIsDNS1035Label(svc.name, false).map((m) => invalid(`${path}.service.name`, svc.name, m)));
  const name = svc.port?.name ?? '';
  const num = svc.port?.number ?? 0;
  if (name && num) errs.push(invalid(path, '', 'cannot set both port name & port number'));
  else if (name) errs.push(...isValidPortName(name).map((m) => invalid(`${path}.service.port.name`, name, m)));
  else if (num) errs.push(...isValidPortNum(num).map((m) => invalid(`${path}.service.port.number`, num, m)));
  else errs.push(required(path, 'port name or number is required'));
  return errs;
}

function validatePath(p: HTTPIngressPath, path: string): FieldError[] {
  if (!p.pathType) return [required(child(path, 'pathType'), 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value = p.path ?? '';
  if (p.pathType === 'Exact' || p.pathType === 'Prefix') {
    if (!value.startsWith('/')) errs.push(invalid(child(path, 'path'), value, 'must be an absolute path'));
    if (value) {
      for (const seq of invalidPathSequences) if (value.includes(seq)) errs.push(invalid(child(path, 'path'), value, `must not contain '${seq}'`));
      for (const suf of invalidPathSuffixes) if (value.endsWith(suf)) errs.push(invalid(child(path, 'path'), value, `cannot end with '${suf}'`));
    }
  } else if (p.pathType === 'ImplementationSpecific') {
    if (value && !value.startsWith('/')) errs.push(invalid(child(path, 'path'), value, 'must be an absolute path'));
  } else {
    errs.push(notSupported(child(path, 'pathType'), p.pathType, supportedPathTypes));
  }
  errs.push(...validateBackend(p.backend ?? {}, child(path, 'backend')));
  return errs;
}

function validateHost(host: string, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (parseIP(host)) errs.push(invalid(field, host, 'must be a DNS name, not an IP address'));
  const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : isDNS1123Subdomain(host);
  errs.push(...msgs.map((m) => invalid(field, host, m)));
  return errs;
}

export function validateIngress(ing: Ingress): FieldError[] {
  const errs = validateObjectMeta(ing.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  const spec = ing.spec ?? {};
  const rules = spec.rules ?? [];
  if (rules.length === 0 && !spec.defaultBackend) {
    errs.push(invalidGo('spec', spec.rules ? '[]networking.IngressRule{}' : '[]networking.IngressRule(nil)', 'either `defaultBackend` or `rules` must be specified'));
  }
  if (spec.defaultBackend) errs.push(...validateBackend(spec.defaultBackend, 'spec.defaultBackend'));
  rules.forEach((r, i) => {
    const rp = index('spec.rules', i);
    if (r.host) errs.push(...validateHost(r.host, child(rp, 'host')));
    if (r.http) {
      if (!(r.http.paths ?? []).length) errs.push(required(`${rp}.http.paths`));
      (r.http.paths ?? []).forEach((p, j) => errs.push(...validatePath(p, index(`${rp}.http.paths`, j))));
    }
  });
  (spec.tls ?? []).forEach((t, i) => {
    const tp = index('spec.tls', i);
    (t.hosts ?? []).forEach((h, j) => {
      const msgs = h.includes('*') ? isWildcardDNS1123Subdomain(h) : isDNS1123Subdomain(h);
      errs.push(...msgs.map((m) => invalid(index(child(tp, 'hosts'), j), h, m)));
    });
    if (t.secretName) errs.push(...nameIsDNSSubdomain(t.secretName, false).map((m) => invalid(child(tp, 'secretName'), t.secretName, m)));
  });
  if (spec.ingressClassName != null) {
    errs.push(...nameIsDNSSubdomain(spec.ingressClassName, false).map((m) => invalid('spec.ingressClassName', spec.ingressClassName, m)));
  }
  return errs;
}

const httpPathFmt = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const httpPathRe = new RegExp(`^${httpPathFmt}$`);

/** IsDomainPrefixedPath, as used for spec.controller. */
function validateDomainPrefixedPath(value: string, field: string): FieldError[] {
  if (!value) return [required(field)];
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) return [invalid(field, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = value.slice(0, slash);
  const rest = value.slice(slash + 1);
  const errs = isDNS1123Subdomain(host).map((m) => invalid(field, host, m));
  if (!httpPathRe.test(rest)) errs.push(invalid(field, rest, regexError('Invalid path', httpPathFmt)));
  return errs;
}

export function validateIngressClass(ic: IngressClass): FieldError[] {
  const errs = validateObjectMeta(ic.metadata, { namespaced: false, nameFn: nameIsDNSSubdomain });
  const controller = ic.spec?.controller ?? '';
  if (controller.length > 250) errs.push({ type: 'FieldValueTooLong', field: 'spec.controller', detail: 'may not be more than 250 bytes' });
  errs.push(...validateDomainPrefixedPath(controller, 'spec.controller'));
  return errs;
}

export function ingressStrategy(): ResourceStrategy {
  return {
    tracksGeneration: true,
    validate: (obj: KubeObject) => validateIngress(obj as unknown as Ingress),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const n = obj as unknown as Ingress;
      const errs = validateObjectMetaUpdate(n.metadata, (old as unknown as Ingress).metadata);
      errs.push(...validateIngress(n).filter((e) => !e.field.startsWith('metadata.')));
      return errs;
    },
  };
}

export function ingressClassStrategy(): ResourceStrategy {
  return {
    tracksGeneration: true,
    validate: (obj: KubeObject) => validateIngressClass(obj as unknown as IngressClass),
    validateUpdate: (obj: KubeObject, old: KubeObject) => {
      const n = obj as unknown as IngressClass;
      const o = old as unknown as IngressClass;
      const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
      if ((n.spec?.controller ?? '') !== (o.spec?.controller ?? '')) errs.push(invalid('spec.controller', n.spec?.controller ?? '', fieldImmutableErrorMsg));
      errs.push(...validateIngressClass(n).filter((e) => !e.field.startsWith('metadata.')));
      return errs;
    },
  };
}
