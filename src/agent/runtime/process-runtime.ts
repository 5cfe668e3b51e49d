/**
 * A container as a process group: spawned in its own session with the container's env and working
 * directory, stdout/stderr captured to a CRI-format log. When the main process exits, whatever it left
 * behind is killed, as the kernel does when a PID namespace's init dies; `stop` is SIGTERM to the
 * group, then SIGKILL after the grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { constants as osConstants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { SkiffError } from '../../util/errors.js';
import { realClock, type Clock } from '../../util/clock.js';
import { CriLogWriter } from './cri-log.js';
import { openOutputFifos, readOutputFifos } from './output-fifo.js';
import { containerProcesses, isProcessLive, readProcStat } from './proc.js';
import type { ContainerConfig, RuntimeContainer, ContainerExit, ExecResult } from './cri.js';

export type { ContainerExit, ExecResult } from './cri.js';

/** The process part of a CRI ContainerConfig (the log file's directory is created; `stdin` keeps a pipe open for attach). */
export interface ContainerProcessOptions extends Pick<ContainerConfig, 'name' | 'argv' | 'env' | 'cwd' | 'logPath' | 'stdin'> {
  clock?: Clock;
  /**
   * Runs the container through a launcher (namespaces): the spawned argv is `[...launcher, ...argv]`;
   * argv[0] is looked up on the container's PATH first so a missing executable is a StartError.
   */
  launcher?: string[];
  /** The argv prefix that enters the running container's namespaces (exec); called per exec. */
  enter?: () => string[];
  /** Extra environment for the launcher only (not the container's processes). */
  launcherEnv?: Record<string, string>;
  /**
   * The launcher waits for the container's PID 1 and exits with its status (a PID namespace's
   * `unshare --fork`, as containerd's shim): stop's SIGTERM goes to the container's processes only.
   */
  launcherWaits?: boolean;
  /**
   * A directory for the container's output FIFOs (runtime/output-fifo.ts): the container then writes
   * into FIFOs it holds open itself, so its output survives a restart of the agent (adopt). Without it,
   * plain pipes (the output dies with the agent).
   */
  fifoDir?: string;
}

/** A running container of a previous agent run, taken over by this one (runtime/leftovers.ts). */
export interface AdoptedProcess {
  pid: number;
  /** /proc start time (clock ticks): the PID must still name that process. */
  startTime: number;
  /** Epoch ms the container started (status startedAt). */
  startedAt: number;
}

export type ContainerProcessState = 'created' | 'running' | 'exited';

const OUTPUT_LIMIT = 64 * 1024;
const POLL_MS = 20;
/** How often the exit of an adopted container (not our child) is looked for in /proc. */
export const ADOPTED_EXIT_POLL_MS = 250;

export class ContainerProcess extends EventEmitter implements RuntimeContainer {
  readonly name: string;
  private readonly opts: ContainerProcessOptions;
  private readonly clock: Clock;
  private child: ChildProcess | undefined;
  private leader: number | undefined;
  private log: CriLogWriter | undefined;
  private exitInfo: ContainerExit | undefined;
  private readonly exited: Promise<ContainerExit>;
  private resolveExited!: (e: ContainerExit) => void;
  private readonly execLeaders = new Set<number>();
  private outputs: Readable[] = [];
  private pollTimer: import('../../util/clock.js').TimerHandle | undefined;
  private stateValue: ContainerProcessState = 'created';
  startedAt: number | undefined;

  constructor(opts: ContainerProcessOptions) {
    super();
    this.opts = opts;
    this.name = opts.name;
    this.clock = opts.clock ?? realClock;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  get state(): ContainerProcessState {
    return this.stateValue;
  }
  get pid(): number | undefined {
    return this.leader;
  }
  get exit(): ContainerExit | undefined {
    return this.exitInfo;
  }
  get stdin(): Writable | undefined {
    return this.child?.stdin ?? undefined;
  }

  /** Spawns the process; rejects with SkiffError `StartError` (as containerd's message says) if it cannot. */
  async start(): Promise<void> {
    if (this.stateValue !== 'created') throw new SkiffError('AlreadyStarted', `container ${this.name} was already started`);
    const [file, ...args] = this.opts.argv;
    if (!file) throw new SkiffError('StartError', 'no command specified');
    if (this.opts.cwd && !fs.existsSync(this.opts.cwd)) fs.mkdirSync(this.opts.cwd, { recursive: true });
    fs.mkdirSync(path.dirname(this.opts.logPath), { recursive: true });
    if (this.opts.launcher) {
      const missing = lookPath(file, this.opts.env['PATH'], this.opts.cwd);
      if (missing) {
        this.stateValue = 'exited';
        throw startError(file, missing);
      }
    }
    const [spawnFile, ...spawnArgs] = this.opts.launcher ? [...this.opts.launcher, ...this.opts.argv] : this.opts.argv;
    const fifos = this.opts.fifoDir ? openOutputFifos(this.opts.fifoDir) : undefined;
    // read ends before spawning: a container that exits at once must not take its output with it
    const fifoStreams = fifos ? readOutputFifos(this.opts.fifoDir!) : undefined;
    const out = fifos ? ([fifos.stdout, fifos.stderr] as const) : (['pipe', 'pipe'] as const);
    let child: ChildProcess;
    try {
      child = spawn(spawnFile!, spawnArgs, {
        cwd: this.opts.cwd,
        env: this.opts.launcher ? { ...this.opts.env, ...this.opts.launcherEnv } : this.opts.env,
        detached: true,
        // fd 3: the launcher writes one line once the namespaces and mounts are set up
        stdio: this.opts.launcher ? [this.opts.stdin ? 'pipe' : 'ignore', ...out, 'pipe'] : [this.opts.stdin ? 'pipe' : 'ignore', ...out],
      });
    } finally {
      // the container holds its own ends now; ours would keep the reader from ever seeing EOF
      fifos?.close();
    }
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) => reject(startError(file, err)));
    }).catch((err) => {
      this.stateValue = 'exited';
      fifoStreams?.stdout.destroy();
      fifoStreams?.stderr.destroy();
      throw err;
    });
    this.child = child;
    this.leader = child.pid!;
    this.startedAt = this.clock.now();
    this.stateValue = 'running';
    const log = new CriLogWriter(this.opts.logPath, () => this.clock.now());
    this.log = log;
    const streams = fifoStreams ?? { stdout: child.stdout!, stderr: child.stderr! };
    this.outputs = [streams.stdout, streams.stderr];
    const drained = Promise.all([log.attach('stdout', streams.stdout), log.attach('stderr', streams.stderr)]);
    const leader = child.pid!;
    child.once('exit', (code, signal) => void this.onExit({ leader, code, signal, drained }));
    const ready = child.stdio[3] as Readable | null | undefined;
    if (ready) {
      // started = the command runs in its namespaces (an exec right after start sees the mounts)
      await new Promise<void>((resolve) => {
        ready.once('data', () => resolve());
        ready.once('close', () => resolve());
        ready.once('error', () => resolve());
      });
      ready.destroy();
    }
  }

  /**
   * Takes over a container a previous agent run started (same PID and start time, else false): its
   * output is read again from its FIFOs into the same log, its exit is found by polling /proc (it is
   * not our child, so its exit code is unknown: 255, as kubelet reports a container it lost).
   */
  adopt(p: AdoptedProcess): boolean {
    if (this.stateValue !== 'created') throw new SkiffError('AlreadyStarted', `container ${this.name} was already started`);
    const st = readProcStat(p.pid);
    if (!st || st.startTime !== p.startTime || st.state === 'Z' || st.state === 'X') return false;
    this.leader = p.pid;
    this.startedAt = p.startedAt;
    this.stateValue = 'running';
    const log = new CriLogWriter(this.opts.logPath, () => this.clock.now());
    this.log = log;
    let drained: Promise<unknown> = Promise.resolve();
    if (this.opts.fifoDir) {
      try {
        const streams = readOutputFifos(this.opts.fifoDir);
        this.outputs = [streams.stdout, streams.stderr];
        drained = Promise.all([log.attach('stdout', streams.stdout), log.attach('stderr', streams.stderr)]);
      } catch {
        // no FIFOs (started by a run that piped its output): the output is lost, the process is not
      }
    }
    const poll = (): void => {
      const now = readProcStat(p.pid);
      if (now && now.startTime === p.startTime && now.state !== 'Z' && now.state !== 'X') {
        this.pollTimer = this.clock.setTimeout(poll, ADOPTED_EXIT_POLL_MS);
        return;
      }
      this.pollTimer = undefined;
      void this.onExit({ leader: p.pid, code: 255, signal: null, drained });
    };
    this.pollTimer = this.clock.setTimeout(poll, ADOPTED_EXIT_POLL_MS);
    return true;
  }

  private async onExit(e: { leader: number; code: number | null; signal: NodeJS.Signals | null; drained: Promise<unknown> }): Promise<void> {
    const finishedAt = this.clock.now();
    const signo = e.signal ? (osConstants.signals[e.signal] ?? 0) : 0;
    const exitCode = e.code ?? 128 + signo;
    // The main process is gone: nothing of the container may outlive it.
    await this.killAll(e.leader);
    // A process that escaped the group could hold the pipes open forever; don't wait on it.
    await Promise.race([e.drained, delay(1000)]);
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
    for (const o of this.outputs) o.destroy();
    this.log?.close();
    this.exitInfo = { exitCode, signal: e.signal, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: this.startedAt!, finishedAt };
    this.stateValue = 'exited';
    this.emit('exit', this.exitInfo);
    this.resolveExited(this.exitInfo);
  }

  /** Resolves when the container has exited and none of its processes remain. */
  wait(): Promise<ContainerExit> {
    return this.exited;
  }

  /** SIGTERM to every process of the container, SIGKILL to what remains after `gracePeriodMs`. */
  async stop(opts: { gracePeriodMs: number }): Promise<ContainerExit | undefined> {
    if (this.stateValue === 'created') return undefined;
    if (this.stateValue === 'exited') return this.exitInfo;
    const leader = this.leader!;
    const targets = containerProcesses(leader, this.execLeaders);
    signalAll(this.opts.launcherWaits ? targets.filter((pid) => pid !== leader) : targets, 'SIGTERM');
    const timer = this.clock.setTimeout(() => void this.killAll(leader), Math.max(0, opts.gracePeriodMs));
    try {
      return await this.exited;
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /** The container's live processes (group, session, descendants, exec sessions). */
  processes(): number[] {
    const leader = this.leader;
    if (leader === undefined) return [];
    return containerProcesses(leader, this.execLeaders);
  }

  /** Starts a process in the container's environment (kubectl exec); it dies with the container. */
  spawnInContainer(argv: string[], opts: { stdin?: boolean; env?: Record<string, string> } = {}): ChildProcess {
    const file = argv[0];
    if (!file) throw new SkiffError('ExecError', 'no command specified');
    if (this.stateValue !== 'running') throw new SkiffError('ContainerNotRunning', `container ${this.name} is not running`);
    if (this.opts.enter) {
      // nsenter would only fail after the fork: report a missing command as spawn does
      const missing = lookPath(file, opts.env?.['PATH'] ?? this.opts.env['PATH'], this.opts.cwd);
      if (missing) throw missing;
    }
    const [spawnFile, ...spawnArgs] = this.opts.enter ? [...this.opts.enter(), ...argv] : argv;
    const child = spawn(spawnFile!, spawnArgs, {
      cwd: this.opts.cwd,
      env: { ...this.opts.env, ...opts.env },
      detached: true,
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (child.pid !== undefined) {
      const pid = child.pid;
      this.execLeaders.add(pid);
      child.once('exit', () => this.execLeaders.delete(pid));
    }
    return child;
  }

  /** Runs a command in the container and collects its output (exec probes). */
  exec(argv: string[], opts: { timeoutMs: number }): Promise<ExecResult> {
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = this.spawnInContainer(argv);
      } catch (err) {
        resolve({ exitCode: 126, stdout: '', stderr: err instanceof Error ? err.message : String(err), timedOut: false });
        return;
      }
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(0, OUTPUT_LIMIT)));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(0, OUTPUT_LIMIT)));
      const timer = this.clock.setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) signalAll(containerProcesses(child.pid), 'SIGKILL');
      }, opts.timeoutMs);
      child.once('error', (err: NodeJS.ErrnoException) => {
        this.clock.clearTimeout(timer);
        resolve({ exitCode: err.code === 'ENOENT' ? 127 : 126, stdout, stderr: startError(argv[0]!, err).message, timedOut: false });
      });
      child.once('close', (code, signal) => {
        this.clock.clearTimeout(timer);
        const signo = signal ? (osConstants.signals[signal] ?? 0) : 0;
        resolve({ exitCode: code ?? 128 + signo, stdout, stderr, timedOut });
      });
    });
  }

  /** SIGKILL to every process of the container until /proc shows none (zombies count as gone). */
  private async killAll(leader: number): Promise<void> {
    for (;;) {
      const pids = containerProcesses(leader, this.execLeaders).filter(isProcessLive);
      if (pids.length === 0) return;
      signalAll(pids, 'SIGKILL');
      await delay(POLL_MS);
    }
  }
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function startError(file: string, err: NodeJS.ErrnoException): SkiffError {
  if (err.code === 'ENOENT') return new SkiffError('StartError', `exec: "${file}": executable file not found in $PATH`);
  if (err.code === 'EACCES') return new SkiffError('StartError', `exec: "${file}": permission denied`);
  return new SkiffError('StartError', `exec: "${file}": ${err.message}`);
}

/** exec.LookPath: null when `file` can be executed, else the error spawn would give. */
function lookPath(file: string, pathEnv: string | undefined, cwd: string | undefined): NodeJS.ErrnoException | null {
  const candidates = file.includes('/') ? [path.resolve(cwd ?? '.', file)] : (pathEnv ?? '').split(':').filter(Boolean).map((d) => path.join(d, file));
  let denied = false;
  for (const c of candidates) {
    try {
      if (!fs.statSync(c).isFile()) continue;
    } catch {
      continue; // absent, or in a directory we may not search: not found there (as Go's LookPath)
    }
    try {
      fs.accessSync(c, fs.constants.X_OK);
      return null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') denied = true;
    }
  }
  const err: NodeJS.ErrnoException = new Error(denied ? 'permission denied' : 'not found');
  err.code = denied ? 'EACCES' : 'ENOENT';
  return err;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
