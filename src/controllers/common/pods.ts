/** Pod helpers shared by the workload controllers (k8s.io/kubernetes pkg/api/v1/pod, pkg/controller). */
import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import type { RestClient } from '../../client/rest.js';

export type PodObject = Pod & KubeObject;

const pods = findResource('', 'v1', 'pods')!;

/** Writes conditions into a pod's status; a strategic merge patch merges them with the others by type. */
export function patchPodConditions(client: RestClient, pod: PodObject, conditions: unknown[]): Promise<PodObject> {
  const { namespace, name } = pod.metadata;
  return client.patch<PodObject>(pods, { namespace, name: name!, subresource: 'status', type: 'strategic', patch: { status: { conditions } } });
}

export function podCondition(pod: Pod, type: string): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}

export function isPodReady(pod: Pod): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Ready for at least minReadySeconds (podutil.IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const c = podCondition(pod, 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** Not finished and not being deleted (controller.IsPodActive). */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata?.deletionTimestamp;
}

/** The owner reference with controller: true, if any (metav1.GetControllerOf). */
export function controllerRefOf(obj: { metadata?: { ownerReferences?: OwnerReference[] } }): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** The controllerRef a controller sets on what it creates or adopts (metav1.NewControllerRef). */
export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Time in ms until a Ready pod becomes available, or undefined if nothing to wait for. */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: number): number | undefined {
  const c = podCondition(pod, 'Ready');
  if (c?.status !== 'True' || !minReadySeconds || !c.lastTransitionTime) return undefined;
  const left = Date.parse(c.lastTransitionTime) + minReadySeconds * 1000 - now;
  return left > 0 ? left : undefined;
}
