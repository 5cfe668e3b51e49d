/**
 * netns mode: `skiff server` runs one `skiff agent --network netns` process per node inside its node netns
 * (`nsenter --net=/run/netns/skiff-C-nK ...`), as kind runs a node container: restarted with backoff when it dies,
 * stopped by PID on shutdown. The agent exits by itself, leaving its pods running, when the server's pipe to
 * it closes (kill -9 of the server): the next server's agents adopt them, as a restarted kubelet does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRecordedProcess, type ProcessRecord } from '../agent/runtime/leftovers.js';
import { readProcStat } from '../agent/runtime/proc.js';
import type { Logger } from './logger.js';

export interface SupervisedNode {
  name: string;
  netns: string;
  /** argv after `node` (the skiff launcher and its agent flags). */
  args: string[];
}

export interface NodeSupervisorOptions {
  nodes: SupervisedNode[];
  log: Logger;
  /** Called each time a node's agent says it is ready (after a restart too). */
  onReady?: (node: SupervisedNode) => void;
  readyTimeoutMs?: number;
  /** Where the agents' PIDs are recorded (`<dataDir>/server/agents.json`), so a restarted server stops a dead run's agents first. */
  recordFile?: string;
}

interface Slot {
  node: SupervisedNode;
  child?: ChildProcess;
  restarts: number;
  startedAt: number;
  timer?: NodeJS.Timeout;
}

export class NodeSupervisor {
  private readonly slots: Slot[];
  private stopping = false;

  constructor(private readonly opts: NodeSupervisorOptions) {
    this.slots = opts.nodes.map((node) => ({ node, restarts: 0, startedAt: 0 }));
  }

  pids(): number[] {
    return this.slots.map((s) => s.child?.pid).filter((p): p is number => p !== undefined);
  }

  /** Starts every node's agent (after stopping a dead run's that still run) and resolves when all of them are ready. */
  async start(): Promise<void> {
    await this.killRecorded();
    await Promise.all(this.slots.map((s) => this.launch(s)));
  }

  /** A dead server's agents exit when their pipe closes; one still running must not serve beside its successor. */
  private async killRecorded(): Promise<void> {
    const file = this.opts.recordFile;
    if (!file) return;
    let records: ProcessRecord[] = [];
    try {
      records = JSON.parse(readFileSync(file, 'utf8')) as ProcessRecord[];
    } catch {
      return;
    }
    const live = () => records.filter((r) => isRecordedProcess(r, readProcStat(r.pid)));
    for (const r of live()) {
      this.opts.log.info(`stopping agent pid ${r.pid} of a previous run`);
      process.kill(r.pid, 'SIGKILL');
    }
    for (let i = 0; i < 100 && live().length > 0; i++) await sleep(50);
  }

  private record(): void {
    const file = this.opts.recordFile;
    if (!file) return;
    const records = this.pids().flatMap((pid) => {
      const st = readProcStat(pid);
      return st ? [{ pid, startTime: st.startTime }] : [];
    });
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(`${file}.tmp`, JSON.stringify(records));
    renameSync(`${file}.tmp`, file);
  }

  private launch(slot: Slot): Promise<void> {
    const { node, } = slot;
    const log = this.opts.log;
    slot.startedAt = Date.now();
    // nsenter, not `ip netns exec`: the agent shares the machine's mount namespace, so the pod netns it
    // mounts under /run/netns outlive it (ip netns exec's private mount namespace would take them along)
    const child = spawn('nsenter', [`--net=/run/netns/${node.netns}`, '--', process.execPath, ...node.args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SKIFF_EXIT_WITH_STDIN: '1' } });
    slot.child = child;
    try {
      this.record();
    } catch (err) {
      log.error(`recording agent pids: ${(err as Error).message}`);
    }
    let out = '';
    let ready = false;
    return new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`node ${node.name}: agent not ready after ${(this.opts.readyTimeoutMs ?? 30_000) / 1000}s:\n${out}`)), this.opts.readyTimeoutMs ?? 30_000);
      const onLine = (line: string) => {
        if (!line) return;
        if (line === 'skiff agent is ready') {
          if (!ready) {
            ready = true;
            clearTimeout(timeout);
            log.info(`node ${node.name}: agent pid ${child.pid} ready in netns ${node.netns}`);
            this.opts.onReady?.(node);
            resolve();
          }
          return;
        }
        if (!ready) out += line + '\n';
        // the agent's own log lines carry their timestamp and level
        process.stderr.write(`[${node.name}] ${line}\n`);
      };
      let buf = '';
      const feed = (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      };
      child.stdout!.on('data', feed);
      child.stderr!.on('data', feed);
      child.stdin!.on('error', () => {});
      child.once('error', (err) => log.error(`node ${node.name}: ${err.message}`));
      child.once('exit', (code, signal) => {
        clearTimeout(timeout);
        if (this.stopping) return;
        // backoff as the kubelet's CrashLoopBackOff: 1s doubling to 30s, reset after 60s of running
        if (Date.now() - slot.startedAt > 60_000) slot.restarts = 0;
        const delay = Math.min(30_000, 1000 * 2 ** slot.restarts++);
        log.error(`node ${node.name}: agent exited (${signal ?? code}); restarting in ${delay / 1000}s`);
        if (!ready) reject(new Error(`node ${node.name}: agent exited (${signal ?? code}) before ready:\n${out}`));
        slot.timer = setTimeout(() => void this.launch(slot).catch((err: Error) => log.error(err.message)), delay);
      });
    });
  }

  /** SIGTERM to every agent by PID, SIGKILL after graceMs. */
  async stop(graceMs = 8000): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map(async (slot) => {
      clearTimeout(slot.timer);
      const child = slot.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => {
        this.opts.log.error(`node ${slot.node.name}: agent pid ${child.pid} still running ${graceMs / 1000}s after SIGTERM: SIGKILL`);
        child.kill('SIGKILL');
      }, graceMs);
      await gone;
      clearTimeout(t);
    }));
  }
}
