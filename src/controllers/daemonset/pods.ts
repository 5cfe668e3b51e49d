/**
 * Which nodes a DaemonSet runs on and the pod it puts there (pkg/controller/daemon/util and
 * NodeShouldRunDaemonPod): the standard daemon tolerations, and a required node affinity on
 * `metadata.name` that the scheduler honours, as Kubernetes does (no spec.nodeName).
 */
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Node, PodTemplateSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { clone, type KubeObject } from '../../api/types.js';
import { requiredNodeAffinityMatches } from '../common/nodeaffinity.js';
import { newControllerRef, type PodObject } from '../common/pods.js';
import { controllerRevisionHashLabel } from '../history/revision.js';

export type DaemonSetObject = DaemonSet & KubeObject;
export type NodeObject = Node & KubeObject;

export const podTemplateGenerationLabel = 'pod-template-generation';
export const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';

const exists = (key: string, effect: 'NoSchedule' | 'NoExecute'): Toleration => ({ key, operator: 'Exists', effect });

/** AddOrUpdateDaemonPodTolerations, in the order Kubernetes adds them. */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const out = [
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/unschedulable', 'NoSchedule'),
  ];
  if (hostNetwork) out.push(exists('node.kubernetes.io/network-unavailable', 'NoSchedule'));
  return out;
}

function sameToleration(a: Toleration, b: Toleration): boolean {
  return a.key === b.key && a.effect === b.effect && (a.operator ?? 'Equal') === (b.operator ?? 'Equal') && (a.value ?? '') === (b.value ?? '');
}

function withDaemonTolerations(existing: Toleration[] | undefined, hostNetwork: boolean): Toleration[] {
  const out = [...(existing ?? [])];
  for (const t of daemonTolerations(hostNetwork)) if (!out.some((x) => sameToleration(x, t) || (x.key === t.key && x.effect === t.effect))) out.push(t);
  return out;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become the one node. */
export function nodeAffinityFor(affinity: Affinity | undefined, nodeName: string): Affinity {
  const a = clone(affinity ?? {});
  const na = (a.nodeAffinity ??= {});
  const required = (na.requiredDuringSchedulingIgnoredDuringExecution ??= { nodeSelectorTerms: [] });
  required.nodeSelectorTerms = [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }];
  return a;
}

/** The node a daemon pod is for: its nodeName, or the node its required affinity names (GetTargetNodeName). */
export function targetNodeName(pod: PodObject): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

function toleratesAll(tolerations: Toleration[], taints: Taint[], effects: string[]): boolean {
  return taints.filter((t) => effects.includes(t.effect)).every((taint) =>
    tolerations.some((t) => (!t.effect || t.effect === taint.effect) && (!t.key || t.key === taint.key) && (t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? ''))),
  );
}

/** NodeShouldRunDaemonPod: whether to run a pod there, and whether a pod already there may stay. */
export function nodeShouldRunDaemonPod(node: Node, ds: DaemonSet): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = ds.spec?.template?.spec;
  const name = node.metadata?.name ?? '';
  if (spec?.nodeName && spec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  const pod = { spec: { ...(spec ?? { containers: [] }), tolerations: withDaemonTolerations(spec?.tolerations, !!spec?.hostNetwork) } };
  if (!requiredNodeAffinityMatches(pod, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = node.spec?.taints ?? [];
  if (!toleratesAll(pod.spec.tolerations, taints, ['NoSchedule', 'NoExecute'])) {
    return { shouldRun: false, shouldContinueRunning: toleratesAll(pod.spec.tolerations, taints, ['NoExecute']) };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The pod for one node (GetPodFromTemplate + the daemon labels, tolerations and node affinity). */
export function newDaemonPod(ds: DaemonSetObject, template: PodTemplateSpec, nodeName: string, hash: string): PodObject {
  const metadata: KubeObject['metadata'] = {
    generateName: `${ds.metadata.name}-`,
    namespace: ds.metadata.namespace,
    labels: { ...(template.metadata?.labels ?? {}), [controllerRevisionHashLabel]: hash },
    ownerReferences: [newControllerRef(ds)],
  };
  const generation = ds.metadata.annotations?.[templateGenerationAnnotation];
  if (generation) metadata.labels![podTemplateGenerationLabel] = generation;
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  const spec = clone(template.spec ?? { containers: [] });
  spec.tolerations = withDaemonTolerations(spec.tolerations, !!spec.hostNetwork);
  spec.affinity = nodeAffinityFor(spec.affinity, nodeName);
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec } as PodObject;
}
