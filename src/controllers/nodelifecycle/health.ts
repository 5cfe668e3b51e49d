/** Node health and NoExecute eviction decisions (node_lifecycle_controller.go, taint_eviction.go), pure. */
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { rfc3339 } from '../../util/clock.js';
import { notReadyTaint, tolerated, toleratesTaint, unreachableTaint } from '../scheduler/filters.js';

const watchedConditions = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

function parse(t: string | undefined): number {
  const v = t ? Date.parse(t) : NaN;
  return Number.isNaN(v) ? 0 : v;
}

/** When the kubelet last showed signs of life: lease renewal, Ready heartbeat, or node creation. */
export function lastProbeTime(node: Node, lease: Lease | undefined): number {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  return Math.max(parse(lease?.spec?.renewTime), parse(ready?.lastHeartbeatTime), parse(node.metadata?.creationTimestamp));
}

export function readyStatus(node: Node): string {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

/** The conditions of a node whose kubelet went silent, or undefined if they already say so. */
export function unknownConditions(node: Node, now: number): NodeCondition[] | undefined {
  const conds = [...(node.status?.conditions ?? [])];
  let changed = false;
  for (const type of watchedConditions) {
    const i = conds.findIndex((c) => c.type === type);
    if (i < 0) {
      conds.push({ type, status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.', lastHeartbeatTime: node.metadata?.creationTimestamp, lastTransitionTime: rfc3339(now) });
      changed = true;
    } else if (conds[i].status !== 'Unknown') {
      conds[i] = { ...conds[i], status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: rfc3339(now) };
      changed = true;
    }
  }
  return changed ? conds : undefined;
}

/** The taints a node should carry for its Ready status (TaintNodesByCondition + NoExecute taints), or undefined if unchanged. */
export function desiredTaints(node: Node, now: number): Taint[] | undefined {
  const status = readyStatus(node);
  const key = status === 'True' ? undefined : status === 'False' ? notReadyTaint : unreachableTaint;
  const current = node.spec?.taints ?? [];
  const kept = current.filter((t) => !((t.key === notReadyTaint || t.key === unreachableTaint) && (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && t.key !== key));
  const next = [...kept];
  if (key) {
    if (!next.some((t) => t.key === key && t.effect === 'NoSchedule')) next.push({ key, effect: 'NoSchedule' });
    if (!next.some((t) => t.key === key && t.effect === 'NoExecute')) next.push({ key, effect: 'NoExecute', timeAdded: rfc3339(now) });
  }
  return JSON.stringify(next) === JSON.stringify(current) ? undefined : next;
}

/**
 * Milliseconds until the taint manager evicts `pod` from a node with `taints`: 0 for now (an
 * untolerated NoExecute taint), undefined for never. Tolerations count from the taint's timeAdded.
 */
export function evictionDelayMs(pod: Pod, taints: Taint[] | undefined, now: number): number | undefined {
  let deadline: number | undefined;
  for (const taint of taints ?? []) {
    if (taint.effect !== 'NoExecute') continue;
    const tols = pod.spec?.tolerations ?? [];
    if (!tolerated(tols, taint)) return 0;
    let seconds: number | undefined;
    for (const t of tols) {
      if (!toleratesTaint(t, taint) || t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
      seconds = seconds === undefined ? t.tolerationSeconds : Math.min(seconds, t.tolerationSeconds);
    }
    // a toleration without tolerationSeconds tolerates forever
    if (seconds === undefined) continue;
    const at = (parse(taint.timeAdded) || now) + Math.max(0, seconds) * 1000;
    deadline = deadline === undefined ? at : Math.min(deadline, at);
  }
  return deadline === undefined ? undefined : Math.max(0, deadline - now);
}
