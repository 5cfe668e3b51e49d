/**
 * Containers a previous run of the agent left behind. A container is a process session of its own, so
 * it survives an agent that dies without stopping it (SIGKILL, OOM, crash) — as containers survive a
 * kubelet crash under containerd. The agent records each container's main process (PID + /proc start
 * time, so a recycled PID never matches) in a file; when it starts again, the kubelet adopts the
 * recorded containers of pods that still exist on this node (their output goes on through their FIFOs:
 * runtime/output-fifo.ts) and kills the others before they could run beside new ones.
 */
import fs from 'node:fs';
import path from 'node:path';
import { containerProcesses, listProcesses, readProcStat, type ProcStat } from './proc.js';

/** The record's name inside a container's directory. */
export const PROCESS_RECORD = 'process.json';

export interface ProcessRecord {
  pid: number;
  startTime: number;
  /** The containerID the status reported for this instance (only that instance is adopted). */
  containerID?: string;
  /** Epoch ms the container started. */
  startedAt?: number;
}

/** A recorded container whose process may still run. */
export interface LeftoverContainer {
  /** The pod's directory name (`<ns>_<name>_<uid>`) and uid. */
  podDir: string;
  podUID: string;
  container: string;
  file: string;
  record: ProcessRecord | undefined;
}

/** Records a just-started container's main process (`pid`) in `dir`. */
export function recordContainerProcess(dir: string, pid: number, meta: { containerID?: string; startedAt?: number } = {}): void {
  const st = readProcStat(pid);
  if (!st) return; // already gone: nothing can be left behind
  const record: ProcessRecord = { pid, startTime: st.startTime, ...meta };
  const tmp = path.join(dir, `.${PROCESS_RECORD}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
  fs.renameSync(tmp, path.join(dir, PROCESS_RECORD));
}

/** True when `stat` (from /proc now) is the very process `record` names, still running. */
export function isRecordedProcess(record: ProcessRecord | undefined, stat: ProcStat | undefined): boolean {
  if (!record || !stat || !validPid(record.pid)) return false;
  return stat.pid === record.pid && stat.startTime === record.startTime && stat.state !== 'Z' && stat.state !== 'X';
}

/**
 * Whether a leftover can be adopted for a container the API reports as running with `containerID`:
 * the record must name that instance and the process must still be the recorded one.
 */
export function canAdopt(l: LeftoverContainer, containerID: string | undefined, stat: ProcStat | undefined = l.record ? readProcStat(l.record.pid) : undefined): boolean {
  return !!containerID && l.record?.containerID === containerID && isRecordedProcess(l.record, stat);
}

function validPid(pid: unknown): pid is number {
  return Number.isInteger(pid) && (pid as number) > 1;
}

/** Every record under `<podsDir>/<pod>/containers/<name>/`. */
export function findLeftoverContainers(podsDir: string): LeftoverContainer[] {
  const out: LeftoverContainer[] = [];
  const list = (dir: string) => {
    try {
      return fs.readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const pod of list(podsDir)) {
    for (const c of list(path.join(podsDir, pod, 'containers'))) {
      const file = path.join(podsDir, pod, 'containers', c, PROCESS_RECORD);
      if (!fs.existsSync(file)) continue;
      let record: ProcessRecord | undefined;
      try {
        record = JSON.parse(fs.readFileSync(file, 'utf8')) as ProcessRecord;
      } catch {
        // a torn write: the agent died while starting this container; nothing to match it by
      }
      out.push({ podDir: pod, podUID: pod.slice(pod.lastIndexOf('_') + 1), container: c, file, record });
    }
  }
  return out;
}

/**
 * SIGKILLs a recorded container whose main process still runs (the same process: PID and start time
 * match), with all processes of its session, and removes the record. Returns the PIDs signalled.
 */
export function killLeftover(l: LeftoverContainer): number[] {
  const killed: number[] = [];
  fs.rmSync(l.file, { force: true });
  const record = l.record;
  if (!record || !validPid(record.pid)) return killed;
  const st = readProcStat(record.pid);
  // Another process got the PID: not ours. A dead leader may have left its session running (no new
  // leader can hold that session ID while the PID is free).
  if (st && st.startTime !== record.startTime) return killed;
  const pids = st && st.state !== 'Z' ? containerProcesses(record.pid) : listProcesses().filter((p) => p.session === record.pid || p.pgrp === record.pid).map((p) => p.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return killed;
}

/** Kills every recorded container under `podsDir` (see killLeftover). Returns the PIDs signalled. */
export function killLeftoverContainers(podsDir: string): number[] {
  return findLeftoverContainers(podsDir).flatMap(killLeftover);
}
