/**
 * The DaemonSet controller's decisions for one sync, as pure functions: manage (podsShouldBeOnNode),
 * rollingUpdate (maxUnavailable, or maxSurge) and updateDaemonSetStatus (pkg/controller/daemon).
 */
import type { DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { scaledValue } from '../common/intorpercent.js';
import { isPodAvailable, isPodReady, type PodObject } from '../common/pods.js';
import { controllerRevisionHashLabel } from '../history/revision.js';

export interface NodeView {
  node: Node;
  shouldRun: boolean;
  shouldContinueRunning: boolean;
}

export interface DaemonPlanInput {
  nodes: NodeView[];
  /** Pods by target node (terminal pods that are being deleted left out). */
  podsByNode: Map<string, PodObject[]>;
  hash: string;
  rollingUpdate: boolean;
  maxUnavailable: number | string;
  maxSurge: number | string;
  minReadySeconds: number;
  now: number;
}

export interface DaemonPlan {
  createOn: string[];
  delete: PodObject[];
  /** Failed pods being replaced (for the FailedDaemonPod event). */
  failed: PodObject[];
}

const terminating = (p: PodObject) => !!p.metadata.deletionTimestamp;
const updated = (p: PodObject, hash: string) => p.metadata.labels?.[controllerRevisionHashLabel] === hash;

/** podByCreationTimestampAndPhase: scheduled first, then oldest, then by name. */
export function oldestFirst(pods: PodObject[]): PodObject[] {
  return [...pods].sort((a, b) => {
    const sa = a.spec?.nodeName ? 0 : 1;
    const sb = b.spec?.nodeName ? 0 : 1;
    const ta = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const tb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    return sa - sb || ta - tb || (a.metadata.name! < b.metadata.name! ? -1 : 1);
  });
}

export function desiredCount(nodes: NodeView[]): number {
  return nodes.filter((n) => n.shouldRun).length;
}

/** manage: a pod for every node that should run one, none where none may stay, no duplicates. */
export function planManage(input: DaemonPlanInput): DaemonPlan {
  const plan: DaemonPlan = { createOn: [], delete: [], failed: [] };
  const surge = scaledValue(input.maxSurge, desiredCount(input.nodes), true) > 0 && input.rollingUpdate;
  for (const { node, shouldRun, shouldContinueRunning } of [...input.nodes].sort((a, b) => (a.node.metadata!.name! < b.node.metadata!.name! ? -1 : 1))) {
    const name = node.metadata!.name!;
    const pods = input.podsByNode.get(name) ?? [];
    if (shouldRun && pods.length === 0) {
      plan.createOn.push(name);
      continue;
    }
    if (!shouldContinueRunning) {
      plan.delete.push(...pods.filter((p) => !terminating(p)));
      continue;
    }
    if (!shouldRun) continue;
    const running: PodObject[] = [];
    for (const p of pods) {
      if (terminating(p)) continue;
      if (p.status?.phase === 'Failed') {
        plan.delete.push(p);
        plan.failed.push(p);
      } else if (p.status?.phase === 'Succeeded') plan.delete.push(p);
      else running.push(p);
    }
    const sorted = oldestFirst(running);
    if (!surge) {
      plan.delete.push(...sorted.slice(1));
      continue;
    }
    // with surge, an old and a new pod may share a node while the new one becomes available
    let oldestNew: PodObject | undefined;
    let oldestOld: PodObject | undefined;
    for (const p of sorted) {
      if (updated(p, input.hash) && !oldestNew) oldestNew = p;
      else if (!updated(p, input.hash) && !oldestOld) oldestOld = p;
      else plan.delete.push(p);
    }
    if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, input.minReadySeconds, input.now))) plan.delete.push(oldestOld);
  }
  return plan;
}

/** findUpdatedPodsOnNode: at most one new and one old live pod, else not ok. */
function updatedPodsOnNode(pods: PodObject[], hash: string): { ok: boolean; newPod?: PodObject; oldPod?: PodObject } {
  let newPod: PodObject | undefined;
  let oldPod: PodObject | undefined;
  for (const p of pods) {
    if (terminating(p)) continue;
    if (updated(p, hash)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { ok: true, newPod, oldPod };
}

/** rollingUpdate: which old pods go (and, with surge, where new pods start) this round. */
export function planRollingUpdate(input: DaemonPlanInput): DaemonPlan {
  const desired = desiredCount(input.nodes);
  const available = (p: PodObject) => isPodAvailable(p, input.minReadySeconds, input.now);
  const names = [...input.podsByNode.keys()].sort();
  const shouldRun = new Map(input.nodes.map((n) => [n.node.metadata!.name!, n.shouldRun]));
  const maxSurge = scaledValue(input.maxSurge, desired, true);
  if (maxSurge === 0) {
    const maxUnavailable = scaledValue(input.maxUnavailable, desired, true);
    let numUnavailable = 0;
    const replace: PodObject[] = [];
    const candidates: PodObject[] = [];
    for (const name of names) {
      const { ok, newPod, oldPod } = updatedPodsOnNode(input.podsByNode.get(name)!, input.hash);
      if (!ok || (!newPod && !oldPod) || (newPod && oldPod)) numUnavailable++;
      else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (!available(oldPod!)) replace.push(oldPod!);
      else if (numUnavailable < maxUnavailable) candidates.push(oldPod!);
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    return { createOn: [], delete: [...replace, ...candidates.slice(0, remaining)], failed: [] };
  }
  let numSurge = 0;
  const del: PodObject[] = [];
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  for (const name of names) {
    const { ok, newPod, oldPod } = updatedPodsOnNode(input.podsByNode.get(name)!, input.hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!available(oldPod)) {
        if (shouldRun.get(name)) allowedNew.push(name);
      } else if (numSurge < maxSurge) candidateNew.push(name);
    } else if (!available(newPod)) numSurge++;
    else del.push(oldPod);
  }
  const remaining = Math.min(Math.max(0, maxSurge - numSurge), candidateNew.length);
  return { createOn: [...allowedNew, ...candidateNew.slice(0, remaining)], delete: del, failed: [] };
}

/** updateDaemonSetStatus's counts, judged on each node's oldest pod. */
export function daemonSetStatus(input: DaemonPlanInput): Omit<DaemonSetStatus, 'observedGeneration' | 'collisionCount' | 'conditions'> {
  let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updatedCount = 0;
  for (const { node, shouldRun } of input.nodes) {
    const pods = input.podsByNode.get(node.metadata!.name!) ?? [];
    if (!shouldRun) {
      if (pods.length) misscheduled++;
      continue;
    }
    desired++;
    if (!pods.length) continue;
    current++;
    const pod = oldestFirst(pods)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, input.minReadySeconds, input.now)) available++;
    }
    if (updated(pod, input.hash)) updatedCount++;
  }
  return {
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    desiredNumberScheduled: desired,
    numberReady: ready,
    updatedNumberScheduled: updatedCount,
    numberAvailable: available,
    numberUnavailable: desired - available,
  };
}
