/**
 * Containers a previous run of the agent left behind. A container is a process session of its own, so
 * it survives an agent that dies without stopping it (SIGKILL, OOM, crash) — as containers survive a
 * kubelet crash under containerd. skiff cannot re-attach to them (their output pipes died with the
 * agent), so the agent records each container's main process in a file and, when it starts again,
 * kills every recorded container still running before it runs any pod; the pod workers then count those
 * containers as lost and restart them per restartPolicy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { containerProcesses, listProcesses, readProcStat } from './proc.js';

/** The record's name inside a container's directory. */
export const PROCESS_RECORD = 'process.json';

interface ProcessRecord {
  pid: number;
  startTime: number;
}

/** Records a just-started container's main process (`pid`) in `dir`. */
export function recordContainerProcess(dir: string, pid: number): void {
  const st = readProcStat(pid);
  if (!st) return; // already gone: nothing can be left behind
  const record: ProcessRecord = { pid, startTime: st.startTime };
  fs.writeFileSync(path.join(dir, PROCESS_RECORD), JSON.stringify(record));
}

/** The record files under `<podsDir>/<pod>/containers/<name>/`. */
function recordFiles(podsDir: string): string[] {
  const files: string[] = [];
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
      if (fs.existsSync(file)) files.push(file);
    }
  }
  return files;
}

/**
 * SIGKILLs every container recorded under `podsDir` whose main process still runs (the same process:
 * PID and start time match), with all processes of its session, and removes the records. Returns the
 * PIDs signalled.
 */
export function killLeftoverContainers(podsDir: string): number[] {
  const killed: number[] = [];
  for (const file of recordFiles(podsDir)) {
    let record: ProcessRecord | undefined;
    try {
      record = JSON.parse(fs.readFileSync(file, 'utf8')) as ProcessRecord;
    } catch {
      // a torn write: the agent died while starting this container; nothing to match it by
    }
    fs.rmSync(file, { force: true });
    if (!record || !Number.isInteger(record.pid) || record.pid <= 1) continue;
    const st = readProcStat(record.pid);
    // Another process got the PID: not ours. A dead leader may have left its session running (no new
    // leader can hold that session ID while the PID is free).
    if (st && st.startTime !== record.startTime) continue;
    const pids = st && st.state !== 'Z' ? containerProcesses(record.pid) : listProcesses().filter((p) => p.session === record.pid || p.pgrp === record.pid).map((p) => p.pid);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // exited meanwhile
      }
    }
  }
  return killed;
}
