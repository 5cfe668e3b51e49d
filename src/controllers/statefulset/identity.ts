/**
 * A StatefulSet pod's stable identity and storage (pkg/controller/statefulset/stateful_set_utils.go):
 * name `<set>-<ordinal>`, hostname = name, subdomain = serviceName, the pod-name and pod-index labels,
 * and one PersistentVolumeClaim `<template>-<set>-<ordinal>` per volumeClaimTemplate.
 */
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import { clone, type KubeObject } from '../../api/types.js';
import { newControllerRef, type PodObject } from '../common/pods.js';
import { controllerRevisionHashLabel } from '../history/revision.js';

export type StatefulSetObject = StatefulSet & KubeObject;
export type ClaimObject = PersistentVolumeClaim & KubeObject;

export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';

const ordinalRE = /^(.*)-(\d+)$/;

/** getParentNameAndOrdinal: the ordinal in `<parent>-<n>`, or -1. */
export function ordinalOf(pod: { metadata?: { name?: string } }): number {
  const m = ordinalRE.exec(pod.metadata?.name ?? '');
  return m ? Number(m[2]) : -1;
}

export function parentNameOf(pod: { metadata?: { name?: string } }): string | undefined {
  return ordinalRE.exec(pod.metadata?.name ?? '')?.[1];
}

/** isMemberOf: the pod's name is the set's name and an ordinal. */
export function isMemberOf(set: StatefulSetObject, pod: PodObject): boolean {
  return parentNameOf(pod) === set.metadata.name;
}

export function podName(set: StatefulSetObject, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

export function startOrdinal(set: StatefulSet): number {
  return (set.spec as { ordinals?: { start?: number } } | undefined)?.ordinals?.start ?? 0;
}

export function claimName(set: StatefulSetObject, template: PersistentVolumeClaim, ordinal: number): string {
  return `${template.metadata?.name ?? ''}-${set.metadata.name}-${ordinal}`;
}

export function podRevision(pod: PodObject): string {
  return pod.metadata.labels?.[controllerRevisionHashLabel] ?? '';
}

/** The claims a pod of this ordinal uses: the templates, named for the pod, with the set's selector labels. */
export function claimsFor(set: StatefulSetObject, ordinal: number): ClaimObject[] {
  return (set.spec?.volumeClaimTemplates ?? []).map((t) => {
    const claim = clone(t) as ClaimObject;
    claim.apiVersion = 'v1';
    claim.kind = 'PersistentVolumeClaim';
    const md = (claim.metadata ??= {}) as KubeObject['metadata'];
    md.name = claimName(set, t, ordinal);
    md.namespace = set.metadata.namespace;
    md.labels = { ...(md.labels ?? {}), ...(set.spec?.selector?.matchLabels ?? {}) };
    delete (claim as { status?: unknown }).status;
    return claim;
  });
}

/** newStatefulSetPod + setPodRevision: the pod for an ordinal from a revision's template. */
export function newStatefulSetPod(set: StatefulSetObject, template: PodTemplateSpec, ordinal: number, revision: string): PodObject {
  const name = podName(set, ordinal);
  const metadata: KubeObject['metadata'] = {
    name,
    namespace: set.metadata.namespace,
    labels: { ...(template.metadata?.labels ?? {}), [podNameLabel]: name, [podIndexLabel]: String(ordinal), [controllerRevisionHashLabel]: revision },
    ownerReferences: [newControllerRef(set)],
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  if (template.metadata?.finalizers) metadata.finalizers = [...template.metadata.finalizers];
  const spec = clone(template.spec ?? { containers: [] });
  spec.hostname = name;
  if (set.spec?.serviceName) spec.subdomain = set.spec.serviceName;
  // updateStorage: claim volumes replace template volumes of the same name
  const claims = set.spec?.volumeClaimTemplates ?? [];
  if (claims.length) {
    const claimVolumes: Volume[] = claims.map((t) => ({ name: t.metadata?.name ?? '', persistentVolumeClaim: { claimName: claimName(set, t, ordinal) } }));
    const names = new Set(claimVolumes.map((v) => v.name));
    spec.volumes = [...claimVolumes, ...(spec.volumes ?? []).filter((v) => !names.has(v.name))];
  }
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec } as PodObject;
}
