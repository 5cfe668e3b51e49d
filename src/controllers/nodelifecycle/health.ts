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

/** What the controller last saw of a node's kubelet (kube's nodeHealthData). */
export interface NodeHealth {
  /** The newest Ready heartbeat and lease renewal seen, as the kubelet stamped them (ms). */
  heartbeat: number;
  renewTime: number;
  /** The controller's own clock when it last saw either move on: the grace period counts from here. */
  probeTimestamp: number;
}

/**
 * tryUpdateNodeHealth's probe timestamp: `now` whenever a newer heartbeat or lease renewal shows up,
 * so neither the kubelet's clock nor the latency of its request and of the watch eats into the grace
 * period. A node first seen with a heartbeat or lease gets a full grace period from now (a restarted
 * controller), one that never posted anything counts from its creation.
 */
export function observeHealth(saved: NodeHealth | undefined, node: Node, lease: Lease | undefined, now: number): NodeHealth {
  const heartbeat = parse(node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime);
  const renewTime = parse(lease?.spec?.renewTime);
  if (!saved) return { heartbeat, renewTime, probeTimestamp: heartbeat || renewTime ? now : parse(node.metadata?.creationTimestamp) };
  const moved = heartbeat > saved.heartbeat || renewTime > saved.renewTime;
  return { heartbeat: Math.max(heartbeat, saved.heartbeat), renewTime: Math.max(renewTime, saved.renewTime), probeTimestamp: moved ? now : saved.probeTimestamp };
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
