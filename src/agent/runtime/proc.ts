/** Reading Linux /proc: which processes exist, their group, session and parent. Zombies count as gone. */
import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Start time in clock ticks since boot: with the PID, names one process across PID reuse. */
  startTime: number;
}

/** Parses /proc/PID/stat; the command name may hold spaces and parentheses, so split after the last ")". */
export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), pgrp: Number(fields[2]), session: Number(fields[3]), startTime: Number(fields[19]) };
}

/** A process that still runs: present in /proc and not a zombie (PID 1 may reap orphans slowly). */
export function isProcessLive(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== undefined && st.state !== 'Z' && st.state !== 'X';
}

export function listProcesses(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = readProcStat(Number(name));
    if (st && st.state !== 'Z' && st.state !== 'X') out.push(st);
  }
  return out;
}

/**
 * The live processes of a container started as its own session/group leader `leader`: members of its
 * process group or session, plus descendants of any of them (which catches children that called
 * setsid or setpgid to leave the group while their parent still lives).
 */
export function containerProcesses(leader: number, known: Iterable<number> = []): number[] {
  const all = listProcesses();
  const members = new Set<number>();
  for (const p of all) if (p.pgrp === leader || p.session === leader) members.add(p.pid);
  for (const pid of known) if (all.some((p) => p.pid === pid)) members.add(pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all) {
      if (!members.has(p.pid) && members.has(p.ppid)) {
        members.add(p.pid);
        grew = true;
      }
    }
  }
  return [...members];
}
