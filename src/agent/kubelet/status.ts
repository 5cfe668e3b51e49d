/**
 * Pod status as kubelet computes it (kubelet_pods.go getPhase/generateAPIPodStatus and
 * pkg/kubelet/status/generate.go): phase from the container states, the five pod conditions with
 * lastTransitionTime kept while a condition's status is unchanged, and sorted containerStatuses.
 */
import type { ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../../util/clock.js';

/** What the pod worker knows of each container instance. */
export interface ContainerRecord {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
}

export interface PodStatusInput {
  pod: Pod;
  initContainers: ContainerRecord[];
  containers: ContainerRecord[];
  podIP?: string;
  hostIP: string;
  /** Epoch ms the pod worker first saw the pod. */
  startTime: number;
  sandboxReady: boolean;
  now: number;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed';

/** kubelet's getPhase. */
export function podPhase(pod: Pod, init: ContainerRecord[], containers: ContainerRecord[]): PodPhase {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let initFailed = false;
  let initPending = false;
  for (const c of init) {
    const t = c.state.terminated;
    if (t && t.exitCode === 0) continue;
    if (t || (c.state.waiting && c.lastState.terminated && c.lastState.terminated.exitCode !== 0)) initFailed = true;
    initPending = true;
  }
  if (initFailed && policy === 'Never') return 'Failed';
  if (initPending) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containers) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState.terminated) stopped++;
    else waiting++;
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function names(list: ContainerRecord[]): string {
  return `[${list.map((c) => c.name).join(' ')}]`;
}

/** The conditions in Kubernetes' order; lastTransitionTime kept from `previous` when the status is unchanged. */
export function podConditions(input: PodStatusInput, phase: PodPhase): PodCondition[] {
  const previous = input.pod.status?.conditions ?? [];
  const now = rfc3339(input.now);
  const cond = (type: string, ok: boolean, reason?: string, message?: string): PodCondition => {
    const prev = previous.find((c) => c.type === type);
    const status = ok ? 'True' : 'False';
    const c: PodCondition = { type, status, lastProbeTime: null as unknown as string, lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime! : now };
    if (!ok && reason) c.reason = reason;
    if (!ok && message) c.message = message;
    return c;
  };
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const initIncomplete = input.initContainers.filter((c) => !(c.state.terminated && c.state.terminated.exitCode === 0));
  const unready = input.containers.filter((c) => !c.ready);
  const initialized = terminal && phase === 'Succeeded' ? true : initIncomplete.length === 0;
  const out: PodCondition[] = [
    cond('PodReadyToStartContainers', input.sandboxReady && !terminal),
    initialized
      ? cond('Initialized', true)
      : cond('Initialized', false, 'ContainersNotInitialized', `containers with incomplete status: ${names(initIncomplete)}`),
  ];
  let readyReason: [string, string] | undefined;
  if (terminal) readyReason = ['PodCompleted', ''];
  else if (unready.length > 0) readyReason = ['ContainersNotReady', `containers with unready status: ${names(unready)}`];
  else if (!initialized) readyReason = ['ContainersNotInitialized', `containers with incomplete status: ${names(initIncomplete)}`];
  const ready = readyReason === undefined;
  out.push(cond('Ready', ready, readyReason?.[0], readyReason?.[1] || undefined));
  out.push(cond('ContainersReady', ready, readyReason?.[0], readyReason?.[1] || undefined));
  const scheduled = previous.find((c) => c.type === 'PodScheduled');
  out.push(scheduled ?? cond('PodScheduled', true));
  // Keep conditions other components own (e.g. DisruptionTarget, readiness gates).
  for (const c of previous) if (!out.some((o) => o.type === c.type)) out.push(c);
  return out;
}

export function toContainerStatus(c: ContainerRecord): ContainerStatus {
  const s: ContainerStatus = {
    name: c.name,
    state: c.state,
    lastState: c.lastState,
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.imageID,
    started: c.started,
  };
  if (c.containerID) s.containerID = c.containerID;
  return s;
}

/** The status the kubelet writes via pods/status. */
export function computePodStatus(input: PodStatusInput): PodStatus {
  const phase = podPhase(input.pod, input.initContainers, input.containers);
  const status: PodStatus = {
    phase,
    conditions: podConditions(input, phase),
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    startTime: rfc3339(input.startTime),
    containerStatuses: [...input.containers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(toContainerStatus),
  };
  if (input.podIP) {
    status.podIP = input.podIP;
    status.podIPs = [{ ip: input.podIP }];
  }
  if (input.initContainers.length > 0) status.initContainerStatuses = input.initContainers.map(toContainerStatus);
  if (input.pod.status?.qosClass) status.qosClass = input.pod.status.qosClass;
  return status;
}

/** A container that has not started yet (kubelet: Waiting/ContainerCreating, or PodInitializing behind init containers). */
export function waitingRecord(o: { name: string; image: string; reason: string; message?: string; restartCount?: number; lastState?: ContainerState }): ContainerRecord {
  return {
    name: o.name,
    image: o.image,
    imageID: '',
    state: { waiting: { reason: o.reason, ...(o.message ? { message: o.message } : {}) } },
    lastState: o.lastState ?? {},
    ready: false,
    started: false,
    restartCount: o.restartCount ?? 0,
  };
}
