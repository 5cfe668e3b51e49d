/** kube-scheduler's filter and score plugins that skiff runs, as pure functions. */
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { requiredNodeAffinityMatches } from '../common/nodeaffinity.js';

export const notReadyTaint = 'node.kubernetes.io/not-ready';
export const unreachableTaint = 'node.kubernetes.io/unreachable';
export const unschedulableTaint = 'node.kubernetes.io/unschedulable';

/** v1helper.TolerationsTolerateTaint / Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

export function tolerated(tolerations: Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

export function nodeReady(node: Node): boolean {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/** The node's taints, plus the one the node lifecycle controller would add for a node that is not Ready. */
function effectiveTaints(node: Node): Taint[] {
  const taints = [...(node.spec?.taints ?? [])];
  if (!nodeReady(node) && !taints.some((t) => t.key === notReadyTaint || t.key === unreachableTaint)) {
    const unknown = node.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'False';
    taints.push({ key: unknown ? unreachableTaint : notReadyTaint, effect: 'NoSchedule' });
  }
  return taints;
}

/** The reason a node does not fit, as kube-scheduler words it, or undefined if it fits. */
export function filterNode(pod: Pod, node: Node): string | undefined {
  const spec = pod.spec ?? { containers: [] };
  // NodeUnschedulable
  if (node.spec?.unschedulable && !tolerated(spec.tolerations, { key: unschedulableTaint, effect: 'NoSchedule' })) return 'node(s) were unschedulable';
  // NodeName
  if (spec.nodeName && spec.nodeName !== node.metadata?.name) return "node(s) didn't match the requested node name";
  // NodeAffinity (nodeSelector and required node affinity, e.g. a DaemonSet pod's matchFields metadata.name)
  if (!requiredNodeAffinityMatches(pod, node)) return "node(s) didn't match Pod's node affinity/selector";
  // TaintToleration
  for (const taint of effectiveTaints(node)) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerated(spec.tolerations, taint)) return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
  }
  return undefined;
}

/** FitError.Error() with the default preemption's post-filter message (all our filters are unresolvable). */
export function fitErrorMessage(total: number, reasons: string[]): string {
  if (total === 0) return 'no nodes available to schedule pods';
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const histogram = [...counts].map(([r, n]) => `${n} ${r}`).sort();
  return `0/${total} nodes are available: ${histogram.join(', ')}. preemption: 0/${total} nodes are available: ${total} Preemption is not helpful for scheduling.`;
}

export interface NodeLoad {
  /** Pods on the node with the same controller (or, for bare pods, the same labels). */
  sameOwner: number;
  total: number;
}

/** Picks the node: fewest pods of the same owner (spreading), then fewest pods, then name. */
export function pickNode(candidates: string[], load: (node: string) => NodeLoad): string | undefined {
  let best: string | undefined;
  let bestLoad: NodeLoad | undefined;
  for (const name of [...candidates].sort()) {
    const l = load(name);
    if (!bestLoad || l.sameOwner < bestLoad.sameOwner || (l.sameOwner === bestLoad.sameOwner && l.total < bestLoad.total)) {
      best = name;
      bestLoad = l;
    }
  }
  return best;
}
