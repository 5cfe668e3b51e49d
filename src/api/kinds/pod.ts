/** Pod: defaults (incl. the admission defaults a real API server adds), validation, update rules. */
import type { Container, Pod, PodSpec, PodStatus, Toleration } from 'kubernetes-types/core/v1.js';
import type { ResourceStrategy } from '../strategy.js';
import { conflict, type FieldError } from '../status.js';
import { clone, type KubeObject } from '../types.js';
import { forbidden } from '../validation/field.js';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from '../validation/metadata.js';
import { defaultPodSpec } from './podspec-defaults.js';
import { validatePodSpec } from './podspec-validation.js';

export interface PodStrategyOptions {
  /**
   * DefaultTolerationSeconds admission: pods ride out a NotReady/Unreachable node this long (kube-apiserver's
   * --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds). Default 300.
   */
  defaultTolerationSeconds?: number;
}

function defaultTolerations(seconds: number): Toleration[] {
  return [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds },
  ];
}

/** QOS class as the API server computes it on create (qos.GetPodQOS, simplified to cpu/memory). */
export function podQOSClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const all: Container[] = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (lim[r] === undefined) guaranteed = false;
      else if (req[r] !== undefined && String(req[r]) !== String(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function applyPodDefaults(pod: Pod, opts: PodStrategyOptions = {}): void {
  const spec = (pod.spec ??= { containers: [] });
  defaultPodSpec(spec);
  // ServiceAccount admission, Priority admission, DefaultTolerationSeconds admission.
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.priority ??= 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  const tol = (spec.tolerations ??= []);
  for (const d of defaultTolerations(opts.defaultTolerationSeconds ?? 300)) {
    if (!tol.some((t) => t.key === d.key && (t.effect === d.effect || !t.effect))) tol.push(d);
  }
  const status = ((pod as { status?: PodStatus }).status ??= {});
  status.phase ??= 'Pending';
  status.qosClass ??= podQOSClass(spec);
}

export function validatePod(pod: Pod): FieldError[] {
  const errs = validateObjectMeta(pod.metadata, { namespaced: true, nameFn: nameIsDNSSubdomain });
  errs.push(...validatePodSpec(pod.spec));
  return errs;
}

const podUpdateMessage =
  'pod updates may not change fields other than `spec.containers[*].image`,' +
  '`spec.initContainers[*].image`,' +
  '`spec.activeDeadlineSeconds`,' +
  '`spec.tolerations` (only additions to existing tolerations),' +
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

const goName = (k: string): string => k.charAt(0).toUpperCase() + k.slice(1);

/** A go-cmp-like diff of the two specs' differing top-level fields (Kubernetes prints cmp.Diff). */
function specDiff(oldSpec: PodSpec, newSpec: PodSpec): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])];
  const lines = ['  core.PodSpec{'];
  for (const k of keys) {
    const o = JSON.stringify((oldSpec as unknown as Record<string, unknown>)[k] ?? null);
    const n = JSON.stringify((newSpec as unknown as Record<string, unknown>)[k] ?? null);
    if (o === n) continue;
    lines.push(`- \t${goName(k)}: ${o},`, `+ \t${goName(k)}: ${n},`);
  }
  lines.push('  }', '');
  return lines.join('\n');
}

/** ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations and a negative grace period may change. */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  const newSpec = pod.spec ?? ({ containers: [] } as PodSpec);
  const oldSpec = old.spec ?? ({ containers: [] } as PodSpec);
  errs.push(...validatePodSpec(newSpec));
  // Copy the mutable fields from new into a copy of old; anything else that differs is forbidden.
  const munged: PodSpec = clone(oldSpec);
  const sameCount = (newSpec.containers ?? []).length === (oldSpec.containers ?? []).length && (newSpec.initContainers ?? []).length === (oldSpec.initContainers ?? []).length;
  if (sameCount) {
    munged.containers.forEach((c, i) => (c.image = newSpec.containers[i]!.image));
    (munged.initContainers ?? []).forEach((c, i) => (c.image = newSpec.initContainers![i]!.image));
  }
  if (newSpec.activeDeadlineSeconds !== undefined) munged.activeDeadlineSeconds = newSpec.activeDeadlineSeconds;
  else delete munged.activeDeadlineSeconds;
  const oldTol = oldSpec.tolerations ?? [];
  const newTol = newSpec.tolerations ?? [];
  const keepsOld = oldTol.every((t) => newTol.some((n) => JSON.stringify(n) === JSON.stringify(t)));
  if (keepsOld) {
    if (newSpec.tolerations !== undefined) munged.tolerations = newSpec.tolerations;
    else delete munged.tolerations;
  }
  if ((oldSpec.terminationGracePeriodSeconds ?? 0) < 0 && newSpec.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = 1;
  if (JSON.stringify(munged) !== JSON.stringify(newSpec)) {
    errs.push(forbidden('spec', `${podUpdateMessage}\n${specDiff(munged, newSpec)}`));
  }
  return errs;
}

/** CheckGracefulDelete: a pod on a node gets its grace period; unscheduled or finished pods have nothing to stop. */
export function podGracePeriodSeconds(pod: Pod, requested: number | undefined): number {
  const phase = pod.status?.phase;
  if (!pod.spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  return requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
}

/** pods/NAME/binding: the scheduler's bind sets spec.nodeName once. */
function bindPod(current: KubeObject, body: KubeObject): KubeObject {
  const spec = current.spec as { nodeName?: string };
  const name = current.metadata.name ?? '';
  if (spec.nodeName) throw conflict({ group: '', resource: 'pods' }, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
  spec.nodeName = (body as { target?: { name?: string } }).target?.name ?? '';
  return current;
}

export function podStrategy(opts: PodStrategyOptions = {}): ResourceStrategy {
  return {
    applyDefaults: (obj: KubeObject) => applyPodDefaults(obj as unknown as Pod, opts),
    validate: (obj: KubeObject) => validatePod(obj as unknown as Pod),
    validateUpdate: (obj: KubeObject, old: KubeObject) => validatePodUpdate(obj as unknown as Pod, old as unknown as Pod),
    prepareForCreate: (obj: KubeObject) => {
      obj.status = { phase: 'Pending', qosClass: podQOSClass((obj.spec ?? {}) as PodSpec) };
    },
    gracePeriodSeconds: (obj: KubeObject, requested: number | undefined) => podGracePeriodSeconds(obj as unknown as Pod, requested),
    returnDeletedObject: true,
    createSubresources: { binding: { bodyKind: { group: '', version: 'v1', kind: 'Binding' }, apply: bindPod } },
  };
}
