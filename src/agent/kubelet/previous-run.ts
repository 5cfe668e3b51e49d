/** What a pod worker takes over from the previous run of the agent at its creation. */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { rfc3339 } from '../../util/clock.js';
import { canAdopt, killLeftover, type LeftoverContainer } from '../runtime/leftovers.js';
import type { ContainerSlot } from './container-slot.js';

/**
 * A pod this node ran before the agent restarted. A container the API reports running whose recorded
 * process still runs (same PID and start time, same containerID: runtime/leftovers.ts) is adopted as a
 * kubelet adopts the CRI runtime's running containers: status, restartCount and log stay. Every other
 * container that had started counts as exited — `Unknown`/255 as kubelet reports containers lost in a
 * node reboot; any process left of it is killed — and is restarted per restartPolicy with restartCount + 1.
 */
export function restorePreviousRun(o: { pod: Pod; slots: ContainerSlot[]; leftovers: LeftoverContainer[]; now: number; frozen: boolean }): boolean {
  const { pod, now } = o;
  const leftovers = [...o.leftovers];
  let adopting = false;
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const deleting = !!pod.metadata?.deletionTimestamp;
  for (const slot of o.slots) {
    const st = statuses.find((s) => s.name === slot.name && !!s.containerID === true);
    const left = leftovers.find((l) => l.container === slot.name);
    if (left) leftovers.splice(leftovers.indexOf(left), 1);
    const inList = st && (!slot.init || (pod.status?.initContainerStatuses ?? []).includes(st));
    // a pod being deleted is not adopted: its containers are killed (the kubelet would stop them anyway)
    if (left && inList && st.state?.running && !o.frozen && !deleting && canAdopt(left, st.containerID)) {
      slot.everStarted = true;
      slot.record = { ...slot.record, containerID: st.containerID, imageID: st.imageID ?? '', restartCount: st.restartCount ?? 0, lastState: st.lastState ?? {}, state: { running: st.state.running }, ready: st.ready ?? false, started: st.started ?? true };
      slot.adopt = { leftover: left, startedAt: st.state.running.startedAt ? Date.parse(st.state.running.startedAt) : now };
      adopting = true;
      continue;
    }
    if (left) killLeftover(left);
    if (!st || !inList) continue;
    const done = st.state?.terminated;
    const terminated = done ?? { exitCode: 255, reason: 'Unknown', startedAt: st.state?.running?.startedAt, finishedAt: rfc3339(now), containerID: st.containerID };
    slot.everStarted = true;
    slot.record = { ...slot.record, containerID: st.containerID, imageID: st.imageID ?? '', restartCount: st.restartCount ?? 0, lastState: st.lastState ?? {}, state: { terminated } };
    const finishedAt = terminated.finishedAt ? Date.parse(terminated.finishedAt) : now;
    slot.lastExit = { exitCode: terminated.exitCode, signal: null, reason: terminated.exitCode === 0 ? 'Completed' : 'Error', startedAt: finishedAt, finishedAt };
  }
  // records of containers no longer in the spec: nothing runs them any more
  for (const l of leftovers) killLeftover(l);
  return adopting;
}
