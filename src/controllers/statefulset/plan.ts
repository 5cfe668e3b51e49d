/**
 * The StatefulSet controller's decisions for one sync (updateStatefulSet in stateful_set_control.go),
 * as a pure function: which pods to create and delete, and the status that results.
 * OrderedReady (monotonic) acts on one pod at a time and waits for it to be Running and Ready;
 * Parallel creates and deletes all at once. Rolling updates replace pods in reverse ordinal order
 * down to the partition, one at a time, each only once the pods above it are healthy.
 */
import type { StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import { isPodAvailable, isPodReady, type PodObject } from '../common/pods.js';
import { ordinalOf, podRevision } from './identity.js';

export interface PlanInput {
  replicas: number;
  startOrdinal: number;
  monotonic: boolean;
  rollingUpdate: boolean;
  partition: number;
  minReadySeconds: number;
  /** The set's pods (owned, any phase, terminating included). */
  pods: PodObject[];
  currentRevision: string;
  updateRevision: string;
  /** Set is being deleted: status only. */
  deleting?: boolean;
  now: number;
}

export type Action =
  | { type: 'create'; ordinal: number; revision: string }
  | { type: 'delete'; pod: PodObject; reason: 'failed' | 'condemned' | 'update' };

export interface Plan {
  actions: Action[];
  status: Pick<StatefulSetStatus, 'replicas' | 'readyReplicas' | 'availableReplicas' | 'currentReplicas' | 'updatedReplicas' | 'currentRevision' | 'updateRevision'>;
}

/** Parallel mode acts on at most this many pods per sync (the ReplicaSet controller's burstReplicas). */
export const burst = 500;

const isTerminating = (p: PodObject) => !!p.metadata.deletionTimestamp;
const isFinished = (p: PodObject) => p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
const isRunningAndReady = (p: PodObject) => p.status?.phase === 'Running' && isPodReady(p);

export function planStatefulSet(input: PlanInput): Plan {
  const { replicas: n, startOrdinal: start, monotonic, now, minReadySeconds } = input;
  const available = (p: PodObject) => isRunningAndReady(p) && isPodAvailable(p, minReadySeconds, now);
  const healthy = (p: PodObject) => available(p) && !isTerminating(p);
  const status: Plan['status'] = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0, currentRevision: input.currentRevision, updateRevision: input.updateRevision };
  // by ordinal offset; a Map, so a huge replica count costs nothing until pods exist
  const slots = new Map<number, PodObject>();
  const condemned: PodObject[] = [];
  for (const pod of input.pods) {
    status.replicas!++;
    if (isRunningAndReady(pod)) {
      status.readyReplicas!++;
      if (available(pod)) status.availableReplicas!++;
    }
    if (!isTerminating(pod)) {
      if (podRevision(pod) === input.currentRevision) status.currentReplicas!++;
      if (podRevision(pod) === input.updateRevision) status.updatedReplicas!++;
    }
    const ord = ordinalOf(pod);
    if (ord >= start && ord < start + n && !slots.has(ord - start)) slots.set(ord - start, pod);
    else if (ord >= 0) condemned.push(pod);
  }
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a)); // highest ordinal first
  const actions: Action[] = [];
  const done = () => ({ actions, status: completeRollingUpdate(input, status) });
  if (input.deleting) return done();

  // the revision a missing ordinal is created at: below the partition it stays at the current revision
  const revisionFor = (ord: number) => (input.rollingUpdate && ord < start + input.partition ? input.currentRevision : input.updateRevision);
  const firstUnhealthy = [...[...slots].sort(([a], [b]) => a - b).map(([, p]) => p), ...[...condemned].reverse()].find((p) => !healthy(p));

  for (let i = 0; i < n; i++) {
    const pod = slots.get(i);
    if (!pod) {
      actions.push({ type: 'create', ordinal: start + i, revision: revisionFor(start + i) });
      if (monotonic || actions.length >= burst) return done();
      continue;
    }
    if (isFinished(pod)) {
      // recreated on a later sync, once this one is gone
      if (!isTerminating(pod)) actions.push({ type: 'delete', pod, reason: 'failed' });
      if (monotonic) return done();
      continue;
    }
    if (monotonic && (isTerminating(pod) || !available(pod))) return done();
  }

  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return done();
      continue;
    }
    if (monotonic && !isRunningAndReady(pod) && pod !== firstUnhealthy) return done();
    actions.push({ type: 'delete', pod, reason: 'condemned' });
    if (monotonic) return done();
  }
  if (!input.rollingUpdate || actions.length) return done();

  for (let i = n - 1; i >= Math.max(0, input.partition); i--) {
    const pod = slots.get(i);
    if (!pod) return done();
    if (podRevision(pod) !== input.updateRevision && !isTerminating(pod)) {
      actions.push({ type: 'delete', pod, reason: 'update' });
      status.currentReplicas = Math.max(0, status.currentReplicas! - 1);
      return done();
    }
    if (!healthy(pod)) return done();
  }
  return done();
}

/** completeRollingUpdate: once every pod is updated and ready, the update revision becomes current. */
function completeRollingUpdate(input: PlanInput, status: Plan['status']): Plan['status'] {
  if (input.rollingUpdate && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
    return { ...status, currentReplicas: status.updatedReplicas, currentRevision: status.updateRevision };
  }
  return status;
}
