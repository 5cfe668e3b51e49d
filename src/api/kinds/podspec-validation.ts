/** ValidatePodSpec and ValidatePodTemplateSpec (a practical subset), with Kubernetes' messages. */
import type { Container, PodSpec, PodTemplateSpec, Probe } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../status.js';
import { child, duplicate, forbidden, index, invalid, notSupported, required } from '../validation/field.js';
import { nameIsDNSSubdomain, validateAnnotations, validateLabels } from '../validation/metadata.js';
import { isDNS1123Label, isEnvVarName, isValidPortName, isValidPortNum } from '../validation/names.js';
import { validatePortNumOrName } from './service-validation.js';

const restartPolicies = ['Always', 'Never', 'OnFailure'];
const dnsPolicies = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const terminationMessagePolicies = ['FallbackToLogsOnError', 'File'];
const protocols = ['SCTP', 'TCP', 'UDP'];

function nonNegative(v: number | undefined, field: string): FieldError[] {
  return v != null && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

function validateProbe(p: Probe | undefined, field: string, kind: 'liveness' | 'readiness' | 'startup'): FieldError[] {
  if (!p) return [];
  const errs: FieldError[] = [];
  const handlers = [p.exec && 'exec', p.httpGet && 'httpGet', p.tcpSocket && 'tcpSocket', p.grpc && 'grpc'].filter(Boolean) as string[];
  if (handlers.length === 0) errs.push(required(field, 'must specify a handler type'));
  else if (handlers.length > 1) errs.push(forbidden(child(field, handlers[1]!), 'may not specify more than 1 handler type'));
  if (p.httpGet) errs.push(...validatePortNumOrName(p.httpGet.port, child(child(field, 'httpGet'), 'port')));
  if (p.tcpSocket) errs.push(...validatePortNumOrName(p.tcpSocket.port, child(child(field, 'tcpSocket'), 'port')));
  if (p.exec && !(p.exec.command ?? []).length) errs.push(required(child(child(field, 'exec'), 'command')));
  errs.push(...nonNegative(p.initialDelaySeconds, child(field, 'initialDelaySeconds')));
  errs.push(...nonNegative(p.timeoutSeconds, child(field, 'timeoutSeconds')));
  errs.push(...nonNegative(p.periodSeconds, child(field, 'periodSeconds')));
  errs.push(...nonNegative(p.successThreshold, child(field, 'successThreshold')));
  errs.push(...nonNegative(p.failureThreshold, child(field, 'failureThreshold')));
  if (kind !== 'readiness' && p.successThreshold != null && p.successThreshold !== 1) {
    errs.push(invalid(child(field, 'successThreshold'), p.successThreshold, 'must be 1'));
  }
  return errs;
}

function validateContainer(c: Container, path: string, names: Set<string>, portNames: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(child(path, 'name')));
  else {
    errs.push(...isDNS1123Label(c.name).map((m) => invalid(child(path, 'name'), c.name, m)));
    if (names.has(c.name)) errs.push(duplicate(child(path, 'name'), c.name));
    names.add(c.name);
  }
  if (!c.image) errs.push(required(child(path, 'image')));
  (c.ports ?? []).forEach((p, i) => {
    const pp = index(child(path, 'ports'), i);
    if (p.name) {
      errs.push(...isValidPortName(p.name).map((m) => invalid(child(pp, 'name'), p.name, m)));
      if (portNames.has(p.name)) errs.push(duplicate(child(pp, 'name'), p.name));
      portNames.add(p.name);
    }
    if (p.containerPort == null || p.containerPort === 0) errs.push(required(child(pp, 'containerPort')));
    else errs.push(...isValidPortNum(p.containerPort).map((m) => invalid(child(pp, 'containerPort'), p.containerPort, m)));
    if (p.hostPort) errs.push(...isValidPortNum(p.hostPort).map((m) => invalid(child(pp, 'hostPort'), p.hostPort, m)));
    if (!p.protocol) errs.push(required(child(pp, 'protocol')));
    else if (!protocols.includes(p.protocol)) errs.push(notSupported(child(pp, 'protocol'), p.protocol, protocols));
  });
  (c.env ?? []).forEach((e, i) => {
    const ep = index(child(path, 'env'), i);
    if (!e.name) errs.push(required(child(ep, 'name')));
    else errs.push(...isEnvVarName(e.name).map((m) => invalid(child(ep, 'name'), e.name, m)));
  });
  if (!c.terminationMessagePolicy) errs.push(required(child(path, 'terminationMessagePolicy')));
  else if (!terminationMessagePolicies.includes(c.terminationMessagePolicy)) {
    errs.push(notSupported(child(path, 'terminationMessagePolicy'), c.terminationMessagePolicy, terminationMessagePolicies));
  }
  if (!c.imagePullPolicy) errs.push(required(child(path, 'imagePullPolicy')));
  else if (!pullPolicies.includes(c.imagePullPolicy)) errs.push(notSupported(child(path, 'imagePullPolicy'), c.imagePullPolicy, pullPolicies));
  errs.push(...validateProbe(c.livenessProbe, child(path, 'livenessProbe'), 'liveness'));
  errs.push(...validateProbe(c.readinessProbe, child(path, 'readinessProbe'), 'readiness'));
  errs.push(...validateProbe(c.startupProbe, child(path, 'startupProbe'), 'startup'));
  return errs;
}

export function validatePodSpec(spec: PodSpec | undefined, path = 'spec'): FieldError[] {
  const s = spec ?? ({} as PodSpec);
  const errs: FieldError[] = [];
  const names = new Set<string>();
  const portNames = new Set<string>();
  (s.initContainers ?? []).forEach((c, i) => errs.push(...validateContainer(c, index(child(path, 'initContainers'), i), names, new Set())));
  if (!(s.containers ?? []).length) errs.push(required(child(path, 'containers')));
  (s.containers ?? []).forEach((c, i) => errs.push(...validateContainer(c, index(child(path, 'containers'), i), names, portNames)));
  if (!s.restartPolicy) errs.push(required(child(path, 'restartPolicy')));
  else if (!restartPolicies.includes(s.restartPolicy)) errs.push(notSupported(child(path, 'restartPolicy'), s.restartPolicy, restartPolicies));
  if (!s.dnsPolicy) errs.push(required(child(path, 'dnsPolicy')));
  else if (!dnsPolicies.includes(s.dnsPolicy)) errs.push(notSupported(child(path, 'dnsPolicy'), s.dnsPolicy, dnsPolicies));
  errs.push(...nonNegative(s.terminationGracePeriodSeconds ?? undefined, child(path, 'terminationGracePeriodSeconds')));
  if (s.activeDeadlineSeconds != null && s.activeDeadlineSeconds <= 0) {
    errs.push(invalid(child(path, 'activeDeadlineSeconds'), s.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  if (s.nodeName) errs.push(...nameIsDNSSubdomain(s.nodeName, false).map((m) => invalid(child(path, 'nodeName'), s.nodeName, m)));
  if (s.serviceAccountName) errs.push(...nameIsDNSSubdomain(s.serviceAccountName, false).map((m) => invalid(child(path, 'serviceAccountName'), s.serviceAccountName, m)));
  if (s.hostname) errs.push(...isDNS1123Label(s.hostname).map((m) => invalid(child(path, 'hostname'), s.hostname, m)));
  if (s.subdomain) errs.push(...isDNS1123Label(s.subdomain).map((m) => invalid(child(path, 'subdomain'), s.subdomain, m)));
  if (s.nodeSelector) errs.push(...validateLabels(s.nodeSelector, child(path, 'nodeSelector')));
  const volumes = new Set<string>();
  (s.volumes ?? []).forEach((v, i) => {
    const vp = index(child(path, 'volumes'), i);
    if (!v.name) errs.push(required(child(vp, 'name')));
    else {
      errs.push(...isDNS1123Label(v.name).map((m) => invalid(child(vp, 'name'), v.name, m)));
      if (volumes.has(v.name)) errs.push(duplicate(child(vp, 'name'), v.name));
      volumes.add(v.name);
    }
  });
  return errs;
}

/** ValidatePodTemplateSpec: template labels/annotations, then the pod spec. */
export function validatePodTemplateSpec(t: PodTemplateSpec | undefined, path: string): FieldError[] {
  if (!t) return [required(path)];
  const errs = validateLabels(t.metadata?.labels, `${path}.metadata.labels`);
  errs.push(...validateAnnotations(t.metadata?.annotations, `${path}.metadata.annotations`));
  errs.push(...validatePodSpec(t.spec, `${path}.spec`));
  return errs;
}
